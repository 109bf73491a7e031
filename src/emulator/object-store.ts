import { createHash } from 'node:crypto';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, removeQuietly, uniqueSuffix, writeJsonAtomic } from './atomic-file.js';
import { KeyedMutex } from './keyed-mutex.js';
import { SortedKeyIndex } from './sorted-key-index.js';
import type { ObjectMeta } from './types.js';

/**
 * One bucket's objects on disk. Keys can hold any character and be 1023 bytes long, so files are
 * named by the key's SHA-256: `<hh>/<sha>.json` is the sidecar (the commit point, written
 * atomically) and names the data file `<sha>.<unique>.data`. A new version's data is renamed in
 * first, then the sidecar, then the old data file goes: a crash leaves the old or the new object,
 * plus at worst an orphan data file that the next start removes.
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
    for (const shard of await readdir(this.dir)) {
      const shardDir = join(this.dir, shard);
      const names = await readdir(shardDir);
      const referenced = new Set<string>();
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const meta = await readJson<ObjectMeta>(join(shardDir, name));
        referenced.add(meta.dataFile);
        this.metas.set(meta.key, meta);
        this.index.add(meta.key);
      }
      for (const name of names) {
        if (!name.endsWith('.json') && !referenced.has(name)) await removeQuietly(join(shardDir, name));
      }
    }
  }

  private location(key: string): { shardDir: string; hash: string } {
    const hash = createHash('sha256').update(key).digest('hex');
    return { shardDir: join(this.dir, hash.slice(0, 2)), hash };
  }

  get(key: string): ObjectMeta | undefined {
    return this.metas.get(key);
  }

  dataPath(meta: ObjectMeta): string {
    return join(this.location(meta.key).shardDir, meta.dataFile);
  }

  /** Moves a fully written temp file in as the object's data, replacing any previous version. */
  async commit(tempPath: string, meta: Omit<ObjectMeta, 'dataFile'>): Promise<ObjectMeta> {
    const { shardDir, hash } = this.location(meta.key);
    const full: ObjectMeta = { ...meta, dataFile: `${hash}.${uniqueSuffix()}.data` };
    return this.locks.run(meta.key, async () => {
      await mkdir(shardDir, { recursive: true });
      await rename(tempPath, join(shardDir, full.dataFile));
      await writeJsonAtomic(join(shardDir, `${hash}.json`), full);
      const previous = this.metas.get(meta.key);
      this.metas.set(meta.key, full);
      this.index.add(meta.key);
      // An open GetObject keeps reading the unlinked file: POSIX keeps it until closed.
      if (previous) await removeQuietly(join(shardDir, previous.dataFile));
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
      await removeQuietly(join(shardDir, previous.dataFile));
    });
  }

  /** Keys in listing order starting after `marker` (or at `start` when given inclusive). */
  *keysFrom(from: string, inclusive: boolean): Generator<string> {
    for (let i = this.index.lowerBound(from, !inclusive); i < this.index.size; i++) yield this.index.at(i)!;
  }
}
