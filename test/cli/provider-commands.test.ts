import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTree } from '../helpers/fixtures.js';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

describe('one-shot commands under a credentials provider', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it('verify, restore and cleanup sign with the provider the daemon uses (no access_key_id in the config)', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    const answer = {
      AccessKeyId: fx.emu.accessKeyId,
      AccessKeySecret: fx.emu.accessKeySecret,
      SecurityToken: 'provider-token-never-printed',
      Expiration: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const script = `process.stdout.write(${JSON.stringify(JSON.stringify(answer))})`;
    fx.writeConfig(undefined, {
      oss: { endpoint: fx.emu.endpoint, credentials: { provider: 'process', command: [process.execPath, '-e', script] } },
    });
    createTree(fx.folder('main'), { 'a.txt': 'alpha', 'sub/b.txt': 'beta' });
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code).toBe(0);

    const verify = fx.spawnCli(['verify', '--config', fx.configPath, '--checksum']);
    expect((await verify.exited).code, verify.stderr.join('\n')).toBe(0);
    const to = join(fx.root, 'restored');
    const restore = fx.spawnCli(['restore', '--config', fx.configPath, '--folder', 'main', '--to', to]);
    expect((await restore.exited).code, restore.stderr.join('\n')).toBe(0);
    expect(readFileSync(join(to, 'sub', 'b.txt'), 'utf8')).toBe('beta');
    const cleanup = fx.spawnCli(['cleanup', '--config', fx.configPath, '--dry-run']);
    expect((await cleanup.exited).code, cleanup.stderr.join('\n')).toBe(0);
    for (const cli of [verify, restore, cleanup]) expect([...cli.stdout, ...cli.stderr].join('\n')).not.toContain(answer.SecurityToken);
  });
});
