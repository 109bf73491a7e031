/**
 * The reconcile key: a file's identity and path as one string, `size:seconds:ino/relPath`, what a
 * reconcile walk compares with FileQueue.reconcileKeys(). Written three ways, kept here side by
 * side: in JavaScript (the in-thread walk), in SQL (the store's side) and as GNU find's -printf fields
 * (the find walk, which takes keys straight from find's output with no parsing per file). A
 * difference of one character makes every file look changed, or a changed one look unchanged:
 * test/store/reconcile-key.test.ts checks all three against each other on real files.
 *
 * The fingerprint has no '/', so the path starts after the first one. The mtime is written as
 * find's `%T@` writes it (epochSeconds()).
 */

const NS_PER_SECOND = 1_000_000_000n;

export function reconcileKey(size: number | bigint, mtimeNs: bigint, ino: bigint, relPath: string): string {
  return `${size}:${epochSeconds(mtimeNs)}:${ino}/${relPath}`;
}

/** reconcileKey() as GNU find's -printf fields: %s size, %T@ mtime (epochSeconds()), %i inode, %P path below the root. */
export const RECONCILE_KEY_FIND_FORMAT = '%s:%T@:%i/%P';

/**
 * reconcileKey()'s fingerprint (all but '/relPath') in SQL over a `files` row. epochSeconds() in
 * SQL: `/` and `%` truncate toward zero, so before 1970 the seconds are floored by hand;
 * 1000000000 + nanoseconds, less its leading 1, is them padded to nine digits. Exact over int64's
 * whole range of nanoseconds but its first second (1677-09-21), where the floored product
 * overflows: a time no file has.
 */
export const RECONCILE_FINGERPRINT_SQL = `size || ':' || CASE WHEN mtime_ns >= 0
    THEN (mtime_ns / 1000000000) || '.' || substr(1000000000 + mtime_ns % 1000000000, 2) || '0'
    ELSE ((mtime_ns + 1) / 1000000000 - 1) || '.' || substr(1000000000 + mtime_ns - ((mtime_ns + 1) / 1000000000 - 1) * 1000000000, 2) || '0'
  END || ':' || ino`;

/**
 * Nanoseconds since the epoch as seconds with ten decimals: the floored seconds, a '.', nine
 * digits of nanoseconds and a '0' (1795612485676948431n -> '1795612485.6769484310'; before 1970
 * the seconds are negative and the fraction is not: -1n -> '-1.9999999990'). Exact, unlike a double.
 */
export function epochSeconds(ns: bigint): string {
  const digits = ns.toString();
  // The common case by string: at least one second after the epoch.
  if (digits.length > 9 && ns > 0n) return `${digits.slice(0, -9)}.${digits.slice(-9)}0`;
  let seconds = ns / NS_PER_SECOND; // truncates toward zero
  if (ns < 0n && seconds * NS_PER_SECOND !== ns) seconds -= 1n;
  return `${seconds}.${String(ns - seconds * NS_PER_SECOND).padStart(9, '0')}0`;
}

/** The path part of a reconcileKey(). */
export function relPathOfReconcileKey(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

/** reconcileKey()'s fingerprint (the mtime as epochSeconds() writes it: seconds, nine digits, '0') and the '/' before the path. */
const FINGERPRINT = /^(\d+):(-?\d+)\.(\d{9})0:(\d+)\//;

/** The inverse of reconcileKey() (and so of epochSeconds()); undefined for text not in its shape. */
export function parseReconcileKey(key: string): { size: number; mtimeNs: bigint; ino: bigint; relPath: string } | undefined {
  const match = FINGERPRINT.exec(key);
  if (match === null) return undefined;
  const mtimeNs = BigInt(match[2]!) * NS_PER_SECOND + BigInt(match[3]!);
  return { size: Number(match[1]), mtimeNs, ino: BigInt(match[4]!), relPath: key.slice(match[0].length) };
}
