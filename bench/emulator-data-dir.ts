import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a bench emulator keeps its objects: tmpfs when the machine has one. The server's disk is not
 * the client's work (a real OSS is elsewhere), yet on one box the kernel's writeback of what the
 * emulator stored takes CPU from whichever contender runs next, and it was the largest source of
 * run-to-run noise here. The inputs (trees, files to upload), state databases and `find` stay on disk.
 */
export function emulatorDataDir(workDir: string): { dir: string; onTmpfs: boolean } {
  if (existsSync('/dev/shm')) return { dir: mkdtempSync(join('/dev/shm', 'oss-sync-bench-emulator-')), onTmpfs: true };
  return { dir: join(workDir, 'emulator'), onTmpfs: false };
}
