import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeQuietly } from './atomic-file.js';

/**
 * The emulator's own directory for bodies still arriving. Its name is ours alone: a data dir may be
 * any directory (even `~`), and a plain `tmp` there may be someone else's.
 */
export const TEMP_DIR_NAME = '.oss-emulator-tmp';

/** The names tempFilePath() gives (uniqueSuffix() + '.part'): the only files start-up may remove. */
export const TEMP_FILE_NAME = /^[0-9a-z]+-[0-9a-f]{12}\.part$/;

/**
 * Creates `<dataDir>/.oss-emulator-tmp` and removes the bodies a previous run left half received.
 * Only files named as the emulator names them go; anything else found there is left alone, and
 * nothing is removed recursively.
 */
export async function prepareTempDir(dataDir: string): Promise<string> {
  const dir = join(dataDir, TEMP_DIR_NAME);
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !TEMP_FILE_NAME.test(entry.name)) continue;
    await removeQuietly(join(dir, entry.name));
  }
  return dir;
}
