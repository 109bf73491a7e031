/** Real tmpfs mounts for tests of unmounted disks (root only; tests skip, saying why, elsewhere). */
import { execFileSync } from 'node:child_process';
import { tempDir } from './fixtures.js';

/** `size` ('256k') makes a disk that fills up (ENOSPC); `remount` changes a mounted one's size. */
export function mountTmpfs(dir: string, size?: string, remount = false): void {
  const options = [...(remount ? ['remount'] : []), ...(size ? [`size=${size}`] : [])];
  execFileSync('mount', ['-t', 'tmpfs', ...(options.length > 0 ? ['-o', options.join(',')] : []), 'none', dir], { stdio: 'pipe' });
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
