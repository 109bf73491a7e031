/**
 * The parts of a reconcile key that FileQueue.reconcileKeys() builds in SQL, each the twin of the
 * JavaScript that builds the walk's side (row-mapping's epochSeconds, the daemon's objectKey): a
 * difference of one character makes every file look changed, or one out of step look in step.
 */
import { sep } from 'node:path';

/**
 * epochSeconds(mtime_ns) in SQL, for reconcileKeys(): `/` and `%` truncate toward zero, so before
 * 1970 the seconds are floored by hand; 1000000000 + nanoseconds, less its leading 1, is them padded to nine digits.
 * Exact over int64's whole range of nanoseconds but its first second (1677-09-21), where the
 * floored product overflows: a time no file has.
 */
export const EPOCH_SECONDS_SQL = `CASE WHEN mtime_ns >= 0
    THEN (mtime_ns / 1000000000) || '.' || substr(1000000000 + mtime_ns % 1000000000, 2) || '0'
    ELSE ((mtime_ns + 1) / 1000000000 - 1) || '.' || substr(1000000000 + mtime_ns - ((mtime_ns + 1) / 1000000000 - 1) * 1000000000, 2) || '0'
  END`;

/**
 * A file's key below the prefix, as the daemon's objectKey() builds it: '\' is a separator on
 * Windows only; elsewhere it is part of a name (`a\b.txt` and `a/b.txt` are two objects).
 */
export const KEY_PATH_SQL = sep === '\\' ? `replace(rel_path, '\\', '/')` : 'rel_path';
