import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MultipartStore } from './multipart-store.js';
import { ObjectStore } from './object-store.js';

/** A configured bucket: its objects and its in-progress uploads, under `<dataDir>/buckets/<name>/`. */
export class Bucket {
  private constructor(
    readonly name: string,
    readonly objects: ObjectStore,
    readonly uploads: MultipartStore,
  ) {}

  static async open(dataDir: string, name: string): Promise<Bucket> {
    const dir = join(dataDir, 'buckets', name);
    await mkdir(dir, { recursive: true });
    return new Bucket(name, await ObjectStore.open(join(dir, 'objects')), await MultipartStore.open(join(dir, 'uploads')));
  }
}
