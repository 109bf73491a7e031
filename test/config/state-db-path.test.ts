import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultStateDbPath } from '../../src/config/index.js';
import { ONE_FOLDER, OSS_LINES, TEST_ENV, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

describe('default state database path', () => {
  it('follows XDG_STATE_HOME, then HOME', () => {
    expect(defaultStateDbPath({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' }, 1000)).toBe('/x/state/oss-sync/state.db');
    expect(defaultStateDbPath({ HOME: '/home/u' }, 1000)).toBe('/home/u/.local/state/oss-sync/state.db');
  });

  it('uses /var/lib for a root systemd service and for root without a home', () => {
    expect(defaultStateDbPath({ INVOCATION_ID: 'abc', HOME: '/root' }, 0)).toBe('/var/lib/oss-sync/state.db');
    expect(defaultStateDbPath({}, 0)).toBe('/var/lib/oss-sync/state.db');
  });

  it("prefers systemd's StateDirectory=", () => {
    expect(defaultStateDbPath({ STATE_DIRECTORY: '/var/lib/backup:/other', INVOCATION_ID: 'abc' }, 0)).toBe('/var/lib/backup/state.db');
  });

  it('has no answer for a non-root user without a home', () => {
    expect(defaultStateDbPath({}, 1000)).toBeUndefined();
  });
});

describe('state_db in a config', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  it('defaults from the environment and resolves ~ and relative paths', () => {
    expect(ws.load([...OSS_LINES, ...ONE_FOLDER], { ...TEST_ENV, XDG_STATE_HOME: '/xdg' }).stateDb).toBe('/xdg/oss-sync/state.db');
    expect(ws.load([...OSS_LINES, 'state_db: ~/db/state.db', ...ONE_FOLDER]).stateDb).toBe('/home/tester/db/state.db');
    expect(ws.load([...OSS_LINES, 'state_db: var/state.db', ...ONE_FOLDER]).stateDb).toBe(`${ws.root}/var/state.db`);
  });

  it('warns when the database sits inside a watched folder, unless excluded', () => {
    const inside = ws.load([...OSS_LINES, 'state_db: photos/.state/state.db', ...ONE_FOLDER]);
    expect(inside.warnings).toEqual([
      `state_db ${ws.root}/photos/.state/state.db is inside watched folder "photos" (${ws.root}/photos); the daemon skips it, but consider moving it or adding it to exclude`,
    ]);
    const excluded = ws.load([...OSS_LINES, 'state_db: photos/.state/state.db', ...ONE_FOLDER, '    exclude: [".state/**"]']);
    expect(excluded.warnings).toEqual([]);
  });
});
