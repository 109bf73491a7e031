/** A temp directory with folders to watch and a helper to write a config file into it. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';

export const TEST_ENV = { HOME: '/home/tester', OSS_ACCESS_KEY_ID: 'test-id', OSS_ACCESS_KEY_SECRET: 'test-secret-value' };

export interface ConfigWorkspace {
  root: string;
  /** Writes config.yaml (lines joined with '\n') and returns its path. */
  write: (lines: string[]) => string;
  load: (lines: string[], env?: NodeJS.ProcessEnv) => Config;
  /** Loads and returns the ConfigError it must throw. */
  fail: (lines: string[], env?: NodeJS.ProcessEnv) => ConfigError;
  remove: () => void;
}

export function configWorkspace(tree: Record<string, string> = { 'photos/a.jpg': 'a', 'dumps/b.sql': 'b' }): ConfigWorkspace {
  const dir = tempDir('oss-sync-config-');
  createTree(dir.path, tree);
  const write = (lines: string[]): string => {
    const path = join(dir.path, 'config.yaml');
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const load = (lines: string[], env: NodeJS.ProcessEnv = TEST_ENV): Config => loadConfig(write(lines), env);
  const fail = (lines: string[], env: NodeJS.ProcessEnv = TEST_ENV): ConfigError => {
    try {
      load(lines, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected the config to be rejected');
  };
  return { root: dir.path, write, load, fail, remove: dir.remove };
}

/** The lines of a minimal valid config; tests splice their case into it. */
export const OSS_LINES = [
  'oss:',
  '  endpoint: http://127.0.0.1:9000',
  '  access_key_id: ${OSS_ACCESS_KEY_ID}',
  '  access_key_secret: ${OSS_ACCESS_KEY_SECRET}',
];

export const ONE_FOLDER = ['folders:', '  - path: photos', '    bucket: backups', '    prefix: photos/'];
