/**
 * `retry` with no state database (a wrong --config, or a daemon that never ran) must not create
 * one, nor its folders: it says there is nothing to retry, names the path, and exits 1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configWorkspace, OSS_LINES, ONE_FOLDER, TEST_ENV, type ConfigWorkspace } from '../config/config-fixture.js';
import { CLI } from '../helpers/sync-fixture.js';

describe('retry without a state database', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  it('creates nothing, says so naming the path, and exits 1', () => {
    const stateDb = join(ws.root, 'state', 'state.db');
    const config = ws.write([...OSS_LINES, `state_db: ${stateDb}`, ...ONE_FOLDER]);
    const result = spawnSync(process.execPath, [CLI, 'retry', '--config', config], {
      encoding: 'utf8',
      env: { ...process.env, ...TEST_ENV },
    });
    expect(result.stderr).toBe(
      `oss-sync retry: no state database at ${stateDb} (state_db of ${config}): nothing to retry; has the daemon run with this config?\n`,
    );
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
    expect(existsSync(join(ws.root, 'state'))).toBe(false);
  });
});
