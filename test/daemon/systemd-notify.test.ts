import { afterEach, describe, expect, it } from 'vitest';
import { SystemdNotifier } from '../../src/daemon/systemd-notifier.js';
import { Logger } from '../../src/lib/logger.js';
import { createTree } from '../helpers/fixtures.js';
import { startNotifyReceiver, type NotifyReceiver } from '../helpers/notify-socket.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const has = (r: NotifyReceiver, field: string) => r.messages.filter((m) => m.fields.includes(field));

describe('systemd notify protocol (Type=notify, WatchdogSec=)', () => {
  let fx: SyncFixture | undefined;
  let receiver: NotifyReceiver | undefined;
  afterEach(async () => {
    await receiver?.stop();
    await fx?.cleanup();
    fx = undefined;
    receiver = undefined;
  });

  it('run sends READY=1 with a readable STATUS once started, watchdog pings from the main PID, and STOPPING=1 on SIGTERM', async () => {
    fx = await createSyncFixture();
    receiver = await startNotifyReceiver(fx.root);
    createTree(fx.folder('main'), { 'a.txt': 'a' });
    const daemon = fx.spawnCli(['run', '--config', fx.configPath], { NOTIFY_SOCKET: receiver.path, WATCHDOG_USEC: '400000' });
    await daemon.waitForLog((r) => r.msg === 'oss-sync started');
    const ready = await waitFor(() => has(receiver!, 'READY=1')[0], { what: 'READY=1' });
    // systemd accepts only what comes from the main PID (NotifyAccess=main): the kernel's word for the sender.
    expect(ready.pid).toBe(daemon.child.pid);
    expect(ready.fields.find((f) => f.startsWith('STATUS='))).toMatch(
      /^STATUS=1 folder\(s\): \d+ queued, \d+ uploading, \d+ uploaded, 0 failed$/,
    );
    await waitFor(() => has(receiver!, 'WATCHDOG=1').length >= 3, { what: 'three watchdog pings' });
    expect(has(receiver, 'WATCHDOG=1').every((m) => m.pid === daemon.child.pid)).toBe(true);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    await waitFor(() => has(receiver!, 'STOPPING=1').length === 1, { what: 'STOPPING=1' });
  });

  it('without NOTIFY_SOCKET sends nothing (not under systemd)', async () => {
    fx = await createSyncFixture();
    receiver = await startNotifyReceiver(fx.root);
    const notifier = new SystemdNotifier({ env: {}, logger: new Logger({ level: 'error' }), healthy: () => true, status: () => 'x' });
    await notifier.ready();
    await notifier.stopping();
    expect(receiver.messages).toEqual([]);
  });

  it('stops the watchdog pings while the daemon is unhealthy (systemd then restarts it), and resumes after', async () => {
    fx = await createSyncFixture();
    receiver = await startNotifyReceiver(fx.root);
    let healthy = true;
    // Each status line carries a sequence number: the receiver then tells lines made after a moment.
    let seq = 0;
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: receiver.path, WATCHDOG_USEC: '100000' },
      logger: new Logger({ level: 'error' }),
      healthy: () => healthy,
      status: () => `line ${++seq}`,
      statusEveryMs: 50,
    });
    await notifier.ready();
    await waitFor(() => has(receiver!, 'WATCHDOG=1').length >= 2, { what: 'pings while healthy' });
    const lastLine = () =>
      Math.max(0, ...receiver!.messages.flatMap((m) => m.fields.map((f) => Number(/^STATUS=line (\d+)$/.exec(f)?.[1] ?? 0))));
    healthy = false;
    // Messages go out in order: once a line made after the flip arrived, nothing from before it is on its way.
    const flip = seq;
    await waitFor(() => lastLine() > flip, { what: 'a status line made after the flip' });
    const pings = has(receiver, 'WATCHDOG=1').length;
    await waitFor(() => lastLine() > flip + 10, { what: 'ten more status lines' });
    expect(has(receiver, 'WATCHDOG=1').length).toBe(pings);
    healthy = true;
    await waitFor(() => has(receiver!, 'WATCHDOG=1').length > pings, { what: 'pings again once healthy' });
    await notifier.stopping();
    await waitFor(() => has(receiver!, 'STOPPING=1').length === 1, { what: 'STOPPING=1' });
  });

  it('logs one clear error when systemd-notify is missing, instead of failing the daemon', async () => {
    fx = await createSyncFixture();
    const lines: string[] = [];
    const logger = new Logger({ level: 'info', write: (line: string) => lines.push(line) });
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/nonexistent/notify.sock' },
      logger,
      healthy: () => true,
      status: () => 'x',
      program: '/nonexistent/systemd-notify',
    });
    await notifier.ready();
    await notifier.stopping();
    expect(lines.filter((l) => l.includes('systemd-notify is not installed'))).toHaveLength(1);
  });
});
