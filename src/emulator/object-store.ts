import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, removeQuietly, uniqueSuffix, writeJsonAtomic } from './atomic-file.js';
import { forEachLimit } from '../lib/for-each-limit.js';
import { OssError, ossErrors } from './oss-error.js';
import { compareUtf8 } from '../lib/utf8-order.js';
import { SortedKeyIndex } from './sorted-key-index.js';
import type { ObjectMeta } from './types.js';

export type VersioningStatus = 'Enabled' | 'Suspended';

/** An object's version id as OSS shows it: "null" for one written while versioning was never enabled (or suspended). */
export function versionIdOf(meta: ObjectMeta): string {
  return meta.versionId ?? 'null';
}

/** What a DeleteObject did on a versioned bucket: the marker it left or the version it removed. */
export interface DeleteOutcome {
  versionId?: string;
  deleteMarker?: boolean;
}

/** Runs tasks one at a time per key, so two writers of the same object (or part, in MultipartStore) cannot interleave their renames. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

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
 *
 * Versioning (once enabled on the bucket) adds a side directory and changes nothing above: an
 * object's noncurrent versions and delete markers, newest first, are `<versionsDir>/<hh>/<sha>.json`;
 * their data files stay in the object's shard directory under the names they had, so a version
 * becoming noncurrent (or current again) moves no data. The history is written before the
 * current sidecar changes: a crash leaves at worst a history entry equal to the current object,
 * which the next start drops.
 */
export class ObjectStore {
  private readonly metas = new Map<string, ObjectMeta>();
  private readonly index = new SortedKeyIndex();
  private readonly locks = new KeyedMutex();
  /** Noncurrent versions and delete markers per key, newest first (never an empty list). */
  private readonly history = new Map<string, ObjectMeta[]>();
  private readonly historyIndex = new SortedKeyIndex();
  /** The bucket's versioning; undefined: never enabled, and DeleteObject and overwrites behave as always. */
  versioning: VersioningStatus | undefined;

  private constructor(
    private readonly dir: string,
    private readonly versionsDir: string,
  ) {}

  static async open(dir: string, versionsDir: string): Promise<ObjectStore> {
    const store = new ObjectStore(dir, versionsDir);
    await mkdir(dir, { recursive: true });
    await store.loadHistory();
    await store.load();
    return store;
  }

  private async loadHistory(): Promise<void> {
    const shards = await readdir(this.versionsDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return []; // versioning never enabled
      throw err;
    });
    for (const shard of shards) {
      const shardDir = join(this.versionsDir, shard);
      for (const name of await readdir(shardDir)) {
        if (!name.endsWith('.json')) {
          await removeQuietly(join(shardDir, name)); // a temp file of an interrupted write
          continue;
        }
        const { key, versions } = await readJson<{ key: string; versions: ObjectMeta[] }>(join(shardDir, name));
        if (versions.length > 0) this.history.set(key, versions);
      }
    }
  }

  private async load(): Promise<void> {
    const historyFiles = new Set<string>();
    for (const versions of this.history.values()) for (const v of versions) for (const f of v.files) historyFiles.add(f.name);
    await forEachLimit(await readdir(this.dir), 4, async (shard) => {
      const shardDir = join(this.dir, shard);
      const names = await readdir(shardDir);
      const referenced = new Set<string>(historyFiles);
      const sidecars = names.filter((n) => n.endsWith('.json'));
      await forEachLimit(sidecars, 16, async (name) => {
        const meta = await readJson<ObjectMeta>(join(shardDir, name));
        for (const file of meta.files) referenced.add(file.name);
        this.metas.set(meta.key, meta);
      });
      for (const name of names) {
        if (!name.endsWith('.json') && !referenced.has(name)) await removeQuietly(join(shardDir, name));
      }
    });
    for (const key of this.metas.keys()) this.index.add(key);
    // See the class comment: a crash between the history's write and the sidecar's leaves a duplicate.
    for (const [key, versions] of this.history) {
      const current = this.metas.get(key);
      const kept = current ? versions.filter((v) => versionIdOf(v) !== versionIdOf(current)) : versions;
      if (kept.length > 0) this.history.set(key, kept);
      else this.history.delete(key);
    }
    for (const key of this.history.keys()) this.historyIndex.add(key);
  }

  private location(key: string): { shardDir: string; hash: string } {
    const hash = createHash('sha256').update(key).digest('hex');
    return { shardDir: join(this.dir, hash.slice(0, 2)), hash };
  }

  get(key: string): ObjectMeta | undefined {
    return this.metas.get(key);
  }

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
    if (this.versioning === 'Enabled') full.versionId = newVersionId();
    return this.locks.run(meta.key, async () => {
      await mkdir(shardDir, { recursive: true });
      const previous = this.metas.get(meta.key);
      const { history, changed, replaced } = this.historyWithout(meta.key, previous);
      try {
        for (const [i, piece] of pieces.entries()) {
          await (how === 'move' ? rename : linkOrCopy)(piece.path, join(shardDir, full.files[i]!.name));
        }
        if (changed) await this.setHistory(meta.key, history);
        await this.setCurrent(meta.key, full);
      } catch (err) {
        for (const file of full.files) await removeQuietly(join(shardDir, file.name));
        throw err;
      }
      // An open GetObject keeps reading an unlinked file: POSIX keeps it until closed.
      if (previous && !this.keepsVersion(previous)) await this.removeData(previous);
      for (const v of replaced) await this.removeData(v);
      return full;
    });
  }

  /**
   * A plain DeleteObject. Unversioned: the object goes. Versioned: it becomes noncurrent behind a
   * new delete marker (Suspended: a "null" marker, and a "null" object goes), as OSS does.
   */
  async delete(key: string): Promise<DeleteOutcome> {
    return this.locks.run(key, async () => {
      const previous = this.metas.get(key);
      let outcome: DeleteOutcome = {};
      if (this.versioning !== undefined) {
        const marker: ObjectMeta = {
          key,
          files: [],
          size: 0,
          etag: '',
          crc64: '',
          contentType: '',
          lastModified: Date.now(),
          userMeta: {},
          objectType: 'Normal',
          deleteMarker: true,
          ...(this.versioning === 'Enabled' ? { versionId: newVersionId() } : {}),
        };
        const { history, replaced } = this.historyWithout(key, previous);
        await this.setHistory(key, [marker, ...history]);
        for (const v of replaced) await this.removeData(v);
        outcome = { deleteMarker: true, versionId: versionIdOf(marker) };
      }
      if (!previous) return outcome;
      await this.setCurrent(key, undefined);
      if (!this.keepsVersion(previous)) await this.removeData(previous);
      return outcome;
    });
  }

  /** DeleteObject with `versionId`: that version goes for good; the next one becomes current if it is an object. */
  async deleteVersion(key: string, versionId: string): Promise<DeleteOutcome> {
    return this.locks.run(key, async () => {
      const versions = this.versionsOf(key);
      const gone = versions.find((v) => versionIdOf(v) === versionId);
      if (!gone) return { versionId };
      const rest = versions.filter((v) => v !== gone);
      // The current object stays unless it went; then (or when a delete marker went) the newest version behind is current if it is an object.
      const current = rest[0]?.deleteMarker ? undefined : rest[0];
      if (current !== this.metas.get(key)) await this.setCurrent(key, current);
      await this.setHistory(key, current ? rest.slice(1) : rest);
      await this.removeData(gone);
      return { versionId, ...(gone.deleteMarker ? { deleteMarker: true } : {}) };
    });
  }

  /**
   * The object (or, with versionId, that version) for GET, HEAD and ?tagging. NoSuchKey, or
   * NoSuchVersion; a delete marker asked for by id is 405, as OSS answers.
   */
  find(key: string, versionId?: string): ObjectMeta {
    if (versionId === undefined) {
      const meta = this.metas.get(key);
      if (meta) return meta;
      const latest = this.versionsBehind(key)[0];
      const error = ossErrors.noSuchKey(key);
      if (latest?.deleteMarker) error.headers = { 'x-oss-delete-marker': 'true', 'x-oss-version-id': versionIdOf(latest) };
      throw error;
    }
    const meta = this.versionsOf(key).find((v) => versionIdOf(v) === versionId);
    if (!meta) throw new OssError(404, 'NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });
    if (meta.deleteMarker) {
      const error = new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      error.headers = { 'x-oss-delete-marker': 'true', 'x-oss-version-id': versionId };
      throw error;
    }
    return meta;
  }

  /** Every version of the key, current first, then noncurrent versions and delete markers, newest first. */
  versionsOf(key: string): ObjectMeta[] {
    const current = this.metas.get(key);
    return current ? [current, ...this.versionsBehind(key)] : this.versionsBehind(key);
  }

  /** Keys that have any version (current or not), in listing order, from `from` (inclusive or not). */
  *versionKeysFrom(from: string, inclusive: boolean): Generator<string> {
    const a = this.keysFrom(from, inclusive);
    const b = this.historyIndex.from(from, inclusive);
    let x = a.next();
    let y = b.next();
    while (!x.done || !y.done) {
      const order = x.done ? 1 : y.done ? -1 : compareUtf8(x.value, y.value);
      yield order <= 0 ? x.value! : y.value!;
      if (order <= 0) x = a.next();
      if (order >= 0) y = b.next();
    }
  }

  private versionsBehind(key: string): ObjectMeta[] {
    return this.history.get(key) ?? [];
  }

  /**
   * The key's history once its current object (`previous`, if any) gives way to a new version or
   * delete marker: `previous` stays as a noncurrent version if versioning keeps it, and while
   * Suspended the new "null" version replaces the "null" one (object or marker) behind it.
   */
  private historyWithout(key: string, previous: ObjectMeta | undefined) {
    const behind = this.versionsBehind(key);
    const replaced = this.versioning === 'Suspended' ? behind.filter((v) => v.versionId === undefined) : [];
    const kept = previous && this.keepsVersion(previous) ? [previous] : [];
    const history = [...kept, ...behind.filter((v) => !replaced.includes(v))];
    return { history, replaced, changed: kept.length > 0 || replaced.length > 0 };
  }

  /** Whether an object replaced or deleted now stays as a noncurrent version. */
  private keepsVersion(previous: ObjectMeta): boolean {
    return this.versioning === 'Enabled' || (this.versioning === 'Suspended' && previous.versionId !== undefined);
  }

  /** Makes `meta` the key's current object (its sidecar, written atomically, is the commit point), or removes it. */
  private async setCurrent(key: string, meta: ObjectMeta | undefined): Promise<void> {
    const { shardDir, hash } = this.location(key);
    if (meta) {
      await writeJsonAtomic(join(shardDir, `${hash}.json`), meta);
      this.metas.set(key, meta);
      this.index.add(key);
    } else {
      await removeQuietly(join(shardDir, `${hash}.json`));
      this.metas.delete(key);
      this.index.remove(key);
    }
  }

  private async setHistory(key: string, versions: ObjectMeta[]): Promise<void> {
    const { hash } = this.location(key);
    const shardDir = join(this.versionsDir, hash.slice(0, 2));
    if (versions.length > 0) {
      await mkdir(shardDir, { recursive: true });
      await writeJsonAtomic(join(shardDir, `${hash}.json`), { key, versions });
      this.history.set(key, versions);
      this.historyIndex.add(key);
    } else {
      await removeQuietly(join(shardDir, `${hash}.json`));
      this.history.delete(key);
      this.historyIndex.remove(key);
    }
  }

  private async removeData(meta: ObjectMeta): Promise<void> {
    const { shardDir } = this.location(meta.key);
    for (const file of meta.files) await removeQuietly(join(shardDir, file.name));
  }

  /** Keys in listing order from `from` (inclusive or not). */
  keysFrom(from: string, inclusive: boolean): Generator<string> {
    return this.index.from(from, inclusive);
  }
}

function newVersionId(): string {
  return `CAEQ${randomBytes(24).toString('base64url')}`;
}
