import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileRefusedError, FileReplacedError, MemoryBudget } from '../../src/uploader/index.js';
import type { FileIdentity } from '../../src/uploader/index.js';
import { KiB, useUploaderHarness } from './harness.js';
import { MemoryJournal } from './memory-journal.js';

/**
 * Rule: nothing outside a watched folder is ever read. A user who can write in the folder, but not
 * read the target, swaps a queued file (or a directory on its path) for a link to a root-only file.
 * The swaps happen at fixed points (before the upload, or when a part is recorded): no race.
 */
describe('the uploader reads only the queued regular file, below its folder root, through no link', () => {
  const h = useUploaderHarness();
  /** Bytes no test file contains by chance: found anywhere in the emulator's store, the secret leaked. */
  const marker = randomBytes(48);
  let n = 0;

  function setup(relPath: string, content: Buffer): { root: string; path: string; identity: FileIdentity; outside: string } {
    const base = join(h.dir.path, `case-${++n}`);
    const root = join(base, 'folder');
    const outside = join(base, 'outside');
    mkdirSync(outside, { recursive: true });
    const path = join(root, relPath);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    const st = statSync(path, { bigint: true });
    return { root, path, identity: { dev: st.dev, ino: st.ino }, outside };
  }

  /** A root-only file's content: the marker over and over, so any byte range of it shows. */
  function secretFile(path: string, size: number): void {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i += marker.length) marker.copy(content, i);
    writeFileSync(path, content, { mode: 0o600 });
  }

  function storeHoldsSecret(): boolean {
    const scan = (dir: string): boolean =>
      readdirSync(dir, { withFileTypes: true }).some((e) => {
        const full = join(dir, e.name);
        if (e.isDirectory()) return scan(full);
        return e.isFile() && readFileSync(full).includes(marker);
      });
    return scan(h.oss.dataDir);
  }

  it('refuses a small file swapped for a link to a file outside the folder: nothing sent, nothing stored', async () => {
    const { root, path, identity, outside } = setup('notes.txt', Buffer.from('public notes'));
    secretFile(join(outside, 'shadow'), 4 * KiB);
    unlinkSync(path);
    symlinkSync(join(outside, 'shadow'), path);
    for (const request of [{ folderRoot: root, expectedIdentity: identity }, { folderRoot: root }, {}]) {
      const upload = h
        .uploader()
        .upload({ localPath: path, bucket: h.oss.bucket, key: 'notes.txt', journal: new MemoryJournal(), ...request });
      await expect(upload).rejects.toBeInstanceOf(FileRefusedError);
      await expect(upload).rejects.toThrow(`refused to read ${path}: it is a symbolic link`);
    }
    expect(await h.getObject('notes.txt')).toBeUndefined();
    expect(h.requests('notes.txt', 'PutObject')).toHaveLength(0);
    expect(storeHoldsSecret()).toBe(false);
  });

  it('refuses a file whose directory below the root was swapped for a link, even with no identity to compare', async () => {
    const { root, path, outside } = setup('sub/deep/data.bin', Buffer.from('public data'));
    mkdirSync(join(outside, 'deep'));
    secretFile(join(outside, 'deep', 'data.bin'), 4 * KiB);
    renameSync(join(root, 'sub'), join(root, 'sub.real'));
    symlinkSync(outside, join(root, 'sub'));
    const upload = h
      .uploader()
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'data.bin', journal: new MemoryJournal(), folderRoot: root });
    await expect(upload).rejects.toBeInstanceOf(FileRefusedError);
    await expect(upload).rejects.toThrow(`refused to read ${path}: ${join(root, 'sub')} is a symbolic link`);
    expect(await h.getObject('data.bin')).toBeUndefined();
    expect(storeHoldsSecret()).toBe(false);
  });

  // Parts are read with BufferedFileRange, into lanes or (big parts) slice by slice: either way it
  // opens the path again for each part, where a swap between parts would otherwise lead.
  it.each([
    ['read into lanes', {}],
    ['streamed', { memoryBudget: new MemoryBudget(10 * KiB) }],
  ])('stops a multipart upload whose directory turns into a link after part 1 (%s): no later part is sent', async (_how, options) => {
    const size = 300 * KiB;
    const { root, path, identity, outside } = setup('photos/big.bin', randomBytes(size));
    mkdirSync(join(outside, 'photos'));
    secretFile(join(outside, 'photos', 'big.bin'), size);
    const journal = new MemoryJournal();
    journal.onPart = (recorded) => {
      if (recorded !== 1) return;
      renameSync(join(root, 'photos'), join(root, 'photos.real'));
      symlinkSync(join(outside, 'photos'), join(root, 'photos'));
    };
    const key = `big-${n}.bin`;
    const upload = h.uploader({ partConcurrency: 1, ...options }).upload({
      localPath: path,
      bucket: h.oss.bucket,
      key,
      journal,
      folderRoot: root,
      expectedIdentity: identity,
    });
    await expect(upload).rejects.toBeInstanceOf(FileRefusedError);
    expect(h.partRequests(key)).toEqual([1]);
    expect(await h.getObject(key)).toBeUndefined();
    expect(storeHoldsSecret()).toBe(false);
  });

  it('refuses a FIFO or a device behind a link without opening it (no hang), and a FIFO on the path', async () => {
    const { root, path, outside } = setup('queue/job.txt', Buffer.from('job'));
    const fifo = join(outside, 'pipe');
    execFileSync('mkfifo', [fifo]);
    unlinkSync(path);
    symlinkSync(fifo, path);
    const viaLink = h
      .uploader()
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'job.txt', journal: new MemoryJournal(), folderRoot: root });
    await expect(viaLink).rejects.toThrow(`refused to read ${path}: it is a symbolic link`);
    unlinkSync(path);
    symlinkSync('/dev/zero', path);
    const device = h
      .uploader()
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'job.txt', journal: new MemoryJournal(), folderRoot: root });
    await expect(device).rejects.toBeInstanceOf(FileRefusedError);
    unlinkSync(path);
    execFileSync('mkfifo', [path]); // a FIFO right in the file's place: refused by its type, unopened
    const inPlace = h
      .uploader()
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'job.txt', journal: new MemoryJournal(), folderRoot: root });
    await expect(inPlace).rejects.toThrow(`refused to read ${path}: not a regular file (a FIFO)`);
    expect(lstatSync(path).isFIFO()).toBe(true);
    expect(h.requests('job.txt', 'PutObject')).toHaveLength(0);
  });

  it('refuses another regular file than the one queued, saying what it found', async () => {
    const { root, path, identity } = setup('report.txt', Buffer.from('the queued report'));
    // An editor's save: a new file renamed over the old (a new inode, as the old is still there meanwhile).
    writeFileSync(`${path}.new`, 'a different file by the same name');
    renameSync(`${path}.new`, path);
    const found = statSync(path, { bigint: true });
    const upload = h.uploader().upload({
      localPath: path,
      bucket: h.oss.bucket,
      key: 'report.txt',
      journal: new MemoryJournal(),
      folderRoot: root,
      expectedIdentity: identity,
    });
    await expect(upload).rejects.toBeInstanceOf(FileReplacedError);
    const err = (await upload.catch((e: unknown) => e)) as FileReplacedError;
    expect(err.found).toEqual({ size: Number(found.size), mtimeNs: found.mtimeNs, ino: found.ino, dev: found.dev });
    expect(await h.getObject('report.txt')).toBeUndefined();
  });

  it('still uploads the queued file through a folder root that is itself a link', async () => {
    const { root, path, identity } = setup('ok/plain.txt', Buffer.from('fine'));
    const linkedRoot = `${root}-link`;
    symlinkSync(root, linkedRoot);
    const localPath = join(linkedRoot, 'ok', 'plain.txt');
    await h.uploader().upload({
      localPath,
      bucket: h.oss.bucket,
      key: 'plain.txt',
      journal: new MemoryJournal(),
      folderRoot: linkedRoot,
      expectedIdentity: identity,
    });
    expect((await h.getObject('plain.txt'))?.toString()).toBe('fine');
    expect(path).not.toBe(localPath);
  });
});
