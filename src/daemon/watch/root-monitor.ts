import type { BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { lstatOrUndefined } from './tree-walker.js';

/**
 * - present: the folder we started watching
 * - missing: gone, not a directory, or an unmounted mount point (now the parent's device)
 * - replaced: a different directory at the same path (deleted and recreated, remounted): watches on
 *   the old inode see nothing, so the backend must restart
 */
export type RootState = 'present' | 'missing' | 'replaced';

/** Tells whether a watched folder is still the folder that was watched. */
export class RootMonitor {
  /** The root as taken; mountPoint: on another device than its parent, so it vanishes by becoming the parent's device. */
  private taken: { stats: BigIntStats; mountPoint: boolean } | undefined;

  constructor(readonly root: string) {}

  /** Takes the root as it is now as the watched one; false when there is no directory to take. */
  capture(): boolean {
    const stats = lstatOrUndefined(this.root);
    if (stats === undefined || !stats.isDirectory()) return false;
    const parent = lstatOrUndefined(dirname(this.root));
    this.taken = { stats, mountPoint: parent !== undefined && parent.dev !== stats.dev };
    return true;
  }

  check(): RootState {
    const stats = lstatOrUndefined(this.root);
    if (stats === undefined || !stats.isDirectory()) return 'missing';
    if (this.taken === undefined) return 'replaced'; // appeared after we started without it
    const { stats: was, mountPoint } = this.taken;
    if (mountPoint && lstatOrUndefined(dirname(this.root))?.dev === stats.dev) return 'missing';
    // ext4 & co. hand a deleted directory's inode number straight to the next mkdir: birth time (0 where unknown) tells them apart.
    const same = stats.dev === was.dev && stats.ino === was.ino && stats.birthtimeNs === was.birthtimeNs;
    return same ? 'present' : 'replaced';
  }
}
