import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

let fx: SyncFixture | undefined;
const dirs: Array<{ remove(): void }> = [];
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  for (const d of dirs.splice(0)) d.remove();
});

async function once(f: SyncFixture): Promise<string> {
  const p = f.spawnCli(['once', '--config', f.configPath]);
  const { code } = await p.exited;
  expect(code, p.stderr.join('\n')).toBe(0);
  return p.stdout.join('\n');
}

/**
 * A moment strictly between the run that just ended and the next write, a second apart: OSS lists
 * versions' times in whole seconds, so a write in the same second as `at` counts as at or before it.
 */
async function moment(): Promise<string> {
  const at = new Date().toISOString();
  await waitFor(() => Math.floor(Date.now() / 1000) > Math.floor(Date.parse(at) / 1000), { what: 'the next second' });
  return at;
}

async function restoreAt(f: SyncFixture, at: string): Promise<string> {
  const to = tempDir('oss-sync-restore-at-');
  dirs.push(to);
  const p = f.spawnCli(['restore', '--config', f.configPath, '--folder', 'main', '--to', to.path, '--at', at]);
  const { code } = await p.exited;
  expect(code, p.stderr.join('\n') + p.stdout.join('\n')).toBe(0);
  return to.path;
}

describe('oss-sync restore --at and verify (a versioned bucket, a mirror folder)', () => {
  it('rebuilds the folder as it was (a file changed twice, a deleted file back, a later file absent); verify counts the versions', async () => {
    fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
    const client = fx.emu.client() as unknown as { putBucketVersioning(bucket: string, status: string): Promise<unknown> };
    await client.putBucketVersioning(fx.emu.bucket, 'Enabled');
    const dir = fx.folder('main');
    const big1 = randomBytes(300 * 1024); // multipart: restored in ranged GETs of that version
    const big2 = randomBytes(300 * 1024);
    writeFileSync(join(dir, 'a.txt'), 'a one');
    writeFileSync(join(dir, 'gone.txt'), 'deleted later');
    writeFileSync(join(dir, 'big.bin'), big1);
    await once(fx);
    const t1 = await moment();

    writeFileSync(join(dir, 'a.txt'), 'a two');
    rmSync(join(dir, 'gone.txt'));
    writeFileSync(join(dir, 'big.bin'), big2);
    await once(fx);
    expect(await fx.remote('main/gone.txt')).toBeUndefined(); // a delete marker now
    const t2 = await moment();

    writeFileSync(join(dir, 'a.txt'), 'a three');
    writeFileSync(join(dir, 'later.txt'), 'new');
    await once(fx);

    const at1 = await restoreAt(fx, t1);
    expect(readFileSync(join(at1, 'a.txt'), 'utf8')).toBe('a one');
    expect(readFileSync(join(at1, 'gone.txt'), 'utf8')).toBe('deleted later');
    expect(readFileSync(join(at1, 'big.bin')).equals(big1)).toBe(true);
    expect(existsSync(join(at1, 'later.txt'))).toBe(false);

    const at2 = await restoreAt(fx, t2);
    expect(readFileSync(join(at2, 'a.txt'), 'utf8')).toBe('a two');
    expect(existsSync(join(at2, 'gone.txt'))).toBe(false);
    expect(readFileSync(join(at2, 'big.bin')).equals(big2)).toBe(true);
    expect(existsSync(join(at2, 'later.txt'))).toBe(false);

    // a.txt: 2 older versions, big.bin and gone.txt: 1 each; gone.txt's delete marker.
    const verify = fx.spawnCli(['verify', '--config', fx.configPath]);
    const { code } = await verify.exited;
    expect(verify.stdout.join('\n')).toContain('3 object(s), 4 noncurrent version(s), 1 delete marker(s)');
    expect(code, verify.stdout.join('\n')).toBe(0);
  });

  // Without versioning a changed file has no older version: --at would leave out every file changed
  // since TIME and report success, the restored folder quietly missing them.
  it('refuses --at on a bucket whose versioning was never enabled, naming the bucket', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const dir = fx.folder('main');
    writeFileSync(join(dir, 'a.txt'), 'a one');
    await once(fx);
    const t1 = await moment();
    writeFileSync(join(dir, 'a.txt'), 'a two');
    await once(fx);
    const to = tempDir('oss-sync-restore-at-');
    dirs.push(to);
    const p = fx.spawnCli(['restore', '--config', fx.configPath, '--folder', 'main', '--to', to.path, '--at', t1]);
    const { code } = await p.exited;
    expect(code, p.stdout.join('\n')).toBe(1);
    expect(p.stderr.join('\n')).toContain(`bucket ${fx.emu.bucket} has no versioning`);
    expect(existsSync(join(to.path, 'a.txt'))).toBe(false);
  });

  it('refuses a --at that is not a time, naming it', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const p = fx.spawnCli(['restore', '--config', fx.configPath, '--folder', 'main', '--at', 'yesterday']);
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr.join('\n')).toContain("--at: 'yesterday' is not a time");
  });
});
