import type { BackendName } from './folder-watcher.js';

/** Failures that mean "the kernel won't give us more watches/instances/fds", not "this path is bad". */
const LIMIT_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);
// @parcel/watcher reports strerror() text only, without a code.
const LIMIT_MESSAGES = /No space left on device|Too many open files|ENOSPC|EMFILE|ENFILE/i;

export function watchLimitCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && LIMIT_CODES.has(code)) return code;
  const message = err instanceof Error ? err.message : String(err);
  const match = LIMIT_MESSAGES.exec(message);
  if (match === null) return undefined;
  return /too many open files|EMFILE/i.test(match[0]) ? 'EMFILE' : /ENFILE/i.test(match[0]) ? 'ENFILE' : 'ENOSPC';
}

/** The once-logged line for a fallback to rescans, with the fix. */
export function degradedMessage(root: string, from: BackendName, code: string, rescanIntervalMs: number): string {
  const every = `${Math.round(rescanIntervalMs / 100) / 10} s`;
  const fix =
    code === 'ENOSPC'
      ? 'raise the inotify watch limit, e.g. `sudo sysctl fs.inotify.max_user_watches=524288` ' +
        '(persist it in /etc/sysctl.d/), or use the native watcher (one watch per directory)'
      : 'raise the limits, e.g. `sudo sysctl fs.inotify.max_user_instances=1024` and `ulimit -n` ' +
        '(fs.inotify.max_user_watches too if watches run out)';
  return `${from} watcher for ${root} hit a kernel limit (${code}); now rescanning it every ${every}. Fix: ${fix}, then restart the daemon.`;
}

/** A watch-limit error as the kernel would report it, for tests that exercise the fallback. */
export function simulatedLimitError(code: 'ENOSPC' | 'EMFILE', path: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'too many open files';
  const message = `${code}: System limit for number of file watchers reached (simulated), ${text}, watch '${path}'`;
  return Object.assign(new Error(message), { code, syscall: 'watch', path });
}

/** Test hook: make a backend fail the way the kernel would, through its real error path. */
export interface SimulatedLimit {
  code: 'ENOSPC' | 'EMFILE';
  /** While starting (start() rejects) or once running (the error arrives as a runtime failure). */
  at: 'start' | 'running';
}
