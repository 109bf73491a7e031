import { isUtf8 } from 'node:buffer';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdtempSync, openSync, readSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { parseReconcileKey, RECONCILE_KEY_FIND_FORMAT, reconcileKey, relPathOfReconcileKey } from '../../store/reconcile-key.js';
import type { PathFilter } from '../watch/path-filter.js';
import { parentDir, relativeTo } from '../watch/relative-path.js';
import { MAX_ERRORS, undecodableName, type WalkError } from '../watch/tree-walker.js';
import type { ReconcileBatch, ReconcileWalk } from './reconcile-walk.js';

/**
 * One NUL-terminated record per regular file: its device, then its reconcile key exactly as the state
 * store writes it, so this thread only splits find's output (no parsing, no BigInt, no stat object).
 */
const FIND_RECORD_FORMAT = `%D ${RECONCILE_KEY_FIND_FORMAT}\\0`;

/** What find printed for a directory it pruned: `P <relDir>`. File records start with a digit. */
const PRUNED_PREFIX = 'P ';

/** Splits one record (without its NUL) into its device and key; undefined when it is not in FIND_RECORD_FORMAT's shape. */
function parseFindRecord(record: string): { dev: string; key: string } | undefined {
  const space = record.indexOf(' ');
  if (space < 1 || record.indexOf('/', space) < 0) return undefined;
  return { dev: record.slice(0, space), key: record.slice(space + 1) };
}

/**
 * Exclude globs find may prune by `-name`: plain ASCII names, with `*` at most. Pruning only saves
 * time: every path is still checked against the folder's filter. Even these may match a little
 * differently from picomatch (`*.*`, a name ending in '.'), so find prints each directory it prunes
 * and FindWalk checks it against the filter: one the filter keeps makes the walk incomplete, never a silent hole.
 */
const PRUNABLE_NAME_GLOB = /^[A-Za-z0-9._ *-]+$/;

/** The whole argument list: every regular file under root, with excluded directories pruned where find can. */
export function findArgs(root: string, excludeGlobs: readonly string[]): string[] {
  const names = excludeGlobs.filter((glob) => PRUNABLE_NAME_GLOB.test(glob));
  const nameTests = names.flatMap((name, i) => (i === 0 ? ['-name', name] : ['-o', '-name', name]));
  const prune = ['(', '-type', 'd', '(', ...nameTests, ')', '-printf', `${PRUNED_PREFIX}%P\\0`, '-prune', ')', '-o'];
  // -H: a root that is a symlink is followed, as opening it does; nothing below it is.
  // -mindepth 1: the root itself is never pruned, whatever its name.
  return ['-H', root, '-mindepth', '1', ...(names.length > 0 ? prune : []), '-type', 'f', '-printf', FIND_RECORD_FORMAT];
}

/**
 * find's whole environment, built per spawn: PATH (to find `find`) and LC_ALL=C (messages FindWalk
 * parses, names printed byte for byte). Nothing else: the daemon's environment holds its credentials
 * (OSS_* or whatever `${VAR}` the config names). No TZ: `%T@` is seconds since the epoch.
 */
function findEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
}

let supported: boolean | undefined;

/**
 * Whether this machine's find can do a FindWalk, asked once per process: BusyBox and BSD find (no
 * -printf), an older GNU find printing times differently, or none at all: false, and reconciles walk in Node.
 */
export function findWalkSupported(): boolean {
  supported ??= probeFind('find');
  return supported;
}

/** Walks a scratch folder with `command` and checks its record of a file is exactly what lstat says (key and device). */
export function probeFind(command: string): boolean {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'oss-sync-find-probe-'));
    const name = 'probe file ü.txt';
    writeFileSync(join(dir, name), 'probe');
    const stats = lstatSync(join(dir, name), { bigint: true });
    const out = execFileSync(command, findArgs(dir, ['never-matches-*']), {
      env: findEnv(),
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.toString('utf8') === `${stats.dev} ${reconcileKey(stats.size, stats.mtimeNs, stats.ino, name)}\0`;
  } catch {
    return false;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** What a line of find's standard error means for the walk. */
type FindErrorLine =
  /** A path find could not read: kept like the in-process walk's errors. */
  | { kind: 'path'; error: WalkError }
  /** A path removed while find walked: not an error, as for the in-process walk (the root excepted). */
  | { kind: 'vanished'; relPath: string }
  /** Anything else: the walk cannot say what it missed. */
  | { kind: 'unknown'; line: string };

/** strerror() texts in the C locale, back to the codes the in-process walk reports. */
const CODES: Record<string, string> = {
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
  'Input/output error': 'EIO',
  'Too many levels of symbolic links': 'ELOOP',
  'Not a directory': 'ENOTDIR',
  'File name too long': 'ENAMETOOLONG',
  'Cannot allocate memory': 'ENOMEM',
  'Too many open files': 'EMFILE',
  'Stale file handle': 'ESTALE',
  'No such file or directory': 'ENOENT',
};

/**
 * Reads one line of GNU find's standard error, run with LC_ALL=C: `find: '/root/sub': Permission
 * denied`. Only lines about a path under `root` whose quoting is plain (no backslash escapes) are
 * understood; anything else is 'unknown', and the caller then trusts none of the walk.
 */
export function parseFindErrorLine(line: string, root: string): FindErrorLine {
  const match = /^find: '([^'\\]*)': ([^:]+)$/.exec(line);
  if (!match) return { kind: 'unknown', line };
  const [, path, message] = match as unknown as [string, string, string];
  const relPath = relativeTo(root, path);
  if (relPath === undefined) return { kind: 'unknown', line };
  const code = CODES[message];
  if (code === 'ENOENT' && relPath !== '') return { kind: 'vanished', relPath };
  return { kind: 'path', error: { relPath, code: code ?? 'UNKNOWN', message: `${message}: ${path}` } };
}

/**
 * Which of the NUL-terminated records in bytes[0, end) are not UTF-8 (by index): their names hold
 * bytes that decode to U+FFFD, as a real U+FFFD does, so only the bytes tell them apart. Decoding
 * keeps every NUL (a bad sequence never swallows one), so the indexes match the decoded records'.
 */
function undecodableRecords(bytes: Buffer, end: number): Set<number> {
  const bad = new Set<number>();
  for (let start = 0, index = 0; start < end; index++) {
    const nul = bytes.indexOf(0, start);
    if (!isUtf8(bytes.subarray(start, nul))) bad.add(index);
    start = nul + 1;
  }
  return bad;
}

/** Bytes of find's output parsed at a time (~4,500 records): memory stays flat however big the tree. */
const READ_BYTES = 256 * 1024;
/** How often to look for more output while find is still writing (or to see that it finished). */
const POLL_MS = 4;
/** Linux's PATH_MAX, in bytes with the NUL: Node cannot open a longer path. */
const PATH_MAX = 4096;
/** Directory verdicts remembered; a tree with more directories just asks the filter again. */
const MAX_CACHED_DIRS = 100_000;

/**
 * A reconcile walk by GNU find (from PATH): its readdir and lstat calls run in C, in their own
 * process, on another core, while this thread loads the keys it will compare against, then only
 * splits the output and filters the paths.
 *
 * find writes into an unlinked scratch file rather than a pipe: a pipe holds 64 KiB, and find would
 * stall whenever this thread is busy elsewhere. The file is gone with the process, even after kill -9.
 *
 * `incomplete` (see ReconcileWalk) is set when find failed, stopped, or said something not understood.
 */
export class FindWalk implements ReconcileWalk {
  private readonly base: string;
  readonly errors: WalkError[] = [];
  private readonly dirVerdicts = new Map<string, boolean>();
  /** Directories with a path too long to open, already reported. */
  private readonly tooLongDirs = new Set<string>();
  private child: ChildProcess | undefined;
  private output: number | undefined;
  private finished = false;
  private stderrTail = '';
  /** Lines of find's standard error understood (errors and files that vanished meanwhile). */
  private complaints = 0;
  private closed = false;
  readonly name = 'find';
  errorCount = 0;
  rootFailed = false;
  incomplete: string | undefined;

  constructor(
    root: string,
    private readonly filter: PathFilter,
    /** Tests give a broken one. */
    private readonly command = 'find',
  ) {
    this.base = resolve(root); // no trailing slash, and never a leading '-' that find would take for an option
  }

  /** Starts find; it walks while the caller loads what it will compare against. */
  start(): void {
    if (this.child !== undefined || this.finished || this.closed) return;
    if (!this.rootIsDirectory()) return this.finish(undefined);
    const scratch = join(tmpdir(), `oss-sync-walk-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      this.output = openSync(scratch, 'wx+', 0o600);
      unlinkSync(scratch);
    } catch (err) {
      return this.finish(`cannot write find's output to ${tmpdir()}: ${(err as Error).message}`);
    }
    const child = spawn(this.command, findArgs(this.base, this.filter.excludeGlobs), {
      env: findEnv(),
      stdio: ['ignore', this.output, 'pipe'],
    });
    this.child = child;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.readErrors(text));
    child.once('error', (err) => this.finish(`cannot run find: ${err.message}`));
    child.once('close', (code, signal) => {
      this.readErrors('\n');
      if (signal !== null) this.finish(`find was stopped by ${signal}`);
      // 1: find met errors, all of them understood (else `incomplete` is set already).
      else if (code !== 0 && !(code === 1 && this.complaints > 0)) this.finish(`find exited with code ${code}`);
      else this.finish(undefined);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.finished) {
      this.incomplete ??= 'closed before find finished';
      this.child?.kill('SIGKILL');
    }
    if (this.output !== undefined) closeSync(this.output);
    this.output = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ReconcileBatch> {
    this.start();
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let offset = 0;
    try {
      while (this.output !== undefined) {
        // Checked before reading: once find has exited, the file holds all it will ever write.
        const done = this.finished;
        const read = readSync(this.output!, buffer, 0, READ_BYTES, offset);
        const end = read > 0 ? buffer.lastIndexOf(0, read - 1) + 1 : 0;
        if (end > 0) {
          offset += end; // a record cut off at the end is read again, whole, next time
          const batch = this.parse(buffer, end);
          if (batch.keys.length > 0) yield batch;
        } else if (read === READ_BYTES) {
          this.incomplete ??= 'find printed a record longer than any path';
          return;
        } else if (done) {
          if (read > 0) this.incomplete ??= 'find output ends in the middle of a record';
          return;
        } else {
          await sleep(POLL_MS); // find has no way to say it wrote more: a short poll
        }
      }
    } finally {
      this.close();
    }
  }

  /** Records (bytes[0, end), NUL-terminated) to reconcile keys, keeping the files the folder's filter accepts. */
  private parse(bytes: Buffer, end: number): ReconcileBatch {
    const text = bytes.toString('utf8', 0, end);
    const records = text.split('\0');
    records.pop(); // '' after the last NUL
    // Only output with a U+FFFD in it may hold a name that is not UTF-8: the bytes are checked then.
    const undecodable = text.includes('\uFFFD') ? undecodableRecords(bytes, end) : undefined;
    const keys: string[] = [];
    const devs: string[] = [];
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!;
      if (raw.startsWith(PRUNED_PREFIX)) {
        // find pruned this directory by name: the filter must agree, or files of it were never listed.
        const relDir = raw.slice(PRUNED_PREFIX.length);
        if (this.dirAccepted(relDir)) this.incomplete ??= `find pruned ${JSON.stringify(relDir)}, which the folder's filter keeps`;
        continue;
      }
      const record = parseFindRecord(raw);
      if (record === undefined) {
        this.incomplete ??= `find printed a record that is not in the expected format: ${JSON.stringify(raw.slice(0, 200))}`;
        continue;
      }
      const relPath = relPathOfReconcileKey(record.key);
      const slash = relPath.lastIndexOf('/');
      const relDir = slash < 0 ? '' : relPath.slice(0, slash);
      if (!this.dirAccepted(relDir)) continue;
      const absPath = `${this.base === '/' ? '' : this.base}/${relPath}`;
      if (!this.filter.acceptsFileInAcceptedDir(relPath, absPath, relPath.slice(slash + 1))) continue;
      if (this.tooLong(absPath, relDir)) continue;
      // A path that is not UTF-8 decodes to U+FFFD, and Node cannot open it by that name (nor
      // upload it): reported, as the in-thread walk does. A real U+FFFD is an ordinary name.
      if (undecodable?.has(i)) {
        this.recordError(relPath, 'EILSEQ', undecodableName(relPath).message);
        continue;
      }
      keys.push(record.key);
      devs.push(record.dev);
    }
    // The full entry is parsed back from the key only for the few files that changed; the key leaves out the device.
    return {
      keys,
      entry: (i) => {
        const file = parseReconcileKey(keys[i]!);
        if (file === undefined) throw new Error(`find printed a record not in the expected shape: ${JSON.stringify(keys[i])}`);
        return { ...file, dev: BigInt(devs[i]!) };
      },
    };
  }

  /**
   * Node opens files by absolute path, find relative to their directory: a path of PATH_MAX bytes
   * or more is one the in-process walk cannot read (ENAMETOOLONG), and neither could an upload.
   * Reported once per directory, whose known files then do not count as deleted.
   */
  private tooLong(absPath: string, relDir: string): boolean {
    if (absPath.length * 3 < PATH_MAX || Buffer.byteLength(absPath) < PATH_MAX) return false;
    if (!this.tooLongDirs.has(relDir)) {
      this.tooLongDirs.add(relDir);
      this.recordError(relDir, 'ENAMETOOLONG', `path too long to open: ${absPath.slice(0, 200)}...`);
    }
    return true;
  }

  /** Counted always, kept up to MAX_ERRORS; an error of the root means the walk saw nothing. */
  private recordError(relPath: string, code: string, message: string): void {
    this.errorCount++;
    if (relPath === '') this.rootFailed = true;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ relPath, code, message });
  }

  /** Whether the filter accepts this directory and every directory above it (find pruned only some). */
  private dirAccepted(relDir: string): boolean {
    if (relDir === '') return true;
    let verdict = this.dirVerdicts.get(relDir);
    if (verdict === undefined) {
      verdict = this.dirAccepted(parentDir(relDir)) && this.filter.acceptsDir(relDir);
      if (this.dirVerdicts.size >= MAX_CACHED_DIRS) this.dirVerdicts.clear();
      this.dirVerdicts.set(relDir, verdict);
    }
    return verdict;
  }

  /** find's complaints, line by line as they arrive ('\n' flushes the last one). */
  private readErrors(text: string): void {
    const lines = (this.stderrTail + text).split('\n');
    this.stderrTail = lines.pop()!;
    for (const line of lines) {
      if (line === '') continue;
      const parsed = parseFindErrorLine(line, this.base);
      if (parsed.kind === 'unknown') {
        this.incomplete ??= `find said: ${line.slice(0, 300)}`;
        continue;
      }
      this.complaints++;
      if (parsed.kind === 'path') this.recordError(parsed.error.relPath, parsed.error.code, parsed.error.message);
    }
  }

  /** As opening it would: a root that is missing, unreadable or not a directory fails the walk. */
  private rootIsDirectory(): boolean {
    try {
      if (statSync(this.base).isDirectory()) return true;
      this.recordError('', 'ENOTDIR', `not a directory: ${this.base}`);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.recordError('', e.code ?? 'UNKNOWN', e.message);
    }
    return false;
  }

  private finish(incomplete: string | undefined): void {
    if (this.finished) return;
    this.finished = true;
    if (incomplete !== undefined) this.incomplete ??= incomplete;
  }
}
