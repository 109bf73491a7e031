import type { FileRow } from '../store/index.js';
import type { TaskDone } from './transfer-scheduler.js';

interface RunningTransfer {
  folder: string;
  cancel: AbortController;
  done: Promise<void>;
}

/**
 * The transfers this process is running, each with its own cancel signal (also fired by the
 * scheduler's stop), so that a folder removed by a reload can stop its transfers without
 * stopping the others.
 */
export class RunningTransfers {
  private readonly byRow = new Map<number, RunningTransfer>();

  /**
   * Runs `transfer` for the row with a signal that fires on the scheduler's stop or cancelFolders();
   * it counts as running until the commit it hands back has settled too.
   */
  run(row: FileRow, stopSignal: AbortSignal, transfer: (signal: AbortSignal) => Promise<TaskDone | void>): Promise<TaskDone | void> {
    const cancel = new AbortController();
    const onStop = (): void => cancel.abort(stopSignal.reason);
    if (stopSignal.aborted) onStop();
    else stopSignal.addEventListener('abort', onStop, { once: true });
    const sent = transfer(cancel.signal);
    const done = sent
      .then((result) => result?.committed)
      .finally(() => {
        stopSignal.removeEventListener('abort', onStop);
        this.byRow.delete(row.id);
      });
    done.catch(() => undefined); // the caller is told through `sent` (or the commit it hands back)
    this.byRow.set(row.id, { folder: row.folder, cancel, done });
    return sent;
  }

  /**
   * Cancels the transfers of the given folders and waits until each has settled (the worker then
   * puts an unfinished upload back in the queue, its record kept). Returns false if `stopSignal`
   * fires first: the scheduler's stop then waits for them, within the shutdown grace.
   */
  async cancelFolders(folders: ReadonlySet<string>, stopSignal: AbortSignal, onWaiting: (transfers: number) => void): Promise<boolean> {
    const running = [...this.byRow.values()].filter((t) => folders.has(t.folder));
    if (running.length === 0) return true;
    for (const t of running) t.cancel.abort(new Error('folder removed from the config'));
    onWaiting(running.length);
    let onStop: (() => void) | undefined;
    const stopped = new Promise<false>((resolve) => {
      onStop = () => resolve(false);
      if (stopSignal.aborted) onStop();
      else stopSignal.addEventListener('abort', onStop, { once: true });
    });
    try {
      return await Promise.race([Promise.allSettled(running.map((t) => t.done)).then(() => true), stopped]);
    } finally {
      if (onStop) stopSignal.removeEventListener('abort', onStop);
    }
  }
}
