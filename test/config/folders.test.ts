import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OSS_LINES, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

describe('folder resolution', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace({ 'a/photos/x': 'x', 'b/photos/y': 'y', 'c/z': 'z' });
  });
  afterEach(() => ws.remove());

  it('derives names, normalises prefixes and applies global defaults and overrides', () => {
    const config = ws.load([
      ...OSS_LINES,
      'part_size: 16MiB',
      'watcher: chokidar',
      'folders:',
      '  - { path: a/photos, bucket: bkt, prefix: "/one" }',
      '  - { name: more-photos, path: b/photos, bucket: bkt, prefix: two/, watcher: native, part_size: 200KiB, delete_policy: mirror }',
      '  - { path: c, bucket: other }',
    ]);
    expect(config.folders.map((f) => [f.name, f.prefix, f.watcher, f.partSize, f.deletePolicy])).toEqual([
      ['photos', 'one/', 'chokidar', 16 * 2 ** 20, 'keep'],
      ['more-photos', 'two/', 'native', 200 * 1024, 'mirror'],
      ['c', '', 'chokidar', 16 * 2 ** 20, 'keep'],
    ]);
  });

  // Numbered by position, reordering the list would swap their saved state (and mirror deletions).
  it('asks for names when two directories share a name, or a default name is taken', () => {
    const error = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - { path: a/photos, bucket: bkt, prefix: one }',
      '  - { path: b/photos, bucket: bkt, prefix: two }',
      '  - { name: c, path: c, bucket: other }',
    ]);
    expect(error.message).toContain(
      'folders[1]: its default name "photos" (the directory\'s name) is already used by folders[0] (line 6); give each a name: (a folder\'s name keys its saved state; earlier versions called this one "photos-2" by its place in the list: name it so to keep its state)',
    );
    const taken = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - { name: photos, path: c, bucket: bkt, prefix: one }',
      '  - { path: a/photos, bucket: bkt, prefix: two }',
    ]);
    expect(taken.message).toContain('folders[1]: its default name "photos" (the directory\'s name) is already used by folders[0] (line 6)');
  });

  it('rejects a bucket-root folder next to another folder in the same bucket', () => {
    const error = ws.fail([...OSS_LINES, 'folders:', '  - { path: a/photos, bucket: bkt }', '  - { path: c, bucket: bkt, prefix: c }']);
    expect(error.message).toContain('folders[1].prefix: prefix "c/" in bucket bkt overlaps the bucket root of folders[0] (line 6)');
  });

  it('rejects the same directory listed twice and an unknown storage class', () => {
    const error = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - { path: c, bucket: one }',
      '  - { path: ./c/, bucket: two, storage_class: Cold }',
    ]);
    expect(error.message).toContain(`folders[1].path: ${ws.root}/c is the same directory as ${ws.root}/c of folders[0] (line 6)`);
    expect(error.message).toContain(
      'folders[1].storage_class: expected one of Standard, IA, Archive, ColdArchive, DeepColdArchive, got "Cold"',
    );
  });

  it('rejects a folder path that is a file, and two folders with the same bucket and prefix', () => {
    const error = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - { path: c/z, bucket: bkt, prefix: same }',
      '  - { path: a, bucket: bkt, prefix: same/ }',
      '  - { path: b, bucket: bkt, prefix: /same/ }',
    ]);
    expect(error.message).toContain(`config.yaml:6:13: folders[0].path: ${ws.root}/c/z is not a directory`);
    expect(error.message).toContain(
      'config.yaml:8:37: folders[2].prefix: prefix "same/" in bucket bkt overlaps prefix "same/" of folders[1] (line 7)',
    );
  });
});
