import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { freePort, metricValue, parsePrometheus } from './observe-helpers.js';

const TOKEN = 'page-token-0123456789';

describe('/metrics on loopback', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it('serves Prometheus metrics whose values equal status --json, only with the token, and never a secret', async () => {
    const port = await freePort();
    fx = await createSyncFixture([{ name: 'main' }, { name: 'docs' }], {
      http: { listen: `127.0.0.1:${port}`, token: '${TEST_HTTP_TOKEN}' },
    });
    const env = { TEST_HTTP_TOKEN: TOKEN };
    writeFileSync(join(fx.folder('main'), 'a.txt'), 'alpha');
    writeFileSync(join(fx.folder('main'), 'flaky.txt'), 'x'.repeat(300 * 1024));
    writeFileSync(join(fx.folder('docs'), 'b.txt'), 'bravo bravo');
    // One failed part, then success: a retry and an error by code to count.
    fx.emu.emulator.faults.add({
      match: { operation: 'UploadPart', key: 'main/flaky.txt' },
      action: { type: 'error', status: 500, code: 'InternalError' },
    });
    const run = fx.spawnCli(['run', '--config', fx.configPath], env);
    const started = await run.waitForLog((r) => r.msg === 'status page and /metrics listening');
    expect(started.url).toBe(`http://127.0.0.1:${port}/`);
    const url = `http://127.0.0.1:${port}/metrics`;

    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

    const scrape = async (): Promise<string> => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return res.text();
    };
    await waitFor(async () => metricValue(parsePrometheus(await scrape()), 'oss_sync_uploaded_objects', { folder: 'main' }) === 2, {
      what: 'both files of main uploaded in the metrics',
    });
    await waitFor(async () => metricValue(parsePrometheus(await scrape()), 'oss_sync_uploaded_objects', { folder: 'docs' }) === 1, {
      what: 'docs uploaded in the metrics',
    });

    const statusJson = async (): Promise<{ folders: Array<Record<string, number | string>>; statusPage: string | null }> => {
      const status = fx!.spawnCli(['status', '--json', '--config', fx!.configPath], env);
      expect((await status.exited).code).toBe(0);
      return JSON.parse(status.stdout.join('\n')) as never;
    };
    const status = await statusJson();
    expect(status.statusPage).toBe(`http://127.0.0.1:${port}/`);
    const text = await scrape();
    const samples = parsePrometheus(text);
    for (const folder of status.folders) {
      const name = folder.folder as string;
      for (const state of ['queued', 'uploading', 'verified', 'failed', 'retrying', 'deleting']) {
        expect(metricValue(samples, 'oss_sync_files', { folder: name, state }), `${name} ${state}`).toBe(folder[state]);
      }
      expect(metricValue(samples, 'oss_sync_uploaded_bytes', { folder: name })).toBe(folder.verifiedBytes);
      expect(metricValue(samples, 'oss_sync_queued_bytes', { folder: name })).toBe(folder.queuedBytes);
      expect(metricValue(samples, 'oss_sync_watcher_mode', { folder: name, mode: folder.mode as string })).toBe(1);
      expect(metricValue(samples, 'oss_sync_last_reconcile_timestamp_seconds', { folder: name })).toBeGreaterThan(0);
      expect(metricValue(samples, 'oss_sync_folder_paused', { folder: name })).toBe(0);
    }
    expect(metricValue(samples, 'oss_sync_request_retries_total')).toBeGreaterThanOrEqual(1);
    expect(metricValue(samples, 'oss_sync_errors_total', { code: 'InternalError' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(samples, 'oss_sync_oldest_queued_seconds')).toBe(0);
    expect(metricValue(samples, 'oss_sync_state_db_healthy')).toBe(1);
    expect(metricValue(samples, 'oss_sync_sent_bytes_total')).toBeGreaterThan(0);
    expect(metricValue(samples, 'oss_sync_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(fx.emu.accessKeySecret);
    // No timetable: unlimited, always open. No verify yet: 0.
    expect(metricValue(samples, 'oss_sync_bandwidth_limit_bytes_per_second')).toBe(0);
    expect(metricValue(samples, 'oss_sync_upload_window_open')).toBe(1);
    expect(metricValue(samples, 'oss_sync_last_verify_timestamp_seconds')).toBe(0);
    // `oss-sync verify` (another process) finding every folder in order: the daemon's metrics say when.
    const verify = fx.spawnCli(['verify', '--config', fx.configPath], env);
    expect((await verify.exited).code, verify.stdout.join('\n')).toBe(0);
    const verifiedAt = metricValue(parsePrometheus(await scrape()), 'oss_sync_last_verify_timestamp_seconds');
    expect(Math.abs(verifiedAt! - Date.now() / 1000)).toBeLessThan(120);

    // `status` prints the page's address while the daemon runs.
    const human = fx.spawnCli(['status', '--config', fx.configPath], env);
    expect((await human.exited).code).toBe(0);
    expect(human.stdout.join('\n')).toContain(`status page: http://127.0.0.1:${port}/`);
    // A changed http: section needs a restart, and says so; the running listener keeps its token.
    fx.writeConfig([{ name: 'main' }, { name: 'docs' }], { http: { listen: `127.0.0.1:${port}`, token: 'another-token-999' } });
    run.child.kill('SIGHUP');
    await run.waitForLog((r) => r.msg === 'http: and notify: changes take effect after a restart');
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(run.stdout.join('\n')).not.toContain(TOKEN);
    expect(run.stdout.join('\n')).not.toContain('another-token-999');
  });

  it('stops with the key and address named when the port is taken', async () => {
    const port = await freePort();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      fx = await createSyncFixture([{ name: 'main' }], { http: { listen: `127.0.0.1:${port}` } });
      const run = fx.spawnCli(['run', '--config', fx.configPath]);
      expect((await run.exited).code).toBe(1);
      expect(run.stderr.join('\n')).toContain(
        `http.listen in ${fx.configPath}: cannot listen on 127.0.0.1:${port} (address already in use)`,
      );
      expect(run.stdout.join('\n')).toContain('oss-sync stopped');
    } finally {
      taken.close();
    }
  });

  it('refuses to start on a non-loopback address without auth, naming the key', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { http: { listen: `0.0.0.0:${await freePort()}` } });
    const run = fx.spawnCli(['run', '--config', fx.configPath]);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.stderr.join('\n')).toMatch(
      /config\.yaml:\d+:\d+: http\.listen: 0\.0\.0\.0 is reachable from other machines: set http\.token or http\.basic_auth/,
    );
  });
});
