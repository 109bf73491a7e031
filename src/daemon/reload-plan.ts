import type { Config, FolderConfig } from '../config/index.js';
import { transferStackSettings } from './transfer-stack.js';

/** What a reload (SIGHUP) changes, worked out from the config in force and the new one alone. */
export interface ReloadPlan {
  /** Folders no longer configured: closed, their transfers cancelled and their multipart uploads aborted. */
  remove: string[];
  /** Folders whose settings changed: closed, then started with the new ones. */
  restart: FolderConfig[];
  add: FolderConfig[];
  /** The OSS client, uploader and worker are built anew (see transferStackSettings). */
  rebuildTransfer: boolean;
  /** reconcile_schedule, cleanup_schedule or verify_schedule changed. */
  reschedule: boolean;
  timetableChanged: boolean;
}

/**
 * Pure: compares two configs. A global setting every folder is built with (settle time, rescan
 * interval, ignore list) restarts them all, as a change of their own would. A credentials provider
 * other than static keys is rebuilt at every reload: SIGHUP is how an operator makes it fetch anew.
 */
export function planReload(previous: Config, next: Config): ReloadPlan {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const restartAll = !same(
    [previous.settleMs, previous.rescanIntervalMs, previous.ignore],
    [next.settleMs, next.rescanIntervalMs, next.ignore],
  );
  const wanted = new Map(next.folders.map((f) => [f.name, f]));
  const running = new Set(previous.folders.map((f) => f.name));
  const remove: string[] = [];
  const restart: FolderConfig[] = [];
  for (const folder of previous.folders) {
    const want = wanted.get(folder.name);
    if (!want) remove.push(folder.name);
    else if (restartAll || !same(want, folder)) restart.push(want);
  }
  return {
    remove,
    restart,
    add: next.folders.filter((f) => !running.has(f.name)),
    rebuildTransfer:
      (next.oss.credentials?.provider ?? 'static') !== 'static' || !same(transferStackSettings(previous), transferStackSettings(next)),
    reschedule:
      previous.reconcileSchedule !== next.reconcileSchedule ||
      previous.cleanupSchedule !== next.cleanupSchedule ||
      previous.verifySchedule !== next.verifySchedule,
    timetableChanged: !same(previous.timetable, next.timetable),
  };
}
