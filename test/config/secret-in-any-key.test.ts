/**
 * A secret referenced under the wrong key (`name: ${OSS_ACCESS_KEY_SECRET}`) must not be printed by
 * any message: the key's own check, or a check across keys (two folders with one name, nested
 * paths, overlapping prefixes) built from resolved values. Every key of config.example.yaml (its
 * commented-out keys too) gets the secret, in turn, in every folder at once.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, formatIssue, loadConfig } from '../../src/config/index.js';
import { tempDir } from '../helpers/fixtures.js';

const EXAMPLE = join(import.meta.dirname, '../../config.example.yaml');

/** The example with its commented-out `# key: value` lines written in, as plain data. */
function exampleWithEveryKey(): Record<string, unknown> {
  const text = readFileSync(EXAMPLE, 'utf8').replace(/^(\s*)# ([a-z_0-9]+: \S+)/gm, '$1$2');
  return parse(text) as Record<string, unknown>;
}

/** Every leaf key path of data: `oss.endpoint`, `folders[].name` (all folders at once), `ignore[0]`. */
function leafPaths(value: unknown, path: string[] = []): string[][] {
  if (Array.isArray(value)) {
    // The folders list is one key per folder field; other lists (globs) are one key per item.
    if (path.at(-1) === 'folders')
      return [...new Set(value.flatMap((item) => leafPaths(item, [...path, '[]']).map((p) => JSON.stringify(p))))].map(
        (p) => JSON.parse(p) as string[],
      );
    return value.flatMap((item, index) => leafPaths(item, [...path, String(index)]));
  }
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...path, key]));
  return [path];
}

/** A copy of data with the value at path (every folder for '[]') replaced. */
function withValue(data: unknown, path: string[], replacement: string): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string, ...string[]];
  if (data === undefined && /^\d+$/.test(head)) return data; // a list this folder does not have
  if (head === '[]') return (data as unknown[]).map((item) => withValue(item, rest, replacement));
  if (Array.isArray(data)) return data.map((item, index) => (String(index) === head ? withValue(item, rest, replacement) : item));
  const copy = { ...(data as Record<string, unknown>) };
  copy[head] = withValue(copy[head], rest, replacement);
  return copy;
}

describe('a secret referenced under any config key', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('oss-sync-secret-');
    mkdirSync(join(dir.path, 'demo', 'photos'), { recursive: true });
    mkdirSync(join(dir.path, 'demo', 'dumps'), { recursive: true });
  });
  afterEach(() => dir.remove());

  const example = exampleWithEveryKey();
  const keys = leafPaths(example);

  it('covers every key of config.example.yaml, the commented-out ones too', () => {
    const names = keys.map((k) => k.join('.'));
    for (const key of [
      'oss.endpoint',
      'oss.region',
      'oss.timeout',
      'oss.credentials_file',
      'oss.access_key_secret',
      'state_db',
      'log_level',
      'concurrency.files',
      'part_size',
      'reconcile_schedule',
      'ignore.0',
      'folders.[].name',
      'folders.[].path',
      'folders.[].bucket',
      'folders.[].prefix',
      'folders.[].include.0',
      'folders.[].storage_class',
      'folders.[].watcher',
      'folders.[].exclude.1',
      'folders.[].delete_policy',
      'folders.[].part_size',
    ]) {
      expect(names).toContain(key);
    }
  });

  // Mixed case fails the bucket check; lower case passes it and reaches the checks across folders.
  it.each(['Zq8xW3pV9kR2mN7bT5yLh4Jd', 'zq8xw3pv9kr2mn7bt5ylh4jd'])('never prints the secret %s, in errors or warnings', (secret) => {
    const env = { HOME: dir.path, LEAKED: secret };
    const checked: string[] = [];
    // An existing file there: state_db's warnings (a database others can read) name its path.
    writeFileSync(join(dir.path, secret), '', { mode: 0o644 });
    for (const key of keys) {
      const data = withValue(example, key, '${LEAKED}') as { oss: Record<string, unknown> };
      // credentials_file and the three credential keys exclude each other: one or the other
      for (const k of key.join('.') === 'oss.credentials_file' ? ['access_key_id', 'access_key_secret', 'sts_token'] : ['credentials_file'])
        delete data.oss[k];
      const file = join(dir.path, 'config.yaml');
      writeFileSync(file, stringify(data));
      let output: string;
      try {
        const config = loadConfig(file, env);
        output = config.warnings.join('\n');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        output = `${err.message}\n${err.issues.map(formatIssue).join('\n')}`;
      }
      checked.push(`${key.join('.')}: ${output}`);
      expect(output, key.join('.')).not.toContain(secret.slice(0, 8));
      expect(output, key.join('.')).not.toContain(secret.slice(-8));
    }
    // The checks across folders did run: the secret as both folders' name is caught as a duplicate.
    expect(checked.join('\n')).toContain('folders[1].name: name "${LEAKED}" is already used by folders[0]');
    expect(checked.join('\n')).toContain(`state_db: state_db: other users can read ${dir.path}/\${LEAKED} (mode 644)`);
  });
});
