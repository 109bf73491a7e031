import { setMaxListeners } from 'node:events';

/**
 * The upload window, one gate the scheduler (no new file) and every body request wait on. Closing it is
 * soft (requests in flight finish) or hard: cutSignal() fires and the requests in flight are abandoned,
 * to be sent again once it opens (acknowledged parts stay acknowledged: see withLimits).
 */
export class UploadGate {
  private opened = true;
  private waiters = new Set<() => void>();
  private cut = cutController();

  get isOpen(): boolean {
    return this.opened;
  }

  /** Requests waiting for the window now (status, tests). */
  get waiting(): number {
    return this.waiters.size;
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** hard: cut off the requests in flight too. */
  close(hard: boolean): void {
    this.opened = false;
    if (hard) {
      this.cut.abort(new Error('upload window closed (hard cutoff)'));
      this.cut = cutController();
    }
  }

  /** Fires when a hard cutoff closes the gate after this call. */
  cutSignal(): AbortSignal {
    return this.cut.signal;
  }

  /** Resolves at once when open, else when it opens; rejects with the signal's reason. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.waiters.delete(wake);
        reject(signal?.reason);
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Every body request in flight listens for the cutoff: far more than Node's default of 10, which would log a leak warning. */
function cutController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
