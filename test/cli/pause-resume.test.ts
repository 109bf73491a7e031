import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

async function cli(f: SyncFixture, args: string[]): Promise<{ code: number | null; out: string }> {
  const p = f.spawnCli([...args, '--config', f.configPath]);
  const { code } = await p.exited;
  return { code, out: [...p.stdout, ...p.stderr].join('\n') };
}

describe('oss-sync pause / resume', () => {
  it('pauses and resumes a folder of a running daemon; the other folder goes on', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'other' }]);
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'oss-sync started');

    expect(await cli(fx, ['pause', 'main'])).toEqual({ code: 0, out: 'main: paused' });
    await run.waitForLog((r) => r.msg === 'folder paused by an operator' && r.folder === 'main');
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'written while paused');
    writeFileSync(join(fx.folder('other'), 'o.txt'), 'other');
    await waitFor(async () => (await fx!.remote('other/o.txt'))?.toString() === 'other', { what: 'the other folder synced' });
    const status = await cli(fx, ['status', '--json']);
    const main = (JSON.parse(status.out) as { folders: Array<{ folder: string; mode: string; queued: number }> }).folders.find(
      (f) => f.folder === 'main',
    );
    expect(main).toMatchObject({ mode: 'paused', queued: 1 });
    expect(await fx.remoteKeys('main/')).toEqual([]);

    expect((await cli(fx, ['resume', 'main'])).code).toBe(0);
    await waitFor(async () => (await fx!.remote('main/a.txt'))?.toString() === 'written while paused', { what: 'the upload once resumed' });
  });

  it('without a daemon: once honours the pause until resume; an unknown folder is refused by name and changes nothing', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'a');
    expect((await cli(fx, ['once'])).code).toBe(0);
    writeFileSync(join(fx.folder('main'), 'b.txt'), 'b');

    const typo = await cli(fx, ['pause', 'main', 'mian']);
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('no folder named mian');
    expect((await cli(fx, ['once'])).code).toBe(0); // the typo paused nothing, main included
    expect((await fx.remote('main/b.txt'))?.toString()).toBe('b');

    expect((await cli(fx, ['pause', 'main'])).code).toBe(0);
    writeFileSync(join(fx.folder('main'), 'c.txt'), 'c');
    const paused = await cli(fx, ['once']);
    expect(paused.code).toBe(1);
    expect(paused.out).toContain('oss-sync resume');
    expect(await fx.remote('main/c.txt')).toBeUndefined();

    expect((await cli(fx, ['resume', 'main'])).code).toBe(0);
    expect((await cli(fx, ['once'])).code).toBe(0);
    expect((await fx.remote('main/c.txt'))?.toString()).toBe('c');
  });

  it('a pause of a folder no longer in the config is forgotten: a later folder of that name starts unpaused', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'old' }]);
    expect((await cli(fx, ['once'])).code).toBe(0);
    expect((await cli(fx, ['pause', 'old'])).code).toBe(0);
    fx.writeConfig([{ name: 'main' }]);
    expect((await cli(fx, ['once'])).code).toBe(0);
    fx.writeConfig([{ name: 'main' }, { name: 'old' }]);
    writeFileSync(join(fx.folder('old'), 'x.txt'), 'x');
    expect((await cli(fx, ['once'])).code).toBe(0);
    expect((await fx.remote('old/x.txt'))?.toString()).toBe('x');
  });

  it('a running daemon forgets the pause of a folder a reload removes: added back, it starts unpaused', async () => {
    fx = await createSyncFixture([{ name: 'main' }, { name: 'old' }]);
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    await run.waitForLog((r) => r.msg === 'oss-sync started');
    expect((await cli(fx, ['pause', 'old'])).code).toBe(0);
    await run.waitForLog((r) => r.msg === 'folder paused by an operator' && r.folder === 'old');
    fx.writeConfig([{ name: 'main' }]);
    run.child.kill('SIGHUP');
    await run.waitForLog((r) => r.msg === 'configuration reloaded' && r.removed === 1);
    fx.writeConfig([{ name: 'main' }, { name: 'old' }]);
    writeFileSync(join(fx.folder('old'), 'x.txt'), 'x');
    run.child.kill('SIGHUP');
    await run.waitForLog((r) => r.msg === 'configuration reloaded' && r.added === 1);
    await waitFor(async () => (await fx!.remote('old/x.txt'))?.toString() === 'x', { what: 'the folder added back uploads' });
    const status = JSON.parse((await cli(fx, ['status', '--json'])).out) as { folders: Array<{ folder: string; mode: string }> };
    expect(status.folders.find((f) => f.folder === 'old')?.mode).not.toBe('paused');
  });
});
