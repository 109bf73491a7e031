/**
 * Proxies between restore and OSS that change headers on the way (some do). Restore must say what
 * the proxy did, never rename wrong bytes into place, and not fetch an object again and again.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runRestore } from '../../src/daemon/restore/restore-run.js';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { startHeaderProxy, type HeaderProxy } from '../helpers/header-proxy.js';
import { restoreOptions } from '../helpers/restore.js';
import { createOssStorage } from '../../src/uploader/index.js';
import { useStore } from '../helpers/store.js';

describe('restore through a proxy', () => {
  const db = useStore();
  let emu: TestEmulator | undefined;
  let proxy: HeaderProxy | undefined;
  let to: ReturnType<typeof tempDir> | undefined;
  afterEach(async () => {
    await proxy?.close();
    await emu?.stop();
    to?.remove();
    proxy = emu = to = undefined;
  });

  /** An emulator behind a proxy with these header edits; the restore's options go through the proxy. */
  async function behindProxy(edits: Parameters<typeof startHeaderProxy>[1]) {
    const e = (emu = await startTestEmulator());
    const p = (proxy = await startHeaderProxy(e.endpoint, edits));
    const dir = (to = tempDir('oss-sync-restore-proxy-'));
    const restore = (download: { partSize: number; rangedThreshold: number; timeoutMs?: number }) =>
      runRestore(restoreOptions(e, db.store.restores, dir.path, { endpoint: p.endpoint, filesInParallel: 1, download }));
    return { emu: e, to: dir.path, restore };
  }

  // Every ranged GET answers 200 with the whole object from byte 0. Written at a run's offset, those
  // bytes are another part's; the whole-object CRC-64 still keeps them out, but restore must say
  // what happened instead of "damaged on the way" after fetching the object three times.
  it('that drops Range: names the ignored Range after one GET per stream, and renames nothing into place', async () => {
    const { emu, to, restore } = await behindProxy({ request: (h) => delete h.range });
    await emu.client().put('p/big.bin', randomBytes(4 * 64 * 1024));
    const summary = await restore({ partSize: 64 * 1024, rangedThreshold: 64 * 1024 });
    expect(summary.entries).toHaveLength(1);
    expect(summary.entries[0]).toMatchObject({ key: 'p/big.bin', action: 'failed' });
    expect(summary.entries[0]!.detail).toMatch(/Range/);
    expect(emu.emulator.requestLog.entries().filter((e) => e.operation === 'GetObject').length).toBeLessThanOrEqual(2);
    expect(existsSync(join(to, 'big.bin'))).toBe(false);
    expect(readdirSync(to)).toEqual([]);
  });

  // Without Content-Length restore cannot tell a whole body from a cut one (it said "body longer
  // than NaN bytes"); a ranged part's length is in its Content-Range.
  it('that answers chunked: fails a whole GET naming the missing Content-Length (small and large), and restores ranged parts by their Content-Range', async () => {
    const { emu, to, restore } = await behindProxy({ response: (h, method) => method === 'GET' && delete h['content-length'] });
    await emu.client().put('p/small.bin', randomBytes(1024));
    await emu.client().put('p/whole.bin', randomBytes(100 * 1024));
    await emu.client().put('p/ranged.bin', randomBytes(300 * 1024));
    const summary = await restore({ partSize: 64 * 1024, rangedThreshold: 256 * 1024 });
    expect(summary.entries.map((e) => ({ key: e.key, action: e.action }))).toEqual([
      { key: 'p/ranged.bin', action: 'restored' },
      { key: 'p/small.bin', action: 'failed' },
      { key: 'p/whole.bin', action: 'failed' },
    ]);
    for (const entry of summary.entries.filter((e) => e.action === 'failed')) {
      expect(entry.detail).toMatch(/without a usable Content-Length/);
      expect(entry.detail).toContain(entry.key);
    }
    expect(readdirSync(to)).toEqual(['ranged.bin']);
  });

  // The request's timeout ends with the answer's headers: a link that stalls after them (a NAT that
  // forgot the connection, a hung server) held the restore for ever. Each object's first answer stops
  // half-way here; the restore gives up on it after the timeout and fetches the object (or part) again.
  it('that stalls a body half-way: gives up on it after the timeout and fetches it again (small, whole and ranged)', async () => {
    const stalled = new Set<string>();
    const { emu, to, restore } = await behindProxy({
      stall: (method, path) => {
        if (method !== 'GET' || !path.startsWith('/p/') || stalled.has(path)) return false;
        stalled.add(path);
        return true;
      },
    });
    const bodies = { 'small.bin': randomBytes(1024), 'whole.bin': randomBytes(100 * 1024), 'ranged.bin': randomBytes(300 * 1024) };
    for (const [name, body] of Object.entries(bodies)) await emu.client().put(`p/${name}`, body);
    const summary = await restore({ partSize: 64 * 1024, rangedThreshold: 256 * 1024, timeoutMs: 300 });
    expect(summary.entries.map((e) => e.action)).toEqual(['restored', 'restored', 'restored']);
    for (const [name, body] of Object.entries(bodies)) expect(readFileSync(join(to, name)).equals(body), name).toBe(true);
    expect([...stalled].sort()).toEqual(['/p/ranged.bin', '/p/small.bin', '/p/whole.bin']);
  });

  // An answer without the object's CRC-64 was given up on unread: its connection stayed taken, each
  // attempt one more, until the client had none left and every later GET waited for a socket (here
  // until its connect timeout; without one, for ever) and failed naming that instead.
  it('that strips the CRC-64 header: names it for every object, and leaves no connection taken by an unread body', async () => {
    const e = (emu = await startTestEmulator());
    const p = (proxy = await startHeaderProxy(e.endpoint, { response: (h) => delete h['x-oss-hash-crc64ecma'] }));
    const dir = (to = tempDir('oss-sync-restore-proxy-'));
    await e.client().put('p/small.bin', randomBytes(1024));
    await e.client().put('p/whole.bin', randomBytes(200 * 1024));
    const storage = createOssStorage({
      endpoint: p.endpoint,
      accessKeyId: e.accessKeyId,
      accessKeySecret: e.accessKeySecret,
      maxSockets: 2,
    });
    const options = restoreOptions(e, db.store.restores, dir.path, { storage, filesInParallel: 1, download: { timeoutMs: 1000 } });
    const summary = await runRestore(options);
    expect(summary.entries.map((x) => x.action)).toEqual(['failed', 'failed']);
    for (const entry of summary.entries) expect(entry.detail).toMatch(/has no x-oss-hash-crc64ecma/);
    expect(readdirSync(dir.path)).toEqual([]);
  });
});
