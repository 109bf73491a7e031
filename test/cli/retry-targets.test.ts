import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { retryTarget } from '../../src/cli/retry-command.js';
import type { FolderConfig } from '../../src/config/index.js';
import { createTree, tempDir } from '../helpers/fixtures.js';

let temp: ReturnType<typeof tempDir>;
let folders: FolderConfig[];

beforeEach(() => {
  temp = tempDir();
  createTree(temp.path, { 'real/data/f.txt': 'f', 'real/data/sub/g.txt': 'g', 'other/h.txt': 'h' });
  symlinkSync(join(temp.path, 'real'), join(temp.path, 'link'));
  mkdirSync(join(temp.path, 'elsewhere'));
  // The folder is configured through the symlink; operators may name files by either spelling.
  folders = [{ name: 'data', path: join(temp.path, 'link/data') } as FolderConfig];
});

afterEach(() => temp.remove());

it('finds the folder of a path spelled through a symlink, or by the real path, or one since deleted', () => {
  expect(retryTarget(folders, join(temp.path, 'real/data/f.txt'))).toEqual({ folder: 'data', relPath: 'f.txt' });
  expect(retryTarget(folders, join(temp.path, 'link/data/sub/g.txt'))).toEqual({ folder: 'data', relPath: 'sub/g.txt' });
  expect(retryTarget(folders, join(temp.path, 'real/data/sub'))).toEqual({ folder: 'data', relPath: 'sub' });
  expect(retryTarget(folders, join(temp.path, 'real/data'))).toEqual({ folder: 'data', relPath: '' });
  expect(retryTarget(folders, join(temp.path, 'real/data/deleted/x.txt'))).toEqual({ folder: 'data', relPath: 'deleted/x.txt' });
});

it('takes folder/path as status prints it, and names an argument inside no folder', () => {
  expect(retryTarget(folders, 'data/sub/g.txt')).toEqual({ folder: 'data', relPath: 'sub/g.txt' });
  expect(retryTarget(folders, 'data')).toEqual({ folder: 'data', relPath: '' });
  expect(() => retryTarget(folders, join(temp.path, 'other/h.txt'))).toThrow(
    `${join(temp.path, 'other/h.txt')} is not inside any configured folder (give a path under one, or folder/path as status shows it)`,
  );
});
