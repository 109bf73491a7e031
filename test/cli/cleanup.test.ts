import type OSS from 'ali-oss';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, metricValue, parsePrometheus } from '../observe/observe-helpers.js';

const DAY = 86_400_000;

/** Makes an upload look `ageMs` old, as a restarted emulator reads it (its record is a JSON file). */
function backdate(dataDir: string, uploadId: string, ageMs: number): void {
  const find = (dir: string): string | undefined => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!statSync(path).isDirectory()) continue;
      if (name === uploadId) return join(path, 'upload.json');
      const found = find(path);
      if (found) return found;
    }
    return undefined;
  };
  const file = find(dataDir);
  if (!file) throw new Error(`no record of upload ${uploadId} under ${dataDir}`);
  const info = JSON.parse(readFileSync(file, 'utf8')) as { initiated: number };
  writeFileSync(file, JSON.stringify({ ...info, initiated: Date.now() - ageMs }));
}

interface Listed {
  key: string;
  uploadId: string;
}

describe('oss-sync cleanup', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  /** An emulator holding foreign, stale, current, resumable and orphaned uploads. */
  async function setUp(extra: Record<string, unknown> = {}) {
    fx = await createSyncFixture([{ name: 'main' }], extra);
    createTree(fx.folder('main'), { 'resume.bin': 'x'.repeat(300 * 1024) });
    const client = fx.emu.client();
    const init = async (key: string) => (await client.initMultipartUpload(key)).uploadId;
    const ids = {
      foreign: await init('elsewhere/old.bin'),
      stale: await init('main/stale.bin'),
      current: await init('main/current.bin'),
      resumable: await init('main/resume.bin'),
      orphan: await init('main/gone.bin'),
    };
    await client.uploadPart('main/stale.bin', ids.stale, 1, Buffer.alloc(100 * 1024, 1) as never, 0, 100 * 1024);
    // The state database holds `resumable` for a queued file, and `orphan` for a file since forgotten.
    const store = fx.openStore();
    try {
      const st = statSync(join(fx.folder('main'), 'resume.bin'), { bigint: true });
      const fp = { size: Number(st.size), mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev };
      store.queue.observe('main', [{ relPath: 'resume.bin', bucket: fx.emu.bucket, key: 'main/resume.bin', ...fp }]);
      const row = store.queue.find('main', 'resume.bin')!;
      const record = { bucket: fx.emu.bucket, partSize: 100 * 1024, partCount: 3, fingerprint: fp, createdAt: Date.now() - 30 * DAY };
      store.uploads.begin(row.id, { ...record, uploadId: ids.resumable, key: 'main/resume.bin' });
      store.uploads.begin(null, { ...record, uploadId: ids.orphan, key: 'main/gone.bin' });
    } finally {
      store.close();
    }
    for (const id of [ids.foreign, ids.stale, ids.resumable]) backdate(fx.emu.dataDir, id, 10 * DAY);
    await fx.emu.restart();
    return ids;
  }

  async function serverUploads(): Promise<Listed[]> {
    const r = await fx!.emu.client().listUploads({ 'max-uploads': 1000 });
    return (r.uploads ?? []).map((u: { name: string; uploadId: string }) => ({ key: u.name, uploadId: u.uploadId }));
  }

  it('--dry-run lists each upload under the prefixes with its parts, bytes and fate, and changes nothing', async () => {
    const ids = await setUp();
    const before = await serverUploads();
    const cli = fx!.spawnCli(['cleanup', '--config', fx!.configPath, '--dry-run', '--json']);
    expect((await cli.exited).code).toBe(0);
    const out = JSON.parse(cli.stdout.join('\n')) as {
      uploads: Array<{ uploadId: string; action: string; parts: number; bytes: number; reason: string }>;
    };
    const fate = Object.fromEntries(out.uploads.map((u) => [u.uploadId, u.action]));
    expect(fate).toEqual({ [ids.stale]: 'abort', [ids.current]: 'keep', [ids.resumable]: 'keep', [ids.orphan]: 'abort' });
    expect(out.uploads.find((u) => u.uploadId === ids.stale)).toMatchObject({ parts: 1, bytes: 100 * 1024 });
    expect(out.uploads.find((u) => u.uploadId === ids.resumable)?.reason).toMatch(/resumable/);
    // Nothing outside the folder's prefix was even listed, and nothing was aborted.
    expect(fx!.emu.emulator.requestLog.entries().filter((e) => e.method === 'DELETE')).toEqual([]);
    expect(await serverUploads()).toEqual(before);

    const table = fx!.spawnCli(['cleanup', '--config', fx!.configPath, '--dry-run']);
    expect((await table.exited).code).toBe(0);
    const text = table.stdout.join('\n');
    expect(text).toMatch(
      /would abort\s+main\s+oss:\/\/test-bucket\/main\/stale\.bin\s+\S+\s+1\s+102400\s+not resumable, started 10 days ago/,
    );
    expect(text).toContain('2 upload(s) would be aborted (102400 bytes), 2 kept');
    expect(text).not.toContain('elsewhere/');
  });

  it('aborts stale and orphaned uploads only: foreign, current and resumable ones stay, and the orphan record is forgotten', async () => {
    const ids = await setUp();
    const cli = fx!.spawnCli(['cleanup', '--config', fx!.configPath]);
    expect((await cli.exited).code).toBe(0);
    expect(cli.stdout.join('\n')).toContain('2 upload(s) were aborted');
    const left = (await serverUploads()).map((u) => u.uploadId).sort();
    expect(left).toEqual([ids.foreign, ids.current, ids.resumable].sort());
    const store = fx!.openStore();
    try {
      expect(store.uploads.has(ids.orphan)).toBe(false);
      expect(store.uploads.has(ids.resumable)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('a shorter --older-than makes the current upload stale too; one under 1h is refused', async () => {
    const ids = await setUp();
    backdate(fx!.emu.dataDir, ids.current, 3 * 3_600_000);
    await fx!.emu.restart();
    const cli = fx!.spawnCli(['cleanup', '--config', fx!.configPath, '--older-than', '2h']);
    expect((await cli.exited).code).toBe(0);
    expect((await serverUploads()).map((u) => u.uploadId).sort()).toEqual([ids.foreign, ids.resumable].sort());
    const refused = fx!.spawnCli(['cleanup', '--config', fx!.configPath, '--older-than', '10m']);
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr.join('\n')).toContain('--older-than must be at least 1h');
  });

  it('run does the same on cleanup_schedule, without a command', async () => {
    const port = await freePort();
    const ids = await setUp({ cleanup_schedule: '* * * * * *', http: { listen: `127.0.0.1:${port}` } });
    const daemon = fx!.spawnCli(['run', '--config', fx!.configPath]);
    // By then the start-up has aborted the orphan and resumed resume.bin: the stale one is left to this pass.
    const done = await daemon.waitForLog((r) => r.msg === 'cleaned up stale multipart uploads');
    expect(done).toMatchObject({ aborted: 1 });
    const left = (await serverUploads()).map((u) => u.uploadId);
    expect(left).not.toContain(ids.stale);
    expect(left).toEqual(expect.arrayContaining([ids.foreign, ids.current]));
    // ...and /metrics says when.
    const scrape = async () => parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    const at = await waitFor(async () => metricValue(await scrape(), 'oss_sync_last_cleanup_timestamp_seconds'), {
      what: 'the cleanup time metric',
    });
    expect(Math.abs(at - Date.now() / 1000)).toBeLessThan(120);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('a cleanup_older_than under 1h is a located config error', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { cleanup_older_than: '5m' });
    const cli = fx.spawnCli(['run', '--config', fx.configPath]);
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr.join('\n')).toMatch(/config\.yaml:\d+:\d+: cleanup_older_than: "5m" is below the minimum of 1h/);
  });

  describe('lifecycle rules that abort incomplete uploads without oss-sync', () => {
    it('--lifecycle-rule prints one rule per folder prefix and sends nothing', async () => {
      fx = await createSyncFixture([{ name: 'main' }, { name: 'docs' }]);
      const cli = fx.spawnCli(['cleanup', '--config', fx.configPath, '--lifecycle-rule', '--days', '14']);
      expect((await cli.exited).code).toBe(0);
      const text = cli.stdout.join('\n');
      expect(text).toContain(`# bucket ${fx.emu.bucket}`);
      for (const name of ['main', 'docs']) {
        expect(text).toContain(`<ID>oss-sync-abort-incomplete-${name}</ID>\n    <Prefix>${name}/</Prefix>`);
      }
      expect(text.match(/<Days>14<\/Days>/g)).toHaveLength(2);
      expect(fx.emu.emulator.requestLog.entries()).toEqual([]);
    });

    it('--apply-lifecycle sets them; a bucket with rules of its own is refused and left as it was', async () => {
      fx = await createSyncFixture([{ name: 'main' }]);
      const apply = fx.spawnCli(['cleanup', '--config', fx.configPath, '--apply-lifecycle', '--days', '10']);
      expect((await apply.exited).code, apply.stderr.join('\n')).toBe(0);
      const client = fx.emu.client();
      const { rules } = await client.getBucketLifecycle(fx.emu.bucket);
      expect(rules).toEqual([
        expect.objectContaining({
          id: 'oss-sync-abort-incomplete-main',
          prefix: 'main/',
          status: 'Enabled',
          abortMultipartUpload: { days: '10' }, // ali-oss reads XML values as strings
        }),
      ]);

      // Someone else's rule: PutBucketLifecycle would replace it, so nothing is sent.
      const theirs = { id: 'expire-logs', prefix: 'logs/', status: 'Enabled' as const, expiration: { days: 365 } };
      await client.putBucketLifecycle(fx.emu.bucket, [theirs as unknown as OSS.LifecycleRule]); // the typings lag the SDK's expiration field
      const refused = fx.spawnCli(['cleanup', '--config', fx.configPath, '--apply-lifecycle']);
      expect((await refused.exited).code).toBe(1);
      expect(refused.stderr.join('\n')).toContain(`bucket ${fx.emu.bucket} has 1 lifecycle rule(s) of its own (expire-logs)`);
      expect((await client.getBucketLifecycle(fx.emu.bucket)).rules).toEqual([
        expect.objectContaining({ id: 'expire-logs', expiration: { days: '365' } }),
      ]);
    });

    it('refuses --days that would abort uploads oss-sync still keeps', async () => {
      fx = await createSyncFixture([{ name: 'main' }]);
      const cli = fx.spawnCli(['cleanup', '--config', fx.configPath, '--lifecycle-rule', '--days', '5']);
      expect((await cli.exited).code).toBe(2);
      expect(cli.stderr.join('\n')).toContain('--days 5 must be longer than cleanup_older_than');
    });
  });
});
