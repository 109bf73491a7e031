/**
 * Alerts reach a local HTTP receiver: the ping after each successful reconcile (retried after a
 * failed delivery), and webhooks for a parked file, a paused and resumed folder and a state
 * database failure; the webhook URL's credentials never reach a log line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, metricValue, parsePrometheus, startReceiver } from './observe-helpers.js';

const TOKEN = 'alert-test-token-42';
const HOOK_PASSWORD = 's3cret-hook-pass';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('notify: webhook and ping', () => {
  let fx: SyncFixture | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    await receiver?.close();
    fx = receiver = undefined;
  });

  const webhooks = (r: Receiver): Array<Record<string, unknown>> =>
    r.received.filter((x) => x.method === 'POST').map((x) => JSON.parse(x.body) as Record<string, unknown>);

  it('pings after reconciles (retrying a failed delivery) and posts parked, paused and resumed, without leaking the URL', async () => {
    // The first ping is refused: the notifier must try again.
    receiver = await startReceiver((r, n) => (r.url.startsWith('/ping') && n === 1 ? 500 : 200));
    const port = await freePort();
    const hookUrl = `http://hook:${HOOK_PASSWORD}@127.0.0.1:${receiver.port}/hook?key=k-${HOOK_PASSWORD}`;
    fx = await createSyncFixture([{ name: 'main' }, { name: 'docs' }], {
      max_attempts: 1,
      http: { listen: `127.0.0.1:${port}`, token: TOKEN },
      notify: { webhook_url: '${TEST_HOOK_URL}', ping_url: `${receiver.url}/ping/uuid-1` },
    });
    fx.emu.emulator.faults.add({
      match: { operation: 'PutObject', key: 'main/bad.txt' },
      times: Infinity,
      action: { type: 'error', status: 400, code: 'InvalidArgument' },
    });
    const run = fx.spawnCli(['run', '--config', fx.configPath], { TEST_HOOK_URL: hookUrl });
    await run.waitForLog((r) => r.msg === 'status page and /metrics listening');

    // The start-up reconcile's ping: refused once, then delivered.
    await waitFor(() => receiver!.received.filter((r) => r.url === '/ping/uuid-1').length >= 2, {
      what: 'the ping, sent again after a 500',
    });
    expect(receiver.received.find((r) => r.url === '/ping/uuid-1')?.method).toBe('GET');

    writeFileSync(join(fx.folder('main'), 'bad.txt'), 'refused');
    const parked = await waitFor(() => webhooks(receiver!).find((w) => w.event === 'file.parked'), {
      timeoutMs: 30_000,
      what: 'the parked webhook',
    });
    expect(parked).toMatchObject({ folder: 'main', path: 'bad.txt', attempts: 1 });
    expect(String(parked.reason)).toContain('InvalidArgument');
    // The parked file's code is counted among the errors (it was never retried: a 400 is permanent).
    await waitFor(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
        return metricValue(parsePrometheus(text), 'oss_sync_errors_total', { code: 'InvalidArgument' }) === 1;
      },
      { what: 'the parked file counted by its code' },
    );
    const hook = receiver.received.find((r) => r.method === 'POST')!;
    expect(hook.url).toBe(`/hook?key=k-${HOOK_PASSWORD}`);
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers.authorization).toBe(`Basic ${Buffer.from(`hook:${HOOK_PASSWORD}`).toString('base64')}`);

    // Actions need the Authorization header: pause and resume a folder through the API.
    const act = (path: string, auth?: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ folder: 'docs' }),
      });
    expect((await act('/api/pause')).status).toBe(401);
    expect((await act('/api/pause', 'Bearer nope')).status).toBe(401);
    expect((await act('/api/pause', `Bearer ${TOKEN}`)).status).toBe(200);
    await waitFor(() => webhooks(receiver!).find((w) => w.event === 'folder.paused' && w.folder === 'docs'), {
      what: 'the paused webhook',
    });
    // A paused folder's new files wait.
    writeFileSync(join(fx.folder('docs'), 'later.txt'), 'after resume');
    expect((await act('/api/resume', `Bearer ${TOKEN}`)).status).toBe(200);
    await waitFor(() => webhooks(receiver!).find((w) => w.event === 'folder.resumed' && w.folder === 'docs'), {
      what: 'the resumed webhook',
    });
    await waitFor(async () => (await fx!.remote('docs/later.txt'))?.toString() === 'after resume', { what: 'the resumed folder uploads' });

    const logs = run.stdout.join('\n');
    expect(logs).not.toContain(HOOK_PASSWORD);
    expect(logs).not.toContain(TOKEN);
    for (const w of webhooks(receiver)) expect(JSON.stringify(w)).not.toContain(HOOK_PASSWORD);
  });

  it('posts a state database failure before the daemon exits', async () => {
    receiver = await startReceiver();
    fx = await createSyncFixture([{ name: 'main' }], { notify: { webhook_url: `${receiver.url}/hook` } });
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'alpha');
    const run = fx.spawnCli(['run', '--config', fx.configPath], { OSS_SYNC_FAILPOINT: 'state-db-readonly-after-ms:2500' });
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    const failed = webhooks(receiver).find((w) => w.event === 'state_db.failed');
    expect(failed, run.stdout.join('\n')).toMatchObject({ stateDb: fx.stateDb });
    expect(String(failed!.error)).toMatch(/readonly|read-only|cannot be written/i);
  });

  it('warns by webhook when the credentials come within 10 minutes of expiry, and /metrics shows when they expire', async () => {
    receiver = await startReceiver();
    const port = await freePort();
    const expiresAt = new Date(Math.floor((Date.now() + 5 * 60_000) / 1000) * 1000);
    fx = await createSyncFixture([{ name: 'main' }]);
    const answer = {
      AccessKeyId: fx.emu.accessKeyId,
      AccessKeySecret: fx.emu.accessKeySecret,
      SecurityToken: 'token-that-must-stay-secret',
      Expiration: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    fx.writeConfig(undefined, {
      oss: {
        endpoint: fx.emu.endpoint,
        credentials: {
          provider: 'process',
          command: [process.execPath, '-e', `process.stdout.write(${JSON.stringify(JSON.stringify(answer))})`],
        },
      },
      http: { listen: `127.0.0.1:${port}`, token: TOKEN },
      notify: { webhook_url: `${receiver.url}/hook` },
    });
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'status page and /metrics listening');
    const warned = await waitFor(() => webhooks(receiver!).find((w) => w.event === 'credentials.expiring'), {
      what: 'the expiring webhook',
    });
    expect(warned.expiresAt).toBe(expiresAt.toISOString());
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const samples = parsePrometheus(await res.text());
    expect(metricValue(samples, 'oss_sync_credentials_expiry_timestamp_seconds', { provider: 'process' })).toBe(expiresAt.getTime() / 1000);
    expect(JSON.stringify(receiver.received)).not.toContain(answer.SecurityToken);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});
