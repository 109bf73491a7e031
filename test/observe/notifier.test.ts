/** The notifier against real local HTTP receivers: back-off, giving up, and never blocking its caller. */
import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../src/lib/logger.js';
import { Notifier } from '../../src/observe/notifier.js';
import { waitFor } from '../helpers/wait.js';
import { startReceiver } from './observe-helpers.js';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('Notifier', () => {
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('retries a refused webhook with back-off, then gives up with a warning naming the host only', async () => {
    receiver = await startReceiver(() => 503);
    const logs: string[] = [];
    const logger = new Logger({ level: 'debug', pretty: false, write: (l) => logs.push(l) });
    const url = `${receiver.url}/hook/secret-path-123`;
    logger.addSecrets([url]);
    const waits: number[] = [];
    const n = new Notifier({ webhookUrl: url, logger, hostname: 'h', maxAttempts: 3, backoffMs: (a) => (waits.push(a), 10) });
    n.alert('file.parked', { folder: 'main', path: 'a.txt' });
    await waitFor(() => logs.some((l) => l.includes('webhook not delivered; giving up')), { what: 'giving up' });
    expect(receiver.received).toHaveLength(3);
    expect(waits).toEqual([1, 2]);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ event: 'file.parked', host: 'h', folder: 'main', path: 'a.txt' });
    expect(logs.join('\n')).not.toContain('secret-path-123');
    expect(logs.join('\n')).toContain(`127.0.0.1:${receiver.port}`);
    await n.close();
  });

  it('collapses waiting pings into one, and close() drops what the grace does not cover', async () => {
    receiver = await startReceiver((r) => (r.url === '/slow' ? 500 : 200));
    const logger = new Logger({ level: 'error', pretty: false, write: () => undefined });
    const n = new Notifier({ pingUrl: `${receiver.url}/ping`, logger, hostname: 'h' });
    n.ping();
    n.ping();
    n.ping();
    await waitFor(() => receiver!.received.length >= 1, { what: 'a ping' });
    await n.close();
    expect(receiver.received.length).toBeLessThanOrEqual(2); // the first, and at most one collapsed follow-up
    const dead = new Notifier({ webhookUrl: `${receiver.url}/slow`, logger, hostname: 'h', backoffMs: () => 60_000 });
    dead.alert('state_db.failed', {});
    await waitFor(() => receiver!.received.some((r) => r.url === '/slow'), { what: 'the first try' });
    // A minute of back-off ahead: close() must still return after its grace (the test's timeout says if not).
    await dead.close(100);
    expect(receiver.received.filter((r) => r.url === '/slow')).toHaveLength(1);
  });
});
