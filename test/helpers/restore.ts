import type { RestoreRunOptions } from '../../src/daemon/restore/restore-run.js';
import type { RestoreProgress } from '../../src/store/index.js';
import { createOssStorage } from '../../src/uploader/index.js';
import type { TestEmulator } from './emulator.js';

/**
 * The options of an in-process restore of the prefix `p/` from a test emulator into `toDir`, with
 * small parts; `endpoint` sends it through a proxy instead, `download` overrides some settings.
 */
export function restoreOptions(
  emu: TestEmulator,
  progress: RestoreProgress,
  toDir: string,
  over: Partial<Omit<RestoreRunOptions, 'download'>> & { endpoint?: string; download?: Partial<RestoreRunOptions['download']> } = {},
): RestoreRunOptions {
  const { endpoint = emu.endpoint, download, ...rest } = over;
  return {
    storage: createOssStorage({ endpoint, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret }),
    progress,
    bucket: emu.bucket,
    prefix: 'p/',
    toDir,
    patterns: [],
    overwrite: false,
    dryRun: false,
    filesInParallel: 4,
    ...rest,
    download: { partSize: 1 << 20, rangedThreshold: 1 << 20, partsInParallel: 2, attempts: 3, ...download },
  };
}
