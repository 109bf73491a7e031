import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { BufferedFileRange } from '../../src/uploader/buffered-file-range.js';
import { IntegrityError } from '../../src/uploader/errors.js';
import type { StoredChecksums } from '../../src/uploader/object-storage.js';
import { sendVerified } from '../../src/uploader/upload-context.js';
import { tempDir } from '../helpers/fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());
const content = Buffer.from('0123456789'.repeat(10_000));
const path = join(dir.path, 'data.bin');
writeFileSync(path, content);
const crc = crc64(content.subarray(100, 50_100));

/** A "server" that reads the body and answers with the given checksums, one per attempt. */
function server(body: BufferedFileRange, answers: StoredChecksums[]): { send: () => Promise<StoredChecksums>; calls: () => number } {
  let calls = 0;
  return {
    send: async () => {
      await pipeline(body.open(), new Writable({ write: (_chunk, _enc, done) => done() }));
      return answers[Math.min(calls++, answers.length - 1)]!;
    },
    calls: () => calls,
  };
}

describe('sendVerified: the CRC-64 computed while the bytes stream', () => {
  it('hashes exactly the range and accepts the matching CRC-64, whatever the ETag', async () => {
    const body = new BufferedFileRange({ path }, 100, 50_000);
    const s = server(body, [{ etag: '"not-an-md5"', crc64: crc }]);
    const { crc64: sent } = await sendVerified('part 1', body, s.send);
    expect(sent).toBe(crc);
    expect(s.calls()).toBe(1);
  });

  it('re-sends after a wrong or missing CRC-64, and gives up with an IntegrityError', async () => {
    const body = new BufferedFileRange({ path }, 100, 50_000);
    const flaky = server(body, [
      { etag: '"A"', crc64: '1' },
      { etag: '"A"', crc64: undefined },
      { etag: '"A"', crc64: crc },
    ]);
    await sendVerified('part 1', body, flaky.send);
    expect(flaky.calls()).toBe(3);

    const broken = server(body, [{ etag: '"A"', crc64: undefined }]);
    await expect(sendVerified('part 1', body, broken.send)).rejects.toThrow(/part 1 \(CRC-64\).*\(none\)/);
    expect(broken.calls()).toBe(3);
    await expect(sendVerified('part 1', body, broken.send)).rejects.toThrow(IntegrityError);
  });
});
