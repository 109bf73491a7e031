import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { TEMP_FILE_GLOBS } from '../../src/lib/path-globs.js';
import { tempDir } from '../helpers/fixtures.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'config.example.yaml');

describe('config.example.yaml', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('oss-sync-example-');
  });
  afterEach(() => dir.remove());

  function loadExample(env: NodeJS.ProcessEnv): ReturnType<typeof loadConfig> {
    mkdirSync(join(dir.path, 'demo', 'photos'), { recursive: true });
    mkdirSync(join(dir.path, 'demo', 'dumps'), { recursive: true });
    copyFileSync(EXAMPLE, join(dir.path, 'config.yaml'));
    return loadConfig(join(dir.path, 'config.yaml'), env);
  }

  it('is valid and resolves to the emulator demo setup with no environment', () => {
    const config = loadExample({ HOME: '/home/demo' });
    expect(config.sourcePath).toBe(join(dir.path, 'config.yaml'));
    expect(config.oss).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: undefined,
      accessKeyId: 'oss-sync-demo',
      accessKeySecret: 'oss-sync-demo-secret',
      stsToken: undefined,
      authorizationV4: false,
      timeoutMs: undefined,
    });
    expect(config.stateDb).toBe(join(dir.path, 'demo', 'state.db'));
    expect(config.logLevel).toBe('info');
    expect(config.concurrency).toEqual({ files: 4, smallFiles: 128, partsPerFile: 8, memoryBytes: 256 * 1024 * 1024 });
    expect(config.partSize).toBe(8 * 1024 * 1024);
    expect(config.multipartThreshold).toBe(8 * 1024 * 1024);
    expect(config.settleMs).toBe(2000);
    expect(config.reconcileSchedule).toBe('0 * * * *');
    expect(config.watcher).toBe('auto');
    expect(config.maxAttempts).toBe(10);
    expect(config.shutdownGraceMs).toBe(10_000);
    expect(config.ignore).toEqual([...TEMP_FILE_GLOBS, '*.bak']);
    expect(config.warnings).toEqual([]);
    expect(config.folders).toEqual([
      {
        name: 'photos',
        path: join(dir.path, 'demo', 'photos'),
        bucket: 'demo-backups',
        prefix: 'photos/',
        include: ['**/*'],
        exclude: [],
        deletePolicy: 'keep',
        partSize: 8 * 1024 * 1024,
        storageClass: undefined,
        watcher: 'auto',
      },
      {
        name: 'dumps',
        path: join(dir.path, 'demo', 'dumps'),
        bucket: 'demo-backups',
        prefix: 'dumps/',
        include: [],
        exclude: ['*.partial', 'scratch/**'],
        deletePolicy: 'keep',
        partSize: 32 * 1024 * 1024,
        storageClass: 'IA',
        watcher: 'auto',
      },
    ]);
  });

  it('takes real credentials from the environment when they are set', () => {
    const config = loadExample({ OSS_ACCESS_KEY_ID: 'LTAIreal', OSS_ACCESS_KEY_SECRET: 'real-secret', OSS_STS_TOKEN: 'tok' });
    expect(config.oss).toMatchObject({ accessKeyId: 'LTAIreal', accessKeySecret: 'real-secret', stsToken: 'tok' });
  });
});
