import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { fingerprintOf } from '../../src/uploader/file-snapshot.js';
import { isPrefixSnapshot } from '../../src/uploader/upload-context.js';
import { tempDir } from '../helpers/fixtures.js';

describe('isPrefixSnapshot: is what was sent the first N bytes of the file as it is now?', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  async function sent(content: string): Promise<{ path: string; before: Awaited<ReturnType<typeof fingerprintOf>>; crc: string }> {
    dir = tempDir('oss-sync-prefix-');
    const path = join(dir.path, 'app.log');
    writeFileSync(path, content);
    return { path, before: await fingerprintOf({ path }), crc: crc64(Buffer.from(content)) };
  }

  it('yes for a file that only grew', async () => {
    const { path, before, crc } = await sent('line 1\nline 2\n');
    appendFileSync(path, 'line 3\n');
    expect(await isPrefixSnapshot({ path }, before, crc)).toBe(true);
  });

  it('no for a file rewritten in place, truncated, or replaced by another file', async () => {
    const { path, before, crc } = await sent('line 1\nline 2\n');
    writeFileSync(path, 'LINE 1\nline 2\nline 3\n'); // same inode, grew, but its first bytes moved
    expect(await isPrefixSnapshot({ path }, before, crc)).toBe(false);
    writeFileSync(path, 'line 1\nline 2\n');
    truncateSync(path, 5);
    expect(await isPrefixSnapshot({ path }, before, crc)).toBe(false);
    writeFileSync(`${path}.new`, 'line 1\nline 2\nline 3\n');
    renameSync(`${path}.new`, path); // same bytes first, but another file
    expect(await isPrefixSnapshot({ path }, before, crc)).toBe(false);
  });
});
