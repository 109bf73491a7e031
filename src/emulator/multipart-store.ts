import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, removeQuietly, uniqueSuffix, writeJsonAtomic } from './atomic-file.js';
import type { ReceivedBody } from './body-reader.js';
import { KeyedMutex } from './object-store.js';
import { ossErrors } from './oss-error.js';
import type { ObjectAttributes, ObjectMeta } from './types.js';

export interface UploadInfo extends ObjectAttributes {
  uploadId: string;
  key: string;
  initiated: number;
}

export interface PartMeta extends Pick<ObjectMeta, 'size' | 'etag' | 'crc64' | 'lastModified'> {
  partNumber: number;
  /** File name (not path) of the part's data in the upload's directory. */
  dataFile: string;
}

interface UploadState {
  info: UploadInfo;
  parts: Map<number, PartMeta>;
}

/**
 * One bucket's in-progress multipart uploads: `<uploadId>/upload.json` plus, per part, a sidecar
 * `part-<n>.json` naming its data file `part-<n>.<unique>.data`. Same commit order as ObjectStore
 * (data rename, then sidecar), so a re-uploaded part replaces the old one atomically and a partly
 * received part is never seen.
 */
export class MultipartStore {
  private readonly uploads = new Map<string, UploadState>();
  /** Serialises part commits, Complete and Abort of one upload (by upload ID). */
  readonly locks = new KeyedMutex();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<MultipartStore> {
    const store = new MultipartStore(dir);
    await mkdir(dir, { recursive: true });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    for (const uploadId of await readdir(this.dir)) {
      const uploadDir = join(this.dir, uploadId);
      const names = await readdir(uploadDir);
      if (!names.includes('upload.json')) {
        await rm(uploadDir, { recursive: true, force: true }); // initiation never finished
        continue;
      }
      const state: UploadState = { info: await readJson<UploadInfo>(join(uploadDir, 'upload.json')), parts: new Map() };
      for (const name of names.filter((n) => /^part-\d+\.json$/.test(n))) {
        const part = await readJson<PartMeta>(join(uploadDir, name));
        state.parts.set(part.partNumber, part);
      }
      const referenced = new Set([...state.parts.values()].map((p) => p.dataFile));
      for (const name of names.filter((n) => !n.endsWith('.json') && !referenced.has(n))) {
        await removeQuietly(join(uploadDir, name));
      }
      this.uploads.set(uploadId, state);
    }
  }

  async initiate(key: string, attributes: ObjectAttributes): Promise<UploadInfo> {
    const info: UploadInfo = { uploadId: randomBytes(16).toString('hex').toUpperCase(), key, initiated: Date.now(), ...attributes };
    const uploadDir = join(this.dir, info.uploadId);
    await mkdir(uploadDir, { recursive: true });
    await writeJsonAtomic(join(uploadDir, 'upload.json'), info);
    this.uploads.set(info.uploadId, { info, parts: new Map() });
    return info;
  }

  /** The upload, or NoSuchUpload. A key mismatch is also NoSuchUpload, as on OSS. */
  get(uploadId: string, key?: string): UploadInfo {
    const state = this.uploads.get(uploadId);
    if (!state || (key !== undefined && state.info.key !== key)) throw ossErrors.noSuchUpload(uploadId);
    return state.info;
  }

  /** Parts in ascending part-number order. */
  parts(uploadId: string): PartMeta[] {
    const state = this.uploads.get(uploadId);
    if (!state) throw ossErrors.noSuchUpload(uploadId);
    return [...state.parts.values()].sort((a, b) => a.partNumber - b.partNumber);
  }

  partPath(uploadId: string, part: PartMeta): string {
    return join(this.dir, uploadId, part.dataFile);
  }

  all(): UploadInfo[] {
    return [...this.uploads.values()].map((s) => s.info);
  }

  /** Moves a fully received part in, replacing an earlier upload of the same part number. */
  async commitPart(uploadId: string, partNumber: number, tempPath: string, body: ReceivedBody): Promise<PartMeta> {
    const dataFile = `part-${partNumber}.${uniqueSuffix()}.data`;
    const full: PartMeta = { partNumber, dataFile, size: body.size, etag: body.md5Hex, crc64: body.crc64, lastModified: Date.now() };
    const uploadDir = join(this.dir, uploadId);
    // Under the upload's lock: a Complete never sees a part half-replaced.
    return this.locks.run(uploadId, async () => {
      const state = this.uploads.get(uploadId);
      if (!state) throw ossErrors.noSuchUpload(uploadId); // aborted or completed while the body streamed
      try {
        await rename(tempPath, join(uploadDir, full.dataFile));
        await writeJsonAtomic(join(uploadDir, `part-${partNumber}.json`), full);
      } catch (err) {
        // Forgotten (an injected fault) between the check and the rename: its directory is gone.
        if (!this.uploads.has(uploadId)) throw ossErrors.noSuchUpload(uploadId);
        throw err;
      }
      const previous = state.parts.get(partNumber);
      state.parts.set(partNumber, full);
      if (previous) await removeQuietly(join(uploadDir, previous.dataFile));
      return full;
    });
  }

  /** Forgets the upload and removes its files (abort, complete, or an injected forgetUpload). */
  async remove(uploadId: string): Promise<void> {
    if (!this.uploads.delete(uploadId)) return;
    await rm(join(this.dir, uploadId), { recursive: true, force: true });
  }
}
