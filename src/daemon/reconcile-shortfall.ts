import type { ReconcileResult } from './reconciler.js';

/** Why a reconcile left part of the folder unsynced (for `once`'s exit status), or undefined. */
export function shortfallOf(
  result: ReconcileResult,
  { stillChanging, waitedMs, unmounted }: { stillChanging: string[]; waitedMs: number; unmounted: string[] },
): string | undefined {
  const parts: string[] = [];
  if (result.suspectEmpty)
    parts.push('the folder is empty, but files were backed up from it (unmounted disk?); nothing was treated as deleted');
  if (unmounted.length > 0) {
    parts.push(
      `${unmounted.length} backed-up file(s) missing from a directory that is gone or on another disk now (unmounted disk?); not treated as deleted: ${firstFew(unmounted)}`,
    );
  }
  if (result.errors.length > 0) {
    const paths = result.errors.map((e) => `${e.relPath === '' ? '.' : e.relPath} (${e.message.split(':')[0]})`);
    parts.push(`could not read ${result.errorCount} path(s) during the scan: ${firstFew(paths)}`);
  }
  if (stillChanging.length > 0) {
    parts.push(`${stillChanging.length} file(s) still being written after ${waitedMs / 1000} s, not uploaded: ${firstFew(stillChanging)}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function firstFew(items: readonly string[]): string {
  return `${items.slice(0, 3).join(', ')}${items.length > 3 ? ', ...' : ''}`;
}
