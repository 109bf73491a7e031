import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/index.js';
import { ONE_FOLDER, OSS_LINES, TEST_ENV, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

describe('config validation errors', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  const at = (line: number, column: number, rest: string): string => `${ws.root}/config.yaml:${line}:${column}: ${rest}`;

  it('rejects an unknown key and suggests the snake_case spelling', () => {
    const error = ws.fail([...OSS_LINES, 'partSize: 8MiB', ...ONE_FOLDER]);
    expect(error.message).toContain(at(5, 1, 'partSize: unknown key (did you mean "part_size"? keys are snake_case)'));
  });

  it('rejects a misspelt nested key with a hint', () => {
    const error = ws.fail([...OSS_LINES, ...ONE_FOLDER, '    delete_polcy: mirror']);
    expect(error.message).toContain(at(9, 5, 'folders[0].delete_polcy: unknown key (did you mean "delete_policy"?)'));
  });

  it('reports wrong types and bad enum values at the value', () => {
    const error = ws.fail([...OSS_LINES, 'concurrency:', '  files: many', 'log_level: verbose', 'watcher: Native', ...ONE_FOLDER]);
    expect(error.message).toContain(at(6, 10, 'concurrency.files: expected a whole number from 1 to 256, got "many"'));
    expect(error.message).toContain(at(7, 12, 'log_level: expected one of debug, info, warn, error, got "verbose"'));
    expect(error.message).toContain(
      at(8, 10, 'watcher: expected one of auto, chokidar, native, poll, got "Native" (did you mean "native"?)'),
    );
  });

  it('reports a wrong size unit and a part size out of range', () => {
    const error = ws.fail([...OSS_LINES, 'part_size: 8 MBs', 'multipart_threshold: 10KiB', 'settle_time: 2 days', ...ONE_FOLDER]);
    expect(error.message).toContain(at(5, 12, 'part_size: unknown unit "MBs" in "8 MBs"'));
    expect(error.message).toContain(at(6, 22, 'multipart_threshold: "10KiB" is below the minimum of 100KiB'));
    expect(error.message).toContain(at(7, 14, 'settle_time: unknown unit "days"'));
  });

  it('rejects a part size that does not fit concurrency.memory, at the part_size that set it', () => {
    const own = ws.fail([...OSS_LINES, 'concurrency:', '  memory: 16MiB', ...ONE_FOLDER, '    part_size: 32MiB']);
    expect(own.message).toContain(
      at(
        11,
        16,
        'folders[0].part_size: parts of 32MiB (folders[0]) do not fit concurrency.memory of 16MiB: every upload holds at least 1 part in memory',
      ),
    );
    const global = ws.fail([...OSS_LINES, 'concurrency: { memory: 1MiB }', 'part_size: 2MiB', ...ONE_FOLDER]);
    expect(global.message).toContain(at(6, 12, 'part_size: parts of 2MiB (folders[0]) do not fit concurrency.memory of 1MiB'));
    const byDefault = ws.fail([...OSS_LINES, 'concurrency:', '  memory: 4MiB', ...ONE_FOLDER]);
    expect(byDefault.message).toContain(at(6, 11, 'concurrency.memory: parts of 8MiB (folders[0]) do not fit concurrency.memory of 4MiB'));
    expect(ws.load([...OSS_LINES, 'concurrency:', '  memory: 8MiB', ...ONE_FOLDER]).concurrency.memoryBytes).toBe(8 * 1024 * 1024);
  });

  it('reads oss.retry_max_time, the time budget of one request, and reports a bad one at its value', () => {
    expect(ws.load([...OSS_LINES, '  retry_max_time: 30s', ...ONE_FOLDER]).oss.retryMaxTimeMs).toBe(30_000);
    expect(ws.load([...OSS_LINES, ...ONE_FOLDER]).oss.retryMaxTimeMs).toBeUndefined();
    expect(ws.fail([...OSS_LINES, '  retry_max_time: 3 tries', ...ONE_FOLDER]).message).toContain(
      at(5, 19, 'oss.retry_max_time: unknown unit "tries"'),
    );
  });

  it('requires at least one folder', () => {
    expect(ws.fail(OSS_LINES).message).toContain(at(1, 1, 'folders: missing: list at least one folder to watch'));
    expect(ws.fail([...OSS_LINES, 'folders: []']).message).toContain(at(5, 10, 'folders: expected a list of at least one folder'));
  });

  it('names a missing folder field and a folder path that does not exist', () => {
    const error = ws.fail([...OSS_LINES, 'folders:', '  - path: nowhere', '    bucket: Backups_1']);
    expect(error.message).toContain(at(6, 11, `folders[0].path: folder ${ws.root}/nowhere does not exist`));
    expect(error.message).toContain(at(7, 13, 'folders[0].bucket: "Backups_1" is not a valid bucket name'));
  });

  it('rejects a prefix that escapes with ".."', () => {
    const error = ws.fail([...OSS_LINES, 'folders:', '  - path: photos', '    bucket: backups', '    prefix: photos/../../etc']);
    expect(error.message).toContain(at(8, 13, 'folders[0].prefix: "photos/../../etc" escapes the bucket with a ".." segment'));
  });

  it('rejects two folders mapping to the same bucket and prefix, naming both', () => {
    const error = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - path: photos',
      '    bucket: backups',
      '    prefix: /backup//',
      '  - path: dumps',
      '    bucket: backups',
      '    prefix: backup/dumps',
    ]);
    expect(error.message).toContain(
      at(11, 13, 'folders[1].prefix: prefix "backup/dumps/" in bucket backups overlaps prefix "backup/" of folders[0] (line 6)'),
    );
  });

  it('rejects nested folders and duplicate names', () => {
    const error = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - { name: a, path: ., bucket: backups, prefix: all/ }',
      '  - { name: a, path: photos, bucket: backups, prefix: photos/ }',
    ]);
    expect(error.message).toContain(`folders[1].path: ${ws.root}/photos is inside ${ws.root} of folders[0] (line 6)`);
    expect(error.message).toContain('folders[1].name: name "a" is already used by folders[0]');
  });

  it('rejects a bad cron expression but accepts null as start-up only', () => {
    const error = ws.fail([...OSS_LINES, 'reconcile_schedule: "0 * * *"', ...ONE_FOLDER]);
    expect(error.message).toContain(at(5, 21, 'reconcile_schedule: cron expression "0 * * *" has 4 fields; expected 5'));
    const hourly = ws.fail([...OSS_LINES, 'reconcile_schedule: "61 * * * *"', ...ONE_FOLDER]);
    expect(hourly.message).toContain('bad minute field "61"');
    expect(ws.load([...OSS_LINES, 'reconcile_schedule: null', ...ONE_FOLDER]).reconcileSchedule).toBeNull();
    expect(ws.load([...OSS_LINES, 'reconcile_schedule: "off"', ...ONE_FOLDER]).reconcileSchedule).toBeNull();
    expect(ws.load([...OSS_LINES, 'reconcile_schedule: "30 */15 1-5 * * mon-fri"', ...ONE_FOLDER]).reconcileSchedule).toBe(
      '30 */15 1-5 * * mon-fri',
    );
  });

  it('rejects an invalid glob', () => {
    const error = ws.fail([...OSS_LINES, ...ONE_FOLDER, '    exclude: ["[abc", "../x"]']);
    expect(error.message).toContain(at(9, 14, 'folders[0].exclude: glob "[abc" is not valid'));
  });

  // ali-oss would refuse every request with them, and once would retry for minutes.
  it('refuses an endpoint with a user and password, a path or a query, without echoing the password', () => {
    const withUser = ws.fail(['oss:', '  endpoint: http://id:hunter2@127.0.0.1:9000', ...OSS_LINES.slice(2)]);
    expect(withUser.message).toContain('oss.endpoint: must not carry a user name or password');
    expect(withUser.message).not.toContain('hunter2');
    const withPath = ws.fail(['oss:', '  endpoint: https://oss-cn-hangzhou.aliyuncs.com/bucket?x=1', ...OSS_LINES.slice(2)]);
    expect(withPath.message).toContain(
      'oss.endpoint: expected the service address only (no path, query or #), like https://oss-cn-hangzhou.aliyuncs.com',
    );
  });

  it('reports every problem at once, in file order', () => {
    const error = ws.fail(['oss:', '  endpoint: ftp://x', 'part_size: huge', 'folders:', '  - path: photos']);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.keyPath}`)).toEqual([
      '1:1 oss.access_key_id',
      '1:1 oss.access_key_secret',
      '2:13 oss.endpoint',
      '3:12 part_size',
      '5:5 folders[0].bucket',
    ]);
    expect(error.message).toMatch(/^invalid configuration \(5 problems\):\n/);
    expect(error.issues[2]).toMatchObject({ file: `${ws.root}/config.yaml`, line: 2, column: 13 });
  });

  it('expands ${VAR} references in any string, and shares settings through YAML merge keys', () => {
    const config = ws.load(
      [...OSS_LINES, 'x-common: &common { bucket: "${BUCKET}", delete_policy: mirror }', 'folders:', '  - { <<: *common, path: photos }'],
      { ...TEST_ENV, BUCKET: 'from-env' },
    );
    expect(config.folders[0]).toMatchObject({ bucket: 'from-env', deletePolicy: 'mirror' });
  });

  // A secret's reference written under the wrong key must not print the secret in the error.
  it('never echoes a value that came from the environment', () => {
    const token = `STS.${'x'.repeat(300)}`;
    const error = ws.fail(
      [...OSS_LINES, 'shutdown_grace: ${OSS_ACCESS_KEY_SECRET}', 'folders:', '  - { path: photos, bucket: "${OSS_STS_TOKEN}" }'],
      { ...TEST_ENV, OSS_STS_TOKEN: token },
    );
    expect(error.message).toContain(
      'shutdown_grace: expected a number of milliseconds or a duration like 500ms, 2s, 1m, 1h, 7d, got the value of "${OSS_ACCESS_KEY_SECRET}"',
    );
    expect(error.message).toContain('folders[0].bucket:');
    expect(error.message).toContain('the value of "${OSS_STS_TOKEN}"');
    expect(error.message).not.toContain(TEST_ENV.OSS_ACCESS_KEY_SECRET);
    expect(error.message).not.toContain(token.slice(0, 12));
    // ...nor resolved into a path, nor in part (the unit after a number)
    const secret = '12zq9XsecretValue';
    const other = ws.fail([...OSS_LINES, 'shutdown_grace: ${S}', 'folders:', '  - { path: "${S}", bucket: bkt }'], {
      ...TEST_ENV,
      S: secret,
    });
    expect(other.message).toContain('folders[0].path: folder');
    expect(other.message).not.toContain('zq9XsecretValue'.slice(0, 8));
    expect(other.message).not.toMatch(/secretValue|zq9X/);
  });

  it('never echoes an endpoint with "@" that is not a URL (it may hold a password)', () => {
    const error = ws.fail(['oss:', '  endpoint: "http://id:p#ss@host"', ...OSS_LINES.slice(2)]);
    expect(error.message).toContain('oss.endpoint:');
    expect(error.message).not.toContain('p#ss');
  });

  it('reports YAML syntax errors with their position', () => {
    const error = ws.fail([...OSS_LINES, 'folders:', '  - path: photos', '    path: dumps']);
    expect(error.message).toContain(at(7, 5, 'YAML syntax: Map keys must be unique'));
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    ];
    expect(() => parseConfig(bomb.join('\n'), '/bomb.yaml', TEST_ENV)).toThrow('/bomb.yaml:1:1: YAML: ');
  });

  it('parseConfig locates issues in the given source path', () => {
    expect(() => parseConfig('folders: 3\n', '/etc/oss-sync.yaml', TEST_ENV)).toThrow(ConfigError);
    expect(() => parseConfig('folders: 3\n', '/etc/oss-sync.yaml', TEST_ENV)).toThrow('/etc/oss-sync.yaml:1:10: folders: expected a list');
  });

  it('names a missing config file, and an empty one', () => {
    expect(() => loadConfig(`${ws.root}/absent.yaml`, TEST_ENV)).toThrow(`${ws.root}/absent.yaml: config file not found`);
    expect(() => parseConfig('', '/x.yaml', TEST_ENV)).toThrow('/x.yaml: expected a mapping of keys, got nothing');
  });
});
