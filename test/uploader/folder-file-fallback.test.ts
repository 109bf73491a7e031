import { mkdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type * as NodeFs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/fixtures.js';

// As on a system without /proc/self/fd (not Linux): the components are lstat'ed around the open.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  return { ...fs, existsSync: (path: string) => (path === '/proc/self/fd' ? false : fs.existsSync(path)) };
});
const { openFolderFile } = await import('../../src/uploader/folder-file.js');
const { FileRefusedError, FileReplacedError } = await import('../../src/uploader/errors.js');
const { closeSync } = await import('node:fs');

const dir = tempDir();
afterAll(() => dir.remove());

describe('openFolderFile without /proc/self/fd', () => {
  it('opens the queued file, refuses a link in its place or on its path, and another inode', () => {
    const root = join(dir.path, 'folder');
    const outside = join(dir.path, 'outside');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    mkdirSync(join(outside, 'b'), { recursive: true });
    const path = join(root, 'a', 'b', 'f.txt');
    writeFileSync(path, 'inside');
    writeFileSync(join(outside, 'b', 'f.txt'), 'outside');
    const st = statSync(path, { bigint: true });
    const opened = openFolderFile({ path, root, expected: { dev: st.dev, ino: st.ino } });
    expect(opened.stats.ino).toBe(st.ino);
    closeSync(opened.fd);

    expect(() => openFolderFile({ path, root, expected: { dev: st.dev, ino: st.ino + 1n } })).toThrow(FileReplacedError);
    renameSync(join(root, 'a'), join(root, 'a.real'));
    symlinkSync(outside, join(root, 'a'));
    expect(() => openFolderFile({ path, root })).toThrow(FileRefusedError);
    expect(() => openFolderFile({ path, root })).toThrow(`${join(root, 'a')} is a symbolic link`);
    const link = join(root, 'a.real', 'b', 'f.txt');
    renameSync(link, `${link}.old`);
    symlinkSync(join(outside, 'b', 'f.txt'), link);
    expect(() => openFolderFile({ path: link, root })).toThrow(`refused to read ${link}: it is a symbolic link`);
  });
});
