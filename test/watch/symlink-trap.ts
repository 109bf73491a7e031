import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createTree } from '../helpers/fixtures.js';

/**
 * root/real/r.txt plus symlinks that a follower would trip over: a loop to the root, one to the
 * parent, one to a folder outside, one to a file. Returns the outside folder.
 */
export function createSymlinkTrap(temp: string, root: string): string {
  const outside = join(temp, 'outside');
  createTree(outside, { 'o.txt': 'o' });
  createTree(root, { 'real/r.txt': 'r' });
  symlinkSync(root, join(root, 'loop'));
  symlinkSync('..', join(root, 'real/up'));
  symlinkSync(outside, join(root, 'out'));
  symlinkSync(join(root, 'real/r.txt'), join(root, 'link-to-file'));
  return outside;
}
