import { closeSync, mkdirSync, readSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryCache, FileRefusedError, FileReplacedError, openFolderFile } from '../../src/uploader/index.js';
import { tempDir } from '../helpers/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());

function identity(path: string): { dev: bigint; ino: bigint } {
  const st = statSync(path, { bigint: true });
  return { dev: st.dev, ino: st.ino };
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(64);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  return buf.subarray(0, n).toString();
}

/**
 * Rule: nothing outside a watched folder is ever read, also through a directory kept open for the
 * next file (adoption's pass). A user who can write in the folder swaps the kept directory for a
 * link, or moves it out of the folder and puts other files in it.
 */
describe('openFolderFile through a kept directory (DirectoryCache)', () => {
  it('a directory swapped for a link or moved out after it was kept: only the inodes the walk found are read', () => {
    const root = join(dir.path, 'folder');
    const outside = join(dir.path, 'outside');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(outside);
    const [a, b] = [join(root, 'sub', 'a.txt'), join(root, 'sub', 'b.txt')];
    writeFileSync(a, 'inside a');
    writeFileSync(b, 'inside b');
    writeFileSync(join(outside, 'b.txt'), 'secret b', { mode: 0o600 });
    const walked = { a: identity(a), b: identity(b) };
    const dirs = new DirectoryCache();
    try {
      expect(readAll(openFolderFile({ path: a, root, expected: walked.a }, dirs).fd)).toBe('inside a');

      renameSync(join(root, 'sub'), join(root, 'sub.real'));
      symlinkSync(outside, join(root, 'sub'));
      // The kept directory is the folder's own, wherever it went: never the link's target.
      expect(readAll(openFolderFile({ path: b, root, expected: walked.b }, dirs).fd)).toBe('inside b');
      // Without an identity to check, the kept directory is not used: the link is met and refused.
      expect(() => openFolderFile({ path: b, root }, dirs)).toThrow(`${join(root, 'sub')} is a symbolic link`);
      expect(() => openFolderFile({ path: b, root, expected: walked.b }, new DirectoryCache())).toThrow(FileRefusedError);

      // Moved out of the folder, another file put in its place: refused, not read.
      rmSync(join(root, 'sub'));
      renameSync(join(root, 'sub.real'), join(outside, 'moved'));
      // (Renamed, not deleted: a freed inode number may be given to the next file.)
      renameSync(join(outside, 'moved', 'a.txt'), join(outside, 'moved', 'a.old'));
      writeFileSync(join(outside, 'moved', 'a.txt'), 'secret a', { mode: 0o600 });
      expect(() => openFolderFile({ path: a, root, expected: walked.a }, dirs)).toThrow(FileReplacedError);
      rmSync(join(outside, 'moved', 'a.txt'));
      symlinkSync(join(outside, 'b.txt'), join(outside, 'moved', 'a.txt'));
      expect(() => openFolderFile({ path: a, root, expected: walked.a }, dirs)).toThrow(`refused to read ${a}: it is a symbolic link`);
    } finally {
      dirs.close();
    }
  });
});
