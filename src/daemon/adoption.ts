import { join } from 'node:path';
import type { FolderConfig } from '../config/index.js';
import { failpointValue } from '../lib/failpoint.js';
import { compareUtf8 } from '../lib/utf8-order.js';
import { forEachLimit } from '../lib/for-each-limit.js';
import type { Observation, QueuedFile, StateStore, UploadResultRecord, VerifiedFile } from '../store/index.js';
import {
  DirectoryCache,
  etagHex,
  listObjectPages,
  MemoryBudget,
  untilAborted,
  type ListedObject,
  type ObjectStorage,
} from '../uploader/index.js';
import { contentDigests } from './content-check.js';
import type { Logger } from '../lib/logger.js';

/**
 * Adoption: a file with no record whose key already holds an object of the same content is recorded
 * as uploaded, without sending it, so a lost state database re-uploads nothing already there.
 *
 * When the store knows none of a folder's files at start, its prefix is listed ONCE, from before the
 * start-up walk; each walked file the listing holds at its size is read once locally (CRC-64 and
 * MD5) as soon as its page is in, and the files the walk held back after it, before the folder's
 * queue is worked on. A PutObject's ETag is the MD5 of its bytes: an equal MD5 and size mean the same
 * bytes, whose CRC-64 is the local one. A multipart object's ETag is no content hash: only then is
 * the key HEADed for its CRC-64. Adopted files are recorded in batches; the others go up as usual.
 */
export class Adoption {
  /** Per folder: the listing started before its start-up walk, until adoptQueued() used it. */
  private readonly listings = new Map<string, Listing>();
  /**
   * Invariant: at most READS_AT_ONCE files are read (or HEADed) at once by all the walk's batches
   * together: they wait side by side and a page wakes many, each read holding a 1 MiB buffer.
   */
  private readonly reads = new MemoryBudget(READS_AT_ONCE);

  constructor(private readonly o: { store: StateStore; storage: ObjectStorage; logger: Logger }) {}

  /**
   * Lists the folder's prefix when the store knows none of its files (else undefined, decided at once,
   * before a walk records any); resolves true when there is something to adopt from (then adoptQueued()
   * must follow the walk). A second call joins the first one's listing. Never rejects: adoption only
   * saves bytes. `stop` cuts the listing short: millions of keys must not hold a SIGTERM up.
   */
  listFolder(folder: FolderConfig, stop?: AbortSignal): Promise<boolean> | undefined {
    // An object already at the key may lack the folder's encryption or tags (a listing shows neither):
    // adopted, it would stay unencrypted or untagged. Such folders upload instead.
    if (folder.encryption !== undefined || folder.tags !== undefined) return undefined;
    // Invariant: a listing is joined only while the store knows none of the folder's files, and only for
    // the bucket and prefix it lists (one left unused when the root was missing may be hours old).
    let listing = this.listings.get(folder.name);
    const { queue } = this.o.store;
    if (queue.countFor(folder.name) > 0 && !queue.adoptionUnfinished(folder.name)) {
      this.listings.delete(folder.name);
      return undefined;
    }
    if (listing?.bucket !== folder.bucket || listing.prefix !== folder.prefix) {
      queue.beginAdoption(folder.name);
      listing = new Listing(folder.bucket, folder.prefix, stop);
      listing.done = this.list(folder, listing, stop);
      this.listings.set(folder.name, listing);
    }
    return listing.done;
  }

  /** Fills `listing` page by page; true when it listed something. */
  private async list(folder: FolderConfig, listing: Listing, stop: AbortSignal | undefined): Promise<boolean> {
    const started = Date.now();
    try {
      for await (const page of listObjectPages(this.o.storage, folder.bucket, folder.prefix, { signal: stop })) listing.add(page);
      if (listing.objects.size === 0) return false;
      this.o.logger.info('listed the folder prefix: files already there are adopted, not uploaded', {
        folder: folder.name,
        objects: listing.objects.size,
        ms: Date.now() - started,
      });
      return true;
    } catch (err) {
      if (stop?.aborted) return false;
      // What was matched from the pages that came stays adopted: those objects do hold the files' bytes.
      this.o.logger.warn('cannot list the folder prefix; the files it did not list are uploaded', {
        folder: folder.name,
        error: err as Error,
      });
      return false;
    } finally {
      listing.end();
    }
  }

  /**
   * During the start-up walk of a folder being adopted, before a batch of new files is queued: the
   * files the listing holds with their bytes are recorded as adopted; returns the others, to be
   * queued. A file is read as soon as its page is in, and known absent once the listing is past its
   * key, so a batch is over once the listing passed its last key, not at the listing's end (several
   * batches wait at once). Never rejects: a file that cannot be read or matched is simply queued.
   */
  async adoptWalked(folder: FolderConfig, walked: Observation[]): Promise<Observation[]> {
    const listing = this.listings.get(folder.name);
    if (!listing) return walked;
    const rest: Observation[] = [];
    const adopted: Array<{ relPath: string; result: UploadResultRecord }> = [];
    /** Files whose object a page holds, not read yet. */
    const arrived: Array<[Observation, ListedObject]> = [];
    let undecided = walked.length;
    let wake: (() => void) | undefined;
    listing.whenListed(walked, (o, listed) => {
      if (listed) arrived.push([o, listed]);
      else {
        rest.push(o);
        undecided--;
      }
      wake?.();
    });
    while (undecided > 0) {
      if (arrived.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      // No directory is kept open while waiting for a page: a big tree has many batches waiting.
      const dirs = new DirectoryCache();
      await forEachLimit(arrived.splice(0), READS_AT_ONCE, async ([o, listed]) => {
        await this.reads.acquire(1);
        const result = await this.match(o, folder, listed, dirs, listing.stop).catch(() => undefined);
        this.reads.release(1);
        if (result) adopted.push({ relPath: o.relPath, result });
        else rest.push(o);
        undecided--;
      }).finally(() => dirs.close());
    }
    // Recorded now, in one transaction: a kill -9 before the other batches are leaves the folder's
    // adoption unfinished (beginAdoption), so the next start lists and adopts the rest.
    listing.adoptedInWalk += this.o.store.queue.insertAdopted(folder.name, adopted);
    if (failpointValue('adopted-batch-recorded') === 'stop') process.kill(process.pid, 'SIGSTOP');
    // Cut short by a stop, undecided files are not known absent: none is queued; the next start (the
    // adoption still unfinished) walks them as new and lists again.
    return listing.stopped ? [] : rest;
  }

  /**
   * After the start-up walk of a folder listFolder() listed, while its queue is not worked on: records
   * its queued files OSS already holds as verified; the others stay queued. Then the adoption is over.
   */
  async adoptQueued(folder: FolderConfig): Promise<void> {
    const entry = this.listings.get(folder.name);
    await entry?.done;
    this.listings.delete(folder.name);
    // A listing that failed part way is matched for the pages that came (those objects do hold the bytes).
    if (!entry || entry.stopped || entry.objects.size === 0) {
      // Nothing to adopt from, unless cut short by a stop (the next start lists again). Ended here, not
      // in the listing, so that a store refusing the write is the folder's store error like any other.
      if (entry && !entry.stopped) this.o.store.queue.endAdoption(folder.name);
      return;
    }
    const listing = entry.objects;
    const { queue } = this.o.store;
    const started = Date.now();
    // Not claimed (a claim and its undoing cost more than the reads): the queue waits for this. Files
    // held back to settle are looked at too.
    let adopted = 0;
    let looked = 0;
    // Several at once, so that while a large file's reads or a HEAD wait, the next is read.
    const dirs = new DirectoryCache();
    try {
      // A page at a time, each page's matches recorded in one transaction.
      let rows = queue.queuedIn(folder.name, 0, BATCH);
      while (rows.length > 0 && !entry.stopped) {
        looked += rows.length;
        const found: VerifiedFile[] = [];
        await forEachLimit(rows, READS_AT_ONCE, async (row) => {
          const result = await this.match(row, folder, listing.get(row.key), dirs, entry.stop).catch(() => undefined);
          if (result) found.push({ id: row.id, generation: row.generation, result });
        });
        queue.markAdopted(found);
        adopted += found.length;
        rows = queue.queuedIn(folder.name, rows.at(-1)!.id, BATCH);
      }
    } finally {
      dirs.close();
    }
    if (entry.stopped) return; // the rows left queued are matched at the next start: the adoption stays unfinished
    queue.endAdoption(folder.name);
    this.o.logger.info('adopted files OSS already holds; nothing uploaded for them', {
      folder: folder.name,
      adopted: adopted + entry.adoptedInWalk,
      toUpload: looked - adopted,
      ms: Date.now() - started,
    });
  }

  /**
   * The record of an upload of this file (as queued or walked), if the listed object holds its bytes.
   * None once `stop` fired: a stop must wait for no file read (gigabytes) nor HEAD (a slow link).
   */
  private async match(
    row: Pick<QueuedFile, 'relPath' | 'bucket' | 'key' | 'size' | 'ino' | 'dev'>,
    folder: FolderConfig,
    listed: ListedObject | undefined,
    dirs: DirectoryCache,
    stop: AbortSignal | undefined,
  ): Promise<VerifiedFile['result'] | undefined> {
    if (!listed || listed.size !== row.size || row.bucket !== folder.bucket || stop?.aborted) return undefined;
    const file = { path: join(folder.path, row.relPath), root: folder.path, expected: { dev: row.dev, ino: row.ino } };
    const local = await contentDigests(file, row.size, { md5: true, dirs });
    if (!local) return undefined;
    let crc64 = local.crc64;
    if (etagHex(listed.etag) !== local.md5Hex) {
      if (/^[0-9A-F]{32}$/.test(etagHex(listed.etag))) return undefined; // a PutObject of other bytes
      const head = await untilAborted(this.o.storage.head({ bucket: row.bucket, key: row.key }, { signal: stop }), stop);
      if (head?.crc64 === undefined || head.crc64 !== local.crc64 || head.size !== row.size) return undefined;
      crc64 = head.crc64;
    }
    return { bucket: row.bucket, key: row.key, etag: listed.etag, crc64, fingerprint: local.fingerprint };
  }
}

/** A folder's listing as its pages come in: adoption matches files against it before it ends. */
class Listing {
  /** Every object listed so far, by key. */
  readonly objects = new Map<string, ListedObject>();
  /**
   * The last key listed so far. OSS lists keys in UTF-8 byte order: a key up to this one that
   * `objects` lacks is not there. (Another order would only send such files through the queue, which
   * adoptQueued matches against the whole listing: never a file recorded backed up that is not.)
   */
  private listedThrough: string | undefined;
  /** The listing is over (done, or failed): `objects` is all there will be. */
  ended = false;
  /** The daemon is stopping: the listing is cut short, and files not matched yet are left to the next start. */
  get stopped(): boolean {
    return this.stop?.aborted === true;
  }
  /** Resolves once the listing ended, true when it listed something. */
  done!: Promise<boolean>;
  adoptedInWalk = 0;
  /**
   * Walked batches with files still waiting, each sorted by key with the index of its first undecided
   * file: a page costs the waiting batches plus the files it decides, never a pass over every file.
   */
  private readonly waiting = new Set<Waiting>();

  constructor(
    readonly bucket: string,
    readonly prefix: string,
    readonly stop: AbortSignal | undefined,
  ) {}

  /**
   * Calls `then` with each file's object once a page holds it (at once if one did), or with
   * undefined once the listing is past its key (at once if it is) or ended without it.
   */
  whenListed(files: readonly Observation[], then: (file: Observation, listed: ListedObject | undefined) => void): void {
    const batch: Waiting = { files: [...files].sort((a, b) => compareUtf8(a.key, b.key)), next: 0, then };
    if (!this.release(batch)) this.waiting.add(batch);
  }

  add(page: ListedObject[]): void {
    for (const o of page) this.objects.set(o.key, o);
    if (page.length > 0) this.listedThrough = page[page.length - 1]!.key;
    for (const batch of this.waiting) if (this.release(batch)) this.waiting.delete(batch);
  }

  end(): void {
    this.ended = true;
    for (const batch of this.waiting) this.release(batch);
    this.waiting.clear();
  }

  /** Hands over the batch's files the listing decided, in key order; true once none waits. */
  private release(batch: Waiting): boolean {
    for (; batch.next < batch.files.length; batch.next++) {
      const file = batch.files[batch.next]!;
      const passed = this.ended || (this.listedThrough !== undefined && compareUtf8(file.key, this.listedThrough) <= 0);
      if (!passed) return false;
      batch.then(file, this.objects.get(file.key));
    }
    return true;
  }
}

interface Waiting {
  readonly files: Observation[];
  next: number;
  readonly then: (file: Observation, listed: ListedObject | undefined) => void;
}

/** Adopted files recorded per transaction. */
const BATCH = 1000;
/** Files read for adoption at once. */
const READS_AT_ONCE = 8;
