import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileGoneError, FileRefusedError } from '../../src/uploader/errors.js';
import { snapshotFile } from '../../src/uploader/file-snapshot.js';
import { tempDir } from '../helpers/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe('snapshotFile: a small file read whole through one descriptor', () => {
  it('returns the content and the identity the file had while it was read', () => {
    const path = join(dir.path, 'small.txt');
    writeFileSync(path, 'hello, snapshot');
    const st = statSync(path, { bigint: true });
    const snap = snapshotFile({ path }, 1024);
    expect(snap.bytes?.toString()).toBe('hello, snapshot');
    expect(snap.fingerprint).toEqual({ size: 15, mtimeNs: st.mtimeNs, ino: st.ino, dev: st.dev });
  });

  it('only stats a file above the limit (it is streamed instead)', () => {
    const path = join(dir.path, 'big.bin');
    writeFileSync(path, Buffer.alloc(4096, 7));
    const snap = snapshotFile({ path }, 4095);
    expect(snap.bytes).toBeUndefined();
    expect(snap.fingerprint.size).toBe(4096);
    expect(snapshotFile({ path }, 4096).bytes).toEqual(Buffer.alloc(4096, 7));
  });

  it('reads an empty file', () => {
    const path = join(dir.path, 'empty');
    writeFileSync(path, '');
    expect(snapshotFile({ path }, 1024).bytes).toEqual(Buffer.alloc(0));
  });

  it('types a missing file, a directory and a FIFO (without waiting for a writer)', () => {
    expect(() => snapshotFile({ path: join(dir.path, 'missing') }, 1024)).toThrow(FileGoneError);
    expect(() => snapshotFile({ path: dir.path }, 1024)).toThrow(/not a regular file \(a directory\)/);
    const fifo = join(dir.path, 'queue.fifo');
    execFileSync('mkfifo', [fifo]);
    // Refused, never opened for reading: gone, for the walk to judge again (nothing parked).
    expect(() => snapshotFile({ path: fifo }, 1024)).toThrow(FileRefusedError);
    expect(() => snapshotFile({ path: fifo }, 1024)).toThrow(`refused to read ${fifo}: not a regular file (a FIFO)`);
  });
});
