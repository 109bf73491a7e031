import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileGoneError, PermanentError } from '../../src/uploader/errors.js';
import { fingerprintChange, fingerprintOf, localFileError } from '../../src/uploader/local-file.js';
import { tempDir } from '../helpers/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe('local file identity', () => {
  it('fingerprints a real file and tells what changed', async () => {
    const path = join(dir.path, 'f.txt');
    writeFileSync(path, 'one');
    const before = await fingerprintOf(path);
    expect(before.size).toBe(3);
    expect(fingerprintChange(before, await fingerprintOf(path))).toBeUndefined();
    expect(fingerprintChange(before, { ...before, size: 4 })).toBe('size 3 -> 4');
    expect(fingerprintChange(before, { ...before, mtimeNs: before.mtimeNs + 1n })).toBe('mtime changed');
    expect(fingerprintChange(before, { ...before, ino: before.ino + 1n })).toBe('replaced by another file');
  });

  it('types missing, unreadable and non-regular files', async () => {
    await expect(fingerprintOf(join(dir.path, 'missing'))).rejects.toThrow(FileGoneError);
    await expect(fingerprintOf(dir.path)).rejects.toThrow(/is not a regular file/);
    const denied = localFileError('/data/secret.db', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open' }));
    expect(denied).toBeInstanceOf(PermanentError);
    expect((denied as Error).message).toBe('cannot read /data/secret.db: permission denied (EACCES)');
  });
});
