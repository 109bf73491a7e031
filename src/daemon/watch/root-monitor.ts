import { dirname } from 'node:path';
import { lstatOrUndefined } from './tree-walker.js';

/**
 * - present: the folder we started watching
 * - missing: gone, not a directory, or an unmounted mount point (now the parent's device)
 * - replaced: a different directory at the same path (deleted and recreated, remounted): watches on
 *   the old inode see nothing, so the backend must restart
 */
export type RootState = 'present' | 'missing' | 'replaced';

interface RootIdentity {
  dev: bigint;
  ino: bigint;
  /** ext4 & co. hand a deleted directory's inode number straight to the next mkdir: birth time tells them apart (0 where unknown). */
  birthtimeNs: bigint;
  /** The root was on another device than its parent: it vanishes by becoming the parent's device. */
  mountPoint: boolean;
}

/** Tells whether a watched folder is still the folder that was watched. */
export class RootMonitor {
  private identity: RootIdentity | undefined;

  constructor(readonly root: string) {}

  /** Takes the root as it is now as the watched one; false when there is no directory to take. */
  capture(): boolean {
    const stats = lstatOrUndefined(this.root);
    if (stats === undefined || !stats.isDirectory()) return false;
    const parent = lstatOrUndefined(dirname(this.root));
    this.identity = {
      dev: stats.dev,
      ino: stats.ino,
      birthtimeNs: stats.birthtimeNs,
      mountPoint: parent !== undefined && parent.dev !== stats.dev,
    };
    return true;
  }

  check(): RootState {
    const stats = lstatOrUndefined(this.root);
    if (stats === undefined || !stats.isDirectory()) return 'missing';
    const identity = this.identity;
    if (identity === undefined) return 'replaced'; // appeared after we started without it
    if (identity.mountPoint && lstatOrUndefined(dirname(this.root))?.dev === stats.dev) return 'missing';
    const same = stats.dev === identity.dev && stats.ino === identity.ino && stats.birthtimeNs === identity.birthtimeNs;
    return same ? 'present' : 'replaced';
  }
}
