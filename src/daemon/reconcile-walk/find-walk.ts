import { isUtf8 } from 'node:buffer';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { relPathOfReconcileKey } from '../../store/reconcile-key.js';
import type { PathFilter } from '../watch/path-filter.js';
import { undecodableName, type WalkError } from '../watch/tree-walker.js';
import { FindBatch } from './find-batch.js';
import { parseFindErrorLine } from './find-errors.js';
import { findArgs, parseFindRecord, PRUNED_PREFIX } from './find-format.js';
import { FIND_COMMAND, findEnv } from './find-probe.js';
import type { ReconcileWalk } from './reconcile-walk.js';

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
/** How often to look for more output while find is still writing. */
const POLL_MS = 4;
/** Errors kept (the rest are counted), as for the in-process walks. */
const MAX_ERRORS = 1_000;
/** Linux's PATH_MAX, in bytes with the NUL: Node cannot open a longer path. */
const PATH_MAX = 4096;
/** Directory verdicts remembered; a tree with more directories just asks the filter again. */
const MAX_CACHED_DIRS = 100_000;

/**
 * A reconcile walk by GNU find, the fastest tree walker on a Linux box: its readdir and lstat calls
 * run in C, in their own process, on another core, while this thread loads the keys it will
 * compare against. find prints each file's reconcile key as the store writes it, so this thread
 * only splits the output and filters the paths (bench/daemon.ts measures it against the threads).
 *
 * find writes into an unlinked scratch file rather than a pipe: a pipe holds 64 KiB, and find
 * would stall whenever this thread is busy elsewhere. The file is gone with the process, even
 * after kill -9.
 *
 * Same contract as the in-process walks (errors, errorCount, rootFailed), plus `incomplete`: the
 * walk could not account for everything (find failed, stopped, or said something this class does
 * not understand). The caller must then walk again in-process; what was yielded is still true.
 */
export class FindWalk implements ReconcileWalk {
  private readonly base: string;
  private readonly kept: WalkError[] = [];
  private readonly dirVerdicts = new Map<string, boolean>();
  /** Directories with a path too long to open, already reported. */
  private readonly tooLongDirs = new Set<string>();
  private child: ChildProcess | undefined;
  private output: number | undefined;
  private finished = false;
  private stderrTail = '';
  /** Lines of find's standard error understood (errors and files that vanished meanwhile). */
  private complaints = 0;
  private wake: (() => void) | undefined;
  private closed = false;
  readonly name = 'find';
  errorCount = 0;
  rootFailed = false;
  incomplete: string | undefined;

  constructor(
    root: string,
    private readonly filter: PathFilter,
    /** The find to run; default FIND_COMMAND (tests give a broken one). */
    private readonly command = FIND_COMMAND,
  ) {
    const absolute = resolve(root); // never a leading '-' that find would take for an option
    this.base = absolute.length > 1 && absolute.endsWith('/') ? absolute.slice(0, -1) : absolute;
  }

  errors(): WalkError[] {
    return this.kept;
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

  async *[Symbol.asyncIterator](): AsyncGenerator<FindBatch> {
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
          await this.progress();
        }
      }
    } finally {
      this.close();
    }
  }

  /** Records (bytes[0, end), NUL-terminated) to reconcile keys, keeping the files the folder's filter accepts. */
  private parse(bytes: Buffer, end: number): FindBatch {
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
        this.checkPruned(raw.slice(PRUNED_PREFIX.length));
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
      // upload it): reported, as the in-process walks do. A real U+FFFD is an ordinary name.
      if (undecodable?.has(i)) {
        this.recordError(relPath, 'EILSEQ', undecodableName(relPath).message);
        continue;
      }
      keys.push(record.key);
      devs.push(record.dev);
    }
    return new FindBatch(keys, devs);
  }

  /** find pruned this directory by name: the filter must agree, or files of it were never listed. */
  private checkPruned(relDir: string): void {
    if (this.dirAccepted(relDir)) this.incomplete ??= `find pruned ${JSON.stringify(relDir)}, which the folder's filter keeps`;
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
    if (this.kept.length < MAX_ERRORS) this.kept.push({ relPath, code, message });
  }

  /** Whether the filter accepts this directory and every directory above it (find pruned only some). */
  private dirAccepted(relDir: string): boolean {
    if (relDir === '') return true;
    let verdict = this.dirVerdicts.get(relDir);
    if (verdict === undefined) {
      const slash = relDir.lastIndexOf('/');
      verdict = this.dirAccepted(slash < 0 ? '' : relDir.slice(0, slash)) && this.filter.acceptsDir(relDir);
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
      if (parsed.kind === 'vanished') continue;
      this.recordError(parsed.error.relPath, parsed.error.code, parsed.error.message);
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
    this.wake?.();
  }

  /** Until find has written more or finished (it has no way to say which, so a short poll). */
  private progress(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, POLL_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
