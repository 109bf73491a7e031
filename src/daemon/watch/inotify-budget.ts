import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

const MAX_WATCHES_FILE = '/proc/sys/fs/inotify/max_user_watches';
const MARGIN = 1_024;

/** Inotify watches one process holds ('self' for this one): one `inotify wd:` line per watch in each inotify fd's fdinfo. */
export function watchesOfProcess(pid: string): number {
  let count = 0;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return 0; // gone, or not ours to read
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      for (let at = info.indexOf('inotify wd:'); at !== -1; at = info.indexOf('inotify wd:', at + 1)) count++;
    } catch {
      // the fd closed meanwhile
    }
  }
  return count;
}

/**
 * How many inotify watches a new watcher can still take: fs.inotify.max_user_watches (Infinity
 * without inotify) less the watches of every process of this user, as the limit is per user (other
 * users' processes are skipped even when readable), less a margin for watches created after we
 * looked (editors, other daemons). Never below 0.
 */
export function inotifyBudget(): number {
  let max: number;
  try {
    max = Number.parseInt(readFileSync(MAX_WATCHES_FILE, 'utf8'), 10);
  } catch {
    return Number.POSITIVE_INFINITY; // no inotify
  }
  if (!Number.isFinite(max)) return Number.POSITIVE_INFINITY;
  const uid = process.getuid?.();
  let used = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc listing: count nothing, the margin still applies
  }
  for (const pid of pids) {
    try {
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
    } catch {
      continue;
    }
    used += watchesOfProcess(pid);
  }
  return Math.max(0, max - used - MARGIN);
}
