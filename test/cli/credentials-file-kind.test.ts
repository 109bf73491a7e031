/**
 * credentials_file must be a regular file: a FIFO used to hang run, once and status (open() and
 * read() block until a writer comes), a directory failed with a bare EISDIR and exit 1. Both are
 * now located config errors naming the file and the key, exit 2.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configWorkspace, ONE_FOLDER, type ConfigWorkspace } from '../config/config-fixture.js';
import { CLI } from '../helpers/sync-fixture.js';

describe('a credentials_file that is not a regular file', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  function runCli(command: string, config: string): { code: number | null; stderr: string } {
    // The deadline stands for "does not hang": the old code blocked on the FIFO forever.
    const result = spawnSync(process.execPath, [CLI, command, '--config', config], {
      encoding: 'utf8',
      timeout: 15_000,
      killSignal: 'SIGKILL',
    });
    return { code: result.status, stderr: result.stderr };
  }

  it.each([
    ['a FIFO', 'fifo', (path: string) => execFileSync('mkfifo', ['-m', '600', path]), 'is a FIFO (named pipe); expected a regular file'],
    ['a directory', 'dir', (path: string) => mkdirSync(path, { mode: 0o700 }), 'is a directory; expected a regular file'],
  ])('%s: run, once and status stop at once with a located error, exit 2', (_what, name, make, reason) => {
    const path = join(ws.root, name);
    make(path);
    const config = ws.write([
      'oss:',
      '  endpoint: http://127.0.0.1:9',
      `  credentials_file: ${name}`,
      `state_db: ${join(ws.root, 'state', 'state.db')}`,
      ...ONE_FOLDER,
    ]);
    for (const command of ['run', 'once']) {
      const { code, stderr } = runCli(command, config);
      expect(stderr).toContain(`${config}:3:21: oss.credentials_file: credentials file ${path} ${reason}`);
      expect(code, stderr).toBe(2);
    }
    // status only reads the state database: the oss: section does not concern it, and must not hang it.
    const status = runCli('status', config);
    expect(status.code, status.stderr).toBe(0);
  });
});
