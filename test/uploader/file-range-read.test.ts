import { execFileSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileChangedError, FileGoneError } from '../../src/uploader/index.js';
import { readFileRange } from '../../src/uploader/file-range-read.js';
import { tempDir } from '../helpers/fixtures.js';

describe('readFileRange', () => {
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  const file = (content: string): string => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, 'f.bin');
    writeFileSync(path, content);
    return path;
  };

  it('fills the buffer with the bytes at the offset', async () => {
    const into = Buffer.alloc(4);
    await readFileRange(file('0123456789'), 3, into);
    expect(into.toString()).toBe('3456');
  });

  it('calls a file that ends before the range does changed, never returning a short part', async () => {
    await expect(readFileRange(file('01234'), 3, Buffer.alloc(4))).rejects.toBeInstanceOf(FileChangedError);
  });

  it('reports a vanished file as gone', async () => {
    const path = file('x');
    await expect(readFileRange(`${path}.missing`, 0, Buffer.alloc(1))).rejects.toBeInstanceOf(FileGoneError);
  });

  it('does not hang on a FIFO that replaced the file (no writer): a clear error naming it', async () => {
    const path = file('0123456789');
    unlinkSync(path);
    execFileSync('mkfifo', [path]);
    await expect(readFileRange(path, 0, Buffer.alloc(4))).rejects.toThrow(path);
  });
});
