/**
 * A name that is not UTF-8 (`a\xff.txt`) decodes to the same string as a name holding a real U+FFFD
 * (`a\uFFFD.txt`). Side by side, the real one must be backed up and the other named as an error:
 * neither may hide the other, whichever walk reads the folder.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

/** An absolute path with the byte 0xFF (never valid in UTF-8) where `\xff` stands in `rel`. */
function latin(root: string, rel: string): Buffer {
  const [before, after] = rel.split('\\xff');
  return Buffer.concat([Buffer.from(`${root}/${before}`), Buffer.from([0xff]), Buffer.from(after!)]);
}

describe('`once` over names that are not UTF-8 beside names with a real U+FFFD', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  for (const walker of ['find', 'in-thread'] as const) {
    it(`backs up the real U+FFFD names and names the others as EILSEQ errors, exit 1 (${walker} walk)`, async () => {
      fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror' }]);
      const root = fx.folder('main');
      writeFileSync(join(root, 'ok.txt'), 'ok');
      writeFileSync(join(root, 'a\uFFFD.txt'), 'real U+FFFD');
      writeFileSync(latin(root, 'a\\xff.txt'), 'latin-1 byte, not UTF-8');
      mkdirSync(join(root, 'd\uFFFD'));
      writeFileSync(join(root, 'd\uFFFD', 'in.txt'), 'in a real U+FFFD directory');
      mkdirSync(latin(root, 'd\\xff'));
      writeFileSync(Buffer.concat([latin(root, 'd\\xff'), Buffer.from('/hidden.txt')]), 'in a directory Node cannot open');

      const once = fx.spawnCli(['once', '--config', fx.configPath], {
        OSS_SYNC_WALKER: walker,
      });
      const { code } = await once.exited;
      const stderr = once.stderr.join('\n');
      expect(code, stderr).toBe(1);
      expect(stderr).toContain('a\uFFFD.txt (EILSEQ)');
      // find lists the file inside the directory; the Node walks cannot open the directory itself.
      expect(stderr).toContain(walker === 'find' ? 'd\uFFFD/hidden.txt (EILSEQ)' : 'd\uFFFD (EILSEQ)');
      const warned = once.stdout.filter((l) => l.includes('cannot read path during scan') && l.includes('not valid UTF-8'));
      expect(warned.length).toBe(2);
      expect(await fx.remoteKeys('main/')).toEqual(['main/a\uFFFD.txt', 'main/d\uFFFD/in.txt', 'main/ok.txt']);
      expect((await fx.remote('main/a\uFFFD.txt'))?.toString()).toBe('real U+FFFD');
      expect((await fx.remote('main/d\uFFFD/in.txt'))?.toString()).toBe('in a real U+FFFD directory');

      // Run again: the same verdict, and the undecodable name's error does not delete its twin.
      const again = fx.spawnCli(['once', '--config', fx.configPath], {
        OSS_SYNC_WALKER: walker,
      });
      expect((await again.exited).code).toBe(1);
      expect(fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'DeleteObject')).toEqual([]);
      expect(await fx.remoteKeys('main/')).toEqual(['main/a\uFFFD.txt', 'main/d\uFFFD/in.txt', 'main/ok.txt']);
    }, 60_000);
  }

  // parcel reports the removal of `a\xff.txt` as one of `a\uFFFD.txt`: the real file, still there.
  for (const watcher of ['native', 'chokidar'] as const) {
    it(`\`run\` (${watcher} watcher) does not delete the real U+FFFD file's object when its undecodable twin is removed`, async () => {
      fx = await createSyncFixture([{ name: 'main', delete_policy: 'mirror', watcher }]);
      const root = fx.folder('main');
      writeFileSync(join(root, 'a\uFFFD.txt'), 'real U+FFFD');
      const f = fx;
      await f.startDaemon();
      const uploaded = (key: string) => waitFor(async () => (await f.remoteKeys('main/')).includes(key), { what: `${key} uploaded` });
      await uploaded('main/a\uFFFD.txt');
      writeFileSync(latin(root, 'a\\xff.txt'), 'not UTF-8');
      rmSync(latin(root, 'a\\xff.txt'));
      // Events come in order, and a delete is due at once while a new file settles first.
      writeFileSync(join(root, 'after.txt'), 'a later file');
      await uploaded('main/after.txt');
      expect(fx.emu.emulator.requestLog.entries().filter((e) => e.operation === 'DeleteObject')).toEqual([]);
      expect((await fx.remote('main/a\uFFFD.txt'))?.toString()).toBe('real U+FFFD');
    }, 60_000);
  }
});
