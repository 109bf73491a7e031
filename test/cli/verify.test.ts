import { lstatSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { startHeaderProxy } from '../helpers/header-proxy.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, metricValue, parsePrometheus, startReceiver } from '../observe/observe-helpers.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

interface Report {
  ok: boolean;
  mismatches: number;
  folders: Array<{ folder: string; ok: number; requeued?: number; findings: Array<{ kind: string; relPath: string }> }>;
}

async function verify(f: SyncFixture, args: string[] = []): Promise<{ code: number | null; report: Report; out: string }> {
  const p = f.spawnCli(['verify', '--config', f.configPath, '--json', ...args]);
  const { code } = await p.exited;
  const out = p.stdout.join('\n');
  return { code, out, report: JSON.parse(out) as Report };
}

async function once(f: SyncFixture): Promise<void> {
  const p = f.spawnCli(['once', '--config', f.configPath]);
  const { code } = await p.exited;
  expect(code, p.stderr.join('\n')).toBe(0);
}

const kinds = (r: Report) => r.folders.flatMap((f) => f.findings.map((x) => `${x.kind} ${x.relPath}`)).sort();

describe('oss-sync verify', () => {
  it('finds a deleted object, a replaced object and a locally changed file, and --requeue repairs them', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'a.txt': 'alpha', 'b.txt': 'bravo', 'c.txt': 'charlie', 'd/e.bin': Buffer.alloc(300 * 1024, 7) });
    await once(fx);
    const clean = await verify(fx);
    expect(clean.code, clean.out).toBe(0);
    expect(clean.report).toMatchObject({ ok: true, mismatches: 0, folders: [{ folder: 'main', ok: 4, findings: [] }] });

    const client = fx.emu.client();
    await client.delete('main/a.txt');
    await client.put('main/d/e.bin', Buffer.alloc(300 * 1024, 8)); // same size, other bytes
    writeFileSync(join(fx.folder('main'), 'c.txt'), 'changed locally');
    await client.put('main/stray.txt', Buffer.from('only remote'));

    const found = await verify(fx);
    expect(found.code).toBe(1);
    expect(found.report.mismatches).toBe(2);
    expect(kinds(found.report)).toEqual(['different d/e.bin', 'lost a.txt', 'pending c.txt', 'remote-only stray.txt']);

    const text = fx.spawnCli(['verify', '--config', fx.configPath]);
    expect((await text.exited).code).toBe(1);
    expect(text.stdout.join('\n')).toMatch(
      /main \(oss:\/\/test-bucket\/main\/\): 4 object\(s\), 4 local file\(s\): 1 ok, 1 LOST, 1 DIFFERENT, 1 pending, 1 remote-only/,
    );

    const requeued = await verify(fx, ['--requeue']);
    expect(requeued.code).toBe(1);
    expect(requeued.report.folders[0]!.requeued).toBe(3);
    await once(fx);
    const repaired = await verify(fx);
    expect(kinds(repaired.report)).toEqual(['remote-only stray.txt']);
    expect(repaired.code, repaired.out).toBe(0);
    expect(await fx.remote('main/a.txt')).toEqual(Buffer.from('alpha'));
    expect(await fx.remote('main/d/e.bin')).toEqual(Buffer.alloc(300 * 1024, 7));
    expect(await fx.remote('main/c.txt')).toEqual(Buffer.from('changed locally'));
  });

  it('--checksum catches a file whose bytes changed under the same size and mtime, which the cheap check cannot see, and never requeues it', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'rot.txt': 'original', 'same.txt': 'same' });
    const path = join(fx.folder('main'), 'rot.txt');
    utimesSync(path, 1_700_000_000, 1_700_000_000); // a whole second: utimes can set it again exactly
    await once(fx);
    writeFileSync(path, 'ORIGINAL'); // bit rot: same size...
    utimesSync(path, 1_700_000_000, 1_700_000_000); // ...same mtime
    expect(lstatSync(path).mtimeMs).toBe(1_700_000_000_000);
    expect((await verify(fx)).code).toBe(0); // the cheap check cannot see it

    const checked = await verify(fx, ['--checksum', '--requeue']);
    expect(checked.code).toBe(1);
    expect(kinds(checked.report)).toEqual(['local-differs rot.txt']);
    // Never requeued: uploading the rotten file would overwrite the good copy.
    expect(checked.report.folders[0]!.requeued).toBe(0);
    expect(checked.report.folders[0]!.ok).toBe(1);
  });

  it('--deep reads objects back and finds bytes that do not match their CRC-64; --sample checks a share of them', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'a.txt': 'alpha', 'b.txt': 'bravo', 'c.txt': 'charlie', 'big.bin': Buffer.alloc(300 * 1024, 3) });
    await once(fx);
    const deep = await verify(fx, ['--deep']);
    expect(deep.code, deep.out).toBe(0);
    expect(deep.report.folders[0]).toMatchObject({ ok: 4, checksummed: 4 });

    fx.emu.emulator.faults.add({
      match: { operation: 'GetObject', key: 'main/big.bin' },
      action: { type: 'corruptResponse', atByte: 200_000 },
    });
    const damaged = await verify(fx, ['--deep']);
    expect(damaged.code).toBe(1);
    expect(kinds(damaged.report)).toEqual(['damaged big.bin']);

    const sampled = await verify(fx, ['--deep', '--sample', '50%']);
    expect(sampled.code).toBe(0);
    expect(sampled.report.folders[0]).toMatchObject({ ok: 4, checksummed: 2 });
    const one = await verify(fx, ['--checksum', '--sample', '1']);
    expect(one.report.folders[0]).toMatchObject({ ok: 4, checksummed: 1 });

    const bad = fx.spawnCli(['verify', '--config', fx.configPath, '--sample', '0%', '--deep']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/--sample: expected a number of files .* got '0%'/);
  });

  // oss.timeout is also how long a download waits for its next byte (config.example.yaml): verify
  // --deep waited ali-oss's 60 s on a body that stalled, whatever oss.timeout said.
  it('--deep gives up on a body that stalls after oss.timeout, and names the file not checked', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'a.txt': 'alpha', 'big.bin': Buffer.alloc(300 * 1024, 3) });
    await once(fx);
    const f = fx;
    const proxy = await startHeaderProxy(f.emu.endpoint, { stall: (method, path) => method === 'GET' && path.startsWith('/main/big.bin') });
    try {
      const oss = { endpoint: proxy.endpoint, access_key_id: f.emu.accessKeyId, access_key_secret: f.emu.accessKeySecret, timeout: '1s' };
      f.writeConfig(undefined, { oss });
      const stalled = await verify(f, ['--deep']);
      const findings = stalled.report.folders[0]!.findings as Array<{ kind: string; relPath: string; detail?: string }>;
      expect(findings.map((x) => `${x.kind} ${x.relPath}`)).toEqual(['pending big.bin']);
      expect(findings[0]!.detail).toMatch(/no byte of oss:\/\/.*main\/big\.bin's body for 1 s/);
    } finally {
      await proxy.close();
    }
  });

  it('--requeue works while the daemon runs: the daemon uploads the lost object again', async () => {
    fx = await createSyncFixture();
    createTree(fx.folder('main'), { 'keep.txt': 'keep me' });
    await fx.startDaemon('run');
    await waitFor(async () => (await fx!.remote('main/keep.txt'))?.toString() === 'keep me', { what: 'the first upload' });
    await waitFor(() => verify(fx!).then((r) => r.code === 0), { what: 'verify to find all well' });
    await fx.emu.client().delete('main/keep.txt');
    const requeued = await verify(fx, ['--requeue']);
    expect(requeued.code).toBe(1);
    expect(kinds(requeued.report)).toEqual(['lost keep.txt']);
    await waitFor(async () => (await fx!.remote('main/keep.txt'))?.toString() === 'keep me', {
      timeoutMs: 30_000,
      what: 'the daemon to upload it again',
    });
    await waitFor(() => verify(fx!).then((r) => r.code === 0), { what: 'verify to find all well again' });
  });

  it('run verifies on verify_schedule: the time goes to /metrics, a mismatch is logged and posted to the webhook', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      const port = await freePort();
      fx = await createSyncFixture([{ name: 'main' }], {
        verify_schedule: '* * * * * *',
        verify_sample: '100%',
        http: { listen: `127.0.0.1:${port}` },
        notify: { webhook_url: `${receiver.url}/hook` },
      });
      createTree(fx.folder('main'), { 'a.txt': 'alpha', 'b.txt': 'beta' });
      const run = fx.spawnCli(['run', '--config', fx.configPath]);
      await waitFor(async () => (await fx!.remote('main/b.txt'))?.toString() === 'beta', { what: 'the uploads' });
      const well = await run.waitForLog((r) => r.msg === 'scheduled verify: all well' && r.checkedByCrc64 === 2);
      expect(well).toMatchObject({ folders: 1 });
      const at = await waitFor(
        async () =>
          metricValue(
            parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
            'oss_sync_last_verify_timestamp_seconds',
          ) || undefined,
        { what: 'the verify time metric' },
      );
      expect(Math.abs(at - Date.now() / 1000)).toBeLessThan(120);

      await fx.emu.client().delete('main/a.txt');
      const logged = await run.waitForLog((r) => String(r.msg).startsWith('scheduled verify found mismatches'));
      expect(logged).toMatchObject({ mismatches: 1, findings: [{ folder: 'main', kind: 'lost', path: 'a.txt' }] });
      const alert = await waitFor(
        () => receiver.received.map((x) => JSON.parse(x.body) as Record<string, unknown>).find((w) => w.event === 'verify.mismatch'),
        { what: 'the verify.mismatch webhook' },
      );
      expect(alert).toMatchObject({ mismatches: 1, findings: [{ folder: 'main', kind: 'lost', path: 'a.txt' }] });
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('verify_sample must be a count, a percentage or off, named with its line', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { verify_schedule: '0 4 * * 0', verify_sample: 'lots' });
    const p = fx.spawnCli(['run', '--config', fx.configPath]);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.join('\n')).toMatch(
      /config\.yaml:\d+:\d+: verify_sample: expected a number of files \(100\), a percentage \(1%\) or off, got "lots"/,
    );
  });

  it('exits 2 on bad usage and names an unknown folder', async () => {
    fx = await createSyncFixture();
    const p = fx.spawnCli(['verify', '--config', fx.configPath, '--folder', 'nope']);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr.join('\n')).toMatch(/no folder named 'nope'/);
    const q = fx.spawnCli(['verify', '--config', fx.configPath, '--bogus']);
    expect((await q.exited).code).toBe(2);
  });
});
