import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export interface InotifyUsage {
  /** fs.inotify.max_user_watches, or undefined where there is no inotify (then `available` is Infinity). */
  max: number | undefined;
  /** Watches held by this user's processes that we could inspect. */
  used: number;
  /** What a new watcher may take: max - used - margin (never below 0). */
  available: number;
}

const MAX_WATCHES_FILE = '/proc/sys/fs/inotify/max_user_watches';

function readInt(path: string): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

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
 * How many inotify watches a new watcher can still take. The limit is per user, so this counts the
 * watches of every process of this user (other users' processes are skipped even when readable).
 * The margin leaves room for watches created after we looked (editors, other daemons).
 */
export function inotifyUsage({ margin = 1_024 }: { margin?: number } = {}): InotifyUsage {
  const max = readInt(MAX_WATCHES_FILE);
  if (max === undefined) return { max, used: 0, available: Number.POSITIVE_INFINITY };
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
  return { max, used, available: Math.max(0, max - used - margin) };
}

/** inotify watches a new watcher may still take (Infinity without inotify); see inotifyUsage(). */
export function inotifyBudget(): number {
  return inotifyUsage().available;
}
