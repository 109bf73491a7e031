import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { BufferedFileRange } from '../../src/uploader/buffered-file-range.js';
import { FileChangedError, FileGoneError } from '../../src/uploader/index.js';
import { SLICE } from '../../src/uploader/in-memory-body.js';
import { tempDir } from '../helpers/fixtures.js';

const UNREAD = 0xee;

describe('BufferedFileRange: a part read into its buffer as it is sent', () => {
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  /** A file of 4.5 slices and a part of it (3.5 slices from offset 100), its buffer marked unread. */
  const setup = (): { path: string; content: Buffer; body: BufferedFileRange; buffer: Buffer; range: Buffer } => {
    const dir = tempDir();
    dirs.push(dir);
    const path = join(dir.path, 'f.bin');
    const content = randomBytes(4.5 * SLICE);
    writeFileSync(path, content);
    const buffer = Buffer.alloc(3.5 * SLICE, UNREAD);
    return {
      path,
      content,
      body: new BufferedFileRange({ path }, 100, buffer.length, buffer),
      buffer,
      range: content.subarray(100, 100 + buffer.length),
    };
  };
  const all = async (stream: Readable): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const first = async (stream: Readable): Promise<Buffer> => {
    for await (const chunk of stream) return Buffer.from(chunk as Buffer); // breaking out destroys the stream
    throw new Error('no chunk');
  };

  it("sends exactly the range's bytes, and its CRC-64 once all of them were read", async () => {
    const { body, range } = setup();
    const stream = body.open();
    expect(() => body.digest()).toThrow(/was not read to the end/);
    expect((await all(stream)).equals(range)).toBe(true);
    expect(body.digest()).toBe(crc64(range));
  });

  it('sends the first slice before the rest of the part is read from disk (no connection waits for a whole part)', async () => {
    const { body, buffer, range } = setup();
    const slice = await first(body.open());
    expect(slice.equals(range.subarray(0, SLICE))).toBe(true);
    // At most the slice after it was read ahead: the last one is untouched.
    expect(buffer.subarray(3 * SLICE).every((b) => b === UNREAD)).toBe(true);
  });

  it('sends what an attempt cut short had read from memory, and reads only the rest: the same bytes, the same CRC-64', async () => {
    const { path, content, body, range } = setup();
    await first(body.open());
    // Were the first slice read again, the second attempt would send (and hash) these bytes instead.
    const changed = Buffer.from(content);
    changed.fill(0, 0, 100 + SLICE);
    writeFileSync(path, changed);
    expect((await all(body.open())).equals(range)).toBe(true);
    expect(body.digest()).toBe(crc64(range));
  });

  it('calls a file that ends before the part does changed, never sending a short part', async () => {
    const { path, body } = setup();
    truncateSync(path, 2 * SLICE);
    await expect(all(body.open())).rejects.toBeInstanceOf(FileChangedError);
    expect(() => body.digest()).toThrow(/was not read to the end/);
  });

  it('without a buffer, reads and hashes the range again at each attempt (memory: a few slices)', async () => {
    const { path, content, range } = setup();
    const body = new BufferedFileRange({ path }, 100, range.length);
    await first(body.open());
    expect((await all(body.open())).equals(range)).toBe(true);
    expect(body.digest()).toBe(crc64(range));
    const changed = Buffer.from(content).fill(0, 0, 100 + SLICE);
    writeFileSync(path, changed);
    const again = changed.subarray(100, 100 + range.length);
    expect((await all(body.open())).equals(again)).toBe(true);
    expect(body.digest()).toBe(crc64(again));
  });

  it('reports a vanished file as gone, and a FIFO in its place by name without hanging (no writer)', async () => {
    const { path } = setup();
    unlinkSync(path);
    expect(() => new BufferedFileRange({ path }, 0, 4).open()).toThrow(FileGoneError);
    execFileSync('mkfifo', [path]);
    expect(() => new BufferedFileRange({ path }, 0, 4).open()).toThrow(path);
  });
});
