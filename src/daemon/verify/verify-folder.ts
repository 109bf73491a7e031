import { join } from 'node:path';
import type { FolderConfig } from '../../config/index.js';
import { Crc64 } from '../../lib/crc64.js';
import type { RecordedFile, VerifyRecords } from '../../store/index.js';
import { etagHex, listObjects, type ListedObject, type ObjectStorage } from '../../uploader/index.js';
import { contentDigests } from '../content-check.js';
import { objectKey } from '../object-key.js';
import { forEachLimit } from '../../lib/for-each-limit.js';
import type { Sample } from '../../lib/sample.js';
import type { PathFilter } from '../watch/path-filter.js';
import { TreeWalk, type WalkEntry } from '../watch/tree-walker.js';

/**
 * What verify can find about one file. The first four are mismatches (exit 1, --requeue repairs
 * all but local-differs); the rest describe normal states.
 * - lost: recorded as uploaded, and the object is gone
 * - different: the object's size or ETag is not what was recorded (replaced or damaged on OSS)
 * - replaced (--checksum): the object's CRC-64 is neither the local file's nor the recorded one
 * - damaged (--deep): the bytes read back do not have the CRC-64 OSS gives for the object (damaged
 *   on OSS or on the way: either way the local file is sent again)
 * - local-differs (--checksum): the local file's CRC-64 moved while its size and mtime did not (bit
 *   rot, or a write that kept the mtime): never requeued, as that would overwrite a good copy
 * - pending: not uploaded yet (new, changed since, queued, uploading or failed)
 * - remote-only: an object with no local file (normal in a keep folder)
 */
export type FindingKind = 'lost' | 'different' | 'replaced' | 'damaged' | 'local-differs' | 'pending' | 'remote-only';

export const MISMATCH_KINDS: ReadonlySet<FindingKind> = new Set(['lost', 'different', 'replaced', 'damaged', 'local-differs']);

export interface Finding {
  kind: FindingKind;
  relPath: string;
  key: string;
  detail: string;
  /** Whether --requeue uploads it again (a row exists and re-sending the local file repairs it). */
  requeueable: boolean;
}

/** What a versioned bucket keeps under a folder's prefix besides its current objects. */
export interface VersionCounts {
  /** Older versions of objects: kept by OSS (and billed) until a lifecycle rule expires them. */
  noncurrent: number;
  deleteMarkers: number;
}

export interface FolderVerification {
  folder: string;
  bucket: string;
  prefix: string;
  objects: number;
  localFiles: number;
  /** Files whose object was found as recorded (and, with --checksum, whose CRC-64 matched). */
  ok: number;
  /** Files checked by CRC-64 (--checksum, --deep). */
  checksummed: number;
  findings: Finding[];
  /** Walk errors (unreadable directories): they make the result incomplete, not wrong. */
  walkErrors: string[];
  requeued?: number;
  /** A versioned bucket's noncurrent versions and delete markers under the prefix (see versionCounts in verify-all.ts). */
  versions?: VersionCounts;
}

export interface VerifyOptions {
  storage: ObjectStorage;
  records: VerifyRecords;
  /** What of the folder is backed up (folderFilter). */
  filter: PathFilter;
  checksum: boolean;
  /** Read objects back and check their bytes by CRC-64 as they stream. */
  deep: boolean;
  /** Check only this many (or this share) of the files by CRC-64; all when absent. */
  sample?: Sample;
  /** HEAD requests and file reads at once (--checksum). */
  parallel: number;
  requeue: boolean;
  signal?: AbortSignal;
}

/**
 * Compares one folder's listing (one ListObjectsV2 pass, no request per object), its rows in the
 * state database and its local tree; with `checksum`, also each object's CRC-64 (HEAD) against the
 * file's.
 */
export async function verifyFolder(folder: FolderConfig, o: VerifyOptions): Promise<FolderVerification> {
  const [listing, rows, walk] = await Promise.all([
    listObjects(o.storage, folder.bucket, folder.prefix, { signal: o.signal }),
    Promise.resolve(o.records.filesOf(folder.name)),
    walkLocal(folder, o),
  ]);
  const objects = new Map<string, ListedObject>(listing.map((obj) => [obj.key, obj]));
  const byPath = new Map<string, RecordedFile>(rows.map((r) => [r.relPath, r]));
  const result: FolderVerification = {
    folder: folder.name,
    bucket: folder.bucket,
    prefix: folder.prefix,
    objects: listing.length,
    localFiles: walk.files.size,
    ok: 0,
    checksummed: 0,
    findings: [],
    walkErrors: walk.errors,
  };
  const toChecksum: Array<{ file: WalkEntry; row: RecordedFile }> = [];
  const accounted = new Set<string>();

  for (const [relPath, file] of walk.files) {
    const row = byPath.get(relPath);
    const key = row && row.bucket === folder.bucket ? row.key : objectKey(folder.prefix, relPath);
    accounted.add(key);
    if (!row) {
      result.findings.push({ kind: 'pending', relPath, key, detail: 'new, not yet seen by the daemon', requeueable: false });
      continue;
    }
    const verdict = recordVerdict(file, row, objects.get(row.key));
    if (verdict) result.findings.push({ relPath, key, requeueable: false, ...verdict });
    else if (o.checksum || o.deep) toChecksum.push({ file, row });
    else result.ok++;
  }

  const sampled = o.sample ? pickSample(toChecksum, o.sample) : toChecksum;
  result.ok += toChecksum.length - sampled.length;
  await forEachLimit(sampled, o.parallel, async ({ file, row }) => {
    const check = async (): Promise<Verdict | undefined> =>
      (o.checksum ? await checksumOne(folder, o, file, row) : undefined) ?? (o.deep ? await deepOne(o, row) : undefined);
    const verdict = await check().catch((err: unknown): Verdict => ({ kind: 'pending', detail: `not checked: ${(err as Error).message}` }));
    if (verdict) result.findings.push({ relPath: file.relPath, key: row.key, requeueable: false, ...verdict });
    else {
      result.ok++;
      result.checksummed++;
    }
  });

  for (const object of listing) {
    if (accounted.has(object.key)) continue;
    const relPath = object.key.slice(folder.prefix.length);
    const row = byPath.get(relPath);
    const detail = row ? 'no local file (deleted or moved since its upload)' : 'no local file and no record';
    result.findings.push({ kind: 'remote-only', relPath, key: object.key, detail, requeueable: false });
  }

  settleDaemonWork(folder.name, o.records, byPath, result.findings);
  result.findings.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  if (o.requeue) {
    const paths = result.findings.filter((f) => f.requeueable).map((f) => f.relPath);
    result.requeued = paths.length > 0 ? o.records.requeue(folder.name, paths, 'queued again by oss-sync verify --requeue') : 0;
  }
  return result;
}

/**
 * The rows and the walk are read when verify starts; the listing (and the HEADs) end later. A file
 * the daemon uploaded again or renamed meanwhile looks LOST or DIFFERENT against the first read. So
 * each mismatch's row is read again (one query): one that changed since (another generation, state
 * or ETag, or gone) is the daemon's work in progress, reported pending; a mismatch stands only on an
 * unchanged row.
 */
function settleDaemonWork(folder: string, records: VerifyRecords, first: Map<string, RecordedFile>, findings: Finding[]): void {
  const suspects = findings.filter((f) => MISMATCH_KINDS.has(f.kind));
  if (suspects.length === 0) return;
  const paths = suspects.map((f) => f.relPath);
  const now = new Map(records.filesAt(folder, paths).map((r) => [r.relPath, r]));
  for (const finding of suspects) {
    const before = first.get(finding.relPath);
    const after = now.get(finding.relPath);
    if (before && after && after.generation === before.generation && after.state === before.state && after.remoteEtag === before.remoteEtag)
      continue;
    Object.assign(finding, { kind: 'pending', detail: 'uploaded, moved or changed by the daemon while verify ran', requeueable: false });
  }
}

/** What a check found of one file (not requeueable unless it says so). */
type Verdict = Pick<Finding, 'kind' | 'detail'> & { requeueable?: true };

const LOST: Verdict = { kind: 'lost', detail: 'recorded as uploaded, but the object is gone', requeueable: true };

/** The row against the walked file and the listing: undefined when the object is there as recorded. */
function recordVerdict(file: WalkEntry, row: RecordedFile, object: ListedObject | undefined): Verdict | undefined {
  if (row.state !== 'verified')
    return { kind: 'pending', detail: row.state === 'failed' ? 'failed (oss-sync retry queues it again)' : row.state };
  if (file.size !== row.size || file.mtimeNs !== row.mtimeNs)
    return { kind: 'pending', detail: 'changed locally since its upload', requeueable: true };
  if (!object) return LOST;
  if (row.remoteSize !== null && object.size !== row.remoteSize)
    return { kind: 'different', detail: `object is ${object.size} bytes, ${row.remoteSize} were uploaded`, requeueable: true };
  if (row.remoteEtag !== null && etagHex(object.etag) !== etagHex(row.remoteEtag))
    return { kind: 'different', detail: `object's ETag is ${object.etag}, ${row.remoteEtag} was uploaded`, requeueable: true };
  return undefined;
}

/** --checksum for one file: undefined when the local file, the object and the record agree. */
async function checksumOne(folder: FolderConfig, o: VerifyOptions, file: WalkEntry, row: RecordedFile): Promise<Verdict | undefined> {
  // Invariant: a CRC-64 is only of the bytes the walk matched to the row (the same file, size and mtime
  // before and after the read): a file saved since (a long pass over a folder in use) is a change, not bit rot.
  const read = { path: join(folder.path, file.relPath), root: folder.path, expected: { dev: file.dev, ino: file.ino } };
  const [info, digests] = await Promise.all([
    o.storage.head({ bucket: row.bucket, key: row.key }, { signal: o.signal }),
    contentDigests(read, file.size),
  ]);
  const local = digests?.fingerprint.mtimeNs === file.mtimeNs ? digests.crc64 : undefined;
  if (!info) return LOST;
  if (local === undefined) return { kind: 'pending', detail: 'changed while being checked' };
  if (info.crc64 === local) return undefined;
  if (row.remoteCrc64 !== null && info.crc64 === row.remoteCrc64) {
    const why = `local CRC-64 ${local} differs from the object's ${info.crc64} though size and mtime did not change (bit rot?)`;
    return { kind: 'local-differs', detail: `${why}; restore it, or touch it to upload it` };
  }
  return { kind: 'replaced', detail: `object's CRC-64 is ${info.crc64 ?? 'absent'}, the file's ${local}`, requeueable: true };
}

/** --deep for one file: the object read back whole, its CRC-64 computed as it streams. */
async function deepOne(o: VerifyOptions, row: RecordedFile): Promise<Verdict | undefined> {
  const download = await o.storage.get({ bucket: row.bucket, key: row.key }, { signal: o.signal });
  const crc = new Crc64();
  let size = 0;
  for await (const chunk of download.stream) {
    crc.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const read = crc.digest();
  if (size !== download.contentLength || read !== download.crc64) {
    const detail = `read back ${size} bytes of CRC-64 ${read}; OSS gives ${download.contentLength} bytes of ${download.crc64 ?? 'no CRC-64'}`;
    return { kind: 'damaged', detail, requeueable: true };
  }
  if (row.remoteCrc64 !== null && download.crc64 !== row.remoteCrc64) {
    return { kind: 'replaced', detail: `object's CRC-64 is ${download.crc64}, ${row.remoteCrc64} was uploaded`, requeueable: true };
  }
  return undefined;
}

/** A uniform random sample (partial Fisher-Yates); a percentage rounds up, so 1% of 10 files is 1. */
function pickSample<T>(items: readonly T[], sample: Sample): T[] {
  const n = Math.min(items.length, 'count' in sample ? sample.count : Math.ceil((items.length * sample.percent) / 100));
  const copy = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

async function walkLocal(folder: FolderConfig, o: VerifyOptions): Promise<{ files: Map<string, WalkEntry>; errors: string[] }> {
  const walk = new TreeWalk(folder.path, o.filter);
  const files = new Map<string, WalkEntry>();
  for await (const batch of walk) for (const entry of batch) files.set(entry.relPath, entry);
  const errors = walk.errors.map((e) => `${e.relPath || '.'}: ${e.code} ${e.message}`);
  if (walk.rootFailed) errors.unshift(`${folder.path}: the folder could not be read`);
  return { files, errors };
}
