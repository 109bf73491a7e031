import { join } from 'node:path';
import type { FolderConfig } from '../config/index.js';
import { isDatabaseUnwritable, type FileRow, type StateStore } from '../store/index.js';
import { etagHex, type ObjectStorage } from '../uploader/index.js';
import { contentDigests } from './content-check.js';
import type { Logger } from './logger.js';
import type { VerifiedBatch } from './verified-batch.js';

export interface AdoptionOptions {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  verified: VerifiedBatch;
}

/** What one listing said a key holds. */
interface ListedKey {
  size: number;
  /** Quoted, as listed. */
  etag: string;
}

/**
 * Adoption: a file with no record whose key already holds an object of the same content is recorded
 * as uploaded, without sending it. A lost state database, or a new machine over old data, then
 * re-uploads nothing that is already there.
 *
 * A listing carries sizes and ETags but no CRC-64, so the prefix is listed ONCE per folder (at start,
 * when the store knows none of its files) and each file of a listed size is read once locally for
 * its CRC-64 and MD5: a PutObject's ETag is the MD5 of its content, so an equal MD5 (and size) means
 * the same bytes, whose CRC-64 is then the local one. A multipart object's ETag is no content hash:
 * only then is the key HEADed for its CRC-64, one request per large file, never one per file.
 */
export class Adoption {
  /** Per folder: listed keys not yet adopted or passed over. Emptied as the queue reaches them. */
  private readonly listings = new Map<string, Map<string, ListedKey>>();

  constructor(private readonly o: AdoptionOptions) {}

  /** Lists the folder's prefix when the store knows none of its files. Never throws: adoption only saves bytes. */
  async listFolder(folder: FolderConfig): Promise<void> {
    if (this.o.store.queue.countFor(folder.name) > 0) return;
    const started = Date.now();
    try {
      const objects = await this.o.storage.listObjects(folder.bucket, folder.prefix);
      this.listings.set(folder.name, new Map(objects.map((o) => [o.key, { size: o.size, etag: o.etag }])));
      this.o.logger.info('listed the folder prefix: files already there are adopted, not uploaded', {
        folder: folder.name,
        objects: objects.length,
        ms: Date.now() - started,
      });
    } catch (err) {
      this.o.logger.warn('cannot list the folder prefix; every file is uploaded', { folder: folder.name, error: err as Error });
    }
  }

  /** Whether the row's file was adopted (recorded as verified, nothing sent). */
  async tryAdopt(row: FileRow, folder: FolderConfig): Promise<boolean> {
    const listing = this.listings.get(row.folder);
    const listed = listing?.get(row.key);
    if (!listing || !listed) return false;
    listing.delete(row.key); // looked at once: from now on the key holds what this process writes
    if (listing.size === 0) this.listings.delete(row.folder);
    if (listed.size !== row.size || row.bucket !== folder.bucket) return false;
    try {
      const file = { path: join(folder.path, row.relPath), root: folder.path, expected: { dev: row.dev, ino: row.ino } };
      const local = await contentDigests(file, row.size);
      if (!local) return false;
      let crc64 = local.crc64;
      if (etagHex(listed.etag) !== local.md5Hex) {
        if (/^[0-9A-F]{32}$/.test(etagHex(listed.etag))) return false; // a PutObject of other bytes
        const head = await this.o.storage.head({ bucket: row.bucket, key: row.key });
        if (head?.crc64 === undefined || head.crc64 !== local.crc64 || head.size !== row.size) return false;
        crc64 = head.crc64;
      }
      await this.o.verified.add({
        id: row.id,
        generation: row.generation,
        result: { bucket: row.bucket, key: row.key, etag: listed.etag, crc64, fingerprint: local.fingerprint },
      });
      this.o.logger.info('adopted: the object already holds this file; nothing uploaded', { folder: row.folder, path: row.relPath });
      return true;
    } catch (err) {
      if (isDatabaseUnwritable(err)) throw err;
      return false; // unreadable now, or the HEAD failed: the upload tries, and reports, as usual
    }
  }
}
