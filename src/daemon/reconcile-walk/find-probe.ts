import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcileKey } from '../../store/reconcile-key.js';
import { findArgs, parseFindRecord } from './find-format.js';

/** The find run by FindWalk: GNU find from PATH, with messages in the C locale (FindWalk parses them). */
export const FIND_COMMAND = 'find';

/**
 * The whole environment find gets: PATH (to be found, as `find`) and LC_ALL=C (messages FindWalk
 * parses, names printed byte for byte). Nothing else: the daemon's environment holds its
 * credentials (OSS_* or whatever `${VAR}` the config names), and a child needs none of them.
 * No TZ either: the walk prints `%T@`, seconds since the epoch, which no time zone changes.
 * Built per spawn, so PATH is the one in force then.
 */
export function findEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
}

let supported: boolean | undefined;

/**
 * Whether this machine's find can do a FindWalk: asked once per process, by walking a scratch
 * folder and checking that find's record of a file is exactly what lstat says of it (the reconcile
 * key and the device). BusyBox and BSD find (no -printf), an older GNU find printing times
 * differently, or none at all: false, and reconciles walk in Node instead.
 */
export function findWalkSupported(): boolean {
  supported ??= probeFind(FIND_COMMAND);
  return supported;
}

/** The check behind findWalkSupported(), of any command. */
export function probeFind(command: string): boolean {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'oss-sync-find-probe-'));
    const file = join(dir, 'probe file ü.txt');
    writeFileSync(file, 'probe');
    const stats = lstatSync(file, { bigint: true });
    const out = execFileSync(command, findArgs(dir, ['never-matches-*']), {
      env: findEnv(),
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const records = out.toString('utf8').split('\0');
    const record = records.length === 2 && records[1] === '' ? parseFindRecord(records[0]!) : undefined;
    return (
      record !== undefined &&
      record.key === reconcileKey(stats.size, stats.mtimeNs, stats.ino, 'probe file ü.txt') &&
      record.dev === String(stats.dev)
    );
  } catch {
    return false;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
