import { parentDir } from './relative-path.js';

/**
 * The directories known under a watched root ('' is the root), as a tree so that forgetting a
 * removed directory costs its subtree, not a scan of every directory.
 */
export class DirectorySet {
  /** directory -> its known subdirectories (created lazily: most directories are leaves) */
  private readonly children = new Map<string, Set<string> | undefined>([['', undefined]]);

  has(relDir: string): boolean {
    return this.children.has(relDir);
  }

  add(relDir: string): void {
    if (this.children.has(relDir)) return;
    this.children.set(relDir, undefined);
    const parent = parentDir(relDir);
    this.add(parent);
    const siblings = this.children.get(parent) ?? new Set<string>();
    siblings.add(relDir);
    this.children.set(parent, siblings);
  }

  /** Forgets relDir and everything under it. */
  removeSubtree(relDir: string): void {
    if (relDir === '' || !this.children.has(relDir)) return;
    this.children.get(parentDir(relDir))?.delete(relDir);
    const stack = [relDir];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      const subdirs = this.children.get(dir);
      if (subdirs !== undefined) stack.push(...subdirs);
      this.children.delete(dir);
    }
  }
}
