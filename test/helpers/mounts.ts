/** Real tmpfs mounts for tests of unmounted disks (root only; tests skip, saying why, elsewhere). */
import { execFileSync } from 'node:child_process';
import { tempDir } from './fixtures.js';

export function mountTmpfs(dir: string): void {
  execFileSync('mount', ['-t', 'tmpfs', 'none', dir], { stdio: 'pipe' });
}

export function umount(dir: string): void {
  execFileSync('umount', [dir], { stdio: 'pipe' });
}

/** Why mounting is impossible here (not root, no CAP_SYS_ADMIN), or undefined when it works. */
export function cannotMount(): string | undefined {
  const probe = tempDir('oss-sync-mount-probe-');
  try {
    mountTmpfs(probe.path);
    umount(probe.path);
    return undefined;
  } catch (err) {
    return (err as Error).message.trim();
  } finally {
    probe.remove();
  }
}
