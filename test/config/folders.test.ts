import { hostname } from 'node:os';
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

describe('per-folder object headers (server_side_encryption, kms_key_id, tags)', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace({ 'a/x': 'x', 'b/y': 'y' });
  });
  afterEach(() => ws.remove());

  it('reads encryption with a KMS key id and tags, {hostname} standing for the host name', () => {
    const config = ws.load([
      ...OSS_LINES,
      'folders:',
      '  - path: a',
      '    bucket: bkt',
      '    prefix: a',
      '    server_side_encryption: KMS',
      '    kms_key_id: key-1234',
      '    tags: { folder: photos, host: "{hostname}", year: 2026 }',
      '  - { path: b, bucket: bkt, prefix: b, server_side_encryption: SM4 }',
    ]);
    expect(config.folders[0]).toMatchObject({
      encryption: { algorithm: 'KMS', kmsKeyId: 'key-1234' },
      tags: { folder: 'photos', host: hostname(), year: '2026' },
    });
    expect(config.folders[1]!.encryption).toEqual({ algorithm: 'SM4' });
    expect(config.folders[1]!.tags).toBeUndefined();
  });

  it('names the key at fault: a bad algorithm, a KMS key id without KMS, tags over OSS limits', () => {
    const error = ws.fail([
      ...OSS_LINES,
      'folders:',
      '  - { path: a, bucket: bkt, prefix: a, server_side_encryption: DES }',
      '  - { path: b, bucket: bkt, prefix: b, server_side_encryption: AES256, kms_key_id: k1 }',
      '  - { path: b, bucket: bkt, prefix: c, kms_key_id: k2 }',
      `  - { path: a, bucket: bkt, prefix: d, tags: { ${'k'.repeat(129)}: v, ok: ${'v'.repeat(257)} } }`,
      `  - { path: a, bucket: bkt, prefix: e, tags: { ${Array.from({ length: 11 }, (_, i) => `t${i}: v`).join(', ')} } }`,
    ]);
    expect(error.message).toContain('folders[0].server_side_encryption: expected one of AES256, KMS, SM4, got "DES"');
    expect(error.message).toContain('folders[1].kms_key_id: is only used with server_side_encryption: KMS, and it is AES256');
    expect(error.message).toContain('folders[2].kms_key_id: is only used with server_side_encryption: KMS, and none is set');
    expect(error.message).toContain(`folders[3].tags.${'k'.repeat(129)}: tag key is 129 characters; OSS allows at most 128`);
    expect(error.message).toContain('folders[3].tags.ok: tag value is 257 characters; OSS allows at most 256');
    expect(error.message).toContain('folders[4].tags: has 11 tags; OSS allows at most 10 on an object');
  });
});
