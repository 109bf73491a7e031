import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { configWorkspace, type ConfigWorkspace } from './config-fixture.js';

const LINES = [
  'oss:',
  '  endpoint: http://127.0.0.1:9000',
  '  access_key_id: ${DAEMON_ONLY_KEY_ID}',
  '  access_key_secret: ${DAEMON_ONLY_SECRET}',
  'state_db: ./state.db',
  'folders:',
  '  - path: ./unmounted-disk',
  '    bucket: backups',
];

describe("loading a config for 'status' and 'retry' (purpose: inspect)", () => {
  let ws: ConfigWorkspace;
  afterEach(() => ws.remove());

  it('rejects missing credentials and a missing folder when running the daemon', () => {
    ws = configWorkspace();
    const message = ws.fail(LINES, {}).message;
    expect(message).toContain('DAEMON_ONLY_SECRET');
    expect(message).toContain('unmounted-disk');
  });

  it('still reads the state database path and folders when credentials are unset and a disk is unmounted', () => {
    ws = configWorkspace();
    const config = loadConfig(ws.write(LINES), {}, { purpose: 'inspect' });
    expect(config.stateDb).toBe(`${ws.root}/state.db`);
    expect(config.folders.map((f) => f.path)).toEqual([`${ws.root}/unmounted-disk`]);
  });

  it('still reports problems outside the oss section', () => {
    ws = configWorkspace();
    const path = ws.write([...LINES, 'log_level: chatty']);
    expect(() => loadConfig(path, {}, { purpose: 'inspect' })).toThrow(/log_level/);
  });
});
