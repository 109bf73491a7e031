import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from './atomic-file.js';
import { MultipartStore } from './multipart-store.js';
import { ObjectStore } from './object-store.js';
import type { VersioningStatus } from './object-store.js';

/**
 * A configured bucket: its objects and its in-progress uploads, under `<dataDir>/buckets/<name>/`
 * (`objects/`, `uploads/`; once versioning was set, `versioning.json` and `versions/`).
 */
export class Bucket {
  private constructor(
    readonly name: string,
    readonly objects: ObjectStore,
    readonly uploads: MultipartStore,
    private readonly dir: string,
  ) {}

  static async open(dataDir: string, name: string): Promise<Bucket> {
    const dir = join(dataDir, 'buckets', name);
    await mkdir(dir, { recursive: true });
    const objects = await ObjectStore.open(join(dir, 'objects'), join(dir, 'versions'));
    objects.versioning = await readJson<{ status: VersioningStatus }>(join(dir, 'versioning.json')).then(
      (v) => v.status,
      () => undefined,
    );
    return new Bucket(name, objects, await MultipartStore.open(join(dir, 'uploads')), dir);
  }

  /** PutBucketVersioning: kept on disk, as the versions it governs are. */
  async setVersioning(status: VersioningStatus): Promise<void> {
    await writeJsonAtomic(join(this.dir, 'versioning.json'), { status });
    this.objects.versioning = status;
  }
}
