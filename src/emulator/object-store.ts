import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, removeQuietly, uniqueSuffix, writeJsonAtomic } from './atomic-file.js';
import { KeyedMutex } from './keyed-mutex.js';
import { forEachLimit } from '../lib/for-each-limit.js';
import { SortedKeyIndex } from './sorted-key-index.js';
import type { ObjectMeta } from './types.js';

/** A finished file to become (part of) an object's data. */
export interface DataPiece {
  path: string;
  size: number;
}

/** A hard link where the file system has them; a copy where it does not (some network and FUSE mounts). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (!['EPERM', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await copyFile(from, to);
  }
}

/**
 * One bucket's objects on disk. Keys can hold any character and be 1023 bytes long, so files are
 * named by the key's SHA-256: `<hh>/<sha>.json` is the sidecar (the commit point, written
 * atomically) and names the data files `<sha>.<unique>.<i>.data`. A new version's data goes in
 * first (renamed, or hard-linked from multipart parts), then the sidecar, then the old data
 * files go: a crash leaves the old or the new object, plus at worst orphan data files that the
 * next start removes.
 */
export class ObjectStore {
  private readonly metas = new Map<string, ObjectMeta>();
  private readonly index = new SortedKeyIndex();
  private readonly locks = new KeyedMutex();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<ObjectStore> {
    const store = new ObjectStore(dir);
    await mkdir(dir, { recursive: true });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    await forEachLimit(await readdir(this.dir), 4, async (shard) => {
      const shardDir = join(this.dir, shard);
      const names = await readdir(shardDir);
      const referenced = new Set<string>();
      await forEachLimit(
        names.filter((n) => n.endsWith('.json')),
        16,
        async (name) => {
          const meta = await readJson<ObjectMeta>(join(shardDir, name));
          for (const file of meta.files) referenced.add(file.name);
          this.metas.set(meta.key, meta);
        },
      );
      for (const name of names) {
        if (!name.endsWith('.json') && !referenced.has(name)) await removeQuietly(join(shardDir, name));
      }
    });
    this.index.addAll(this.metas.keys());
  }

  private location(key: string): { shardDir: string; hash: string } {
    const hash = createHash('sha256').update(key).digest('hex');
    return { shardDir: join(this.dir, hash.slice(0, 2)), hash };
  }

  get(key: string): ObjectMeta | undefined {
    return this.metas.get(key);
  }

  /** The object's data files, in order, with their sizes. */
  dataPieces(meta: ObjectMeta): DataPiece[] {
    const { shardDir } = this.location(meta.key);
    return meta.files.map((f) => ({ path: join(shardDir, f.name), size: f.size }));
  }

  /**
   * Makes `pieces` the object's data, replacing any previous version. 'move' renames them in
   * (temp files of a PutObject); 'link' hard-links them (multipart parts, which their upload still owns).
   */
  async commit(meta: Omit<ObjectMeta, 'files'>, pieces: readonly DataPiece[], how: 'move' | 'link'): Promise<ObjectMeta> {
    const { shardDir, hash } = this.location(meta.key);
    const version = uniqueSuffix();
    const full: ObjectMeta = { ...meta, files: pieces.map((p, i) => ({ name: `${hash}.${version}.${i}.data`, size: p.size })) };
    return this.locks.run(meta.key, async () => {
      await mkdir(shardDir, { recursive: true });
      try {
        for (const [i, piece] of pieces.entries()) {
          await (how === 'move' ? rename : linkOrCopy)(piece.path, join(shardDir, full.files[i]!.name));
        }
        await writeJsonAtomic(join(shardDir, `${hash}.json`), full);
      } catch (err) {
        for (const file of full.files) await removeQuietly(join(shardDir, file.name));
        throw err;
      }
      const previous = this.metas.get(meta.key);
      this.metas.set(meta.key, full);
      this.index.add(meta.key);
      // An open GetObject keeps reading an unlinked file: POSIX keeps it until closed.
      if (previous) for (const file of previous.files) await removeQuietly(join(shardDir, file.name));
      return full;
    });
  }

  async delete(key: string): Promise<void> {
    const { shardDir, hash } = this.location(key);
    await this.locks.run(key, async () => {
      const previous = this.metas.get(key);
      if (!previous) return;
      await removeQuietly(join(shardDir, `${hash}.json`));
      this.metas.delete(key);
      this.index.remove(key);
      for (const file of previous.files) await removeQuietly(join(shardDir, file.name));
    });
  }

  /** Keys in listing order starting after `marker` (or at `start` when given inclusive). */
  *keysFrom(from: string, inclusive: boolean): Generator<string> {
    for (let i = this.index.lowerBound(from, !inclusive); i < this.index.size; i++) yield this.index.at(i)!;
  }
}
