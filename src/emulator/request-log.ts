import type { RequestLogEntry } from './types.js';

/** Keeps memory bounded in long benchmark runs; the oldest entries go first. */
const MAX_ENTRIES = 200_000;

/** What the emulator actually received and answered, for tests and benchmarks to count. */
export class RequestLog {
  private log: RequestLogEntry[] = [];

  record(entry: RequestLogEntry): void {
    this.log.push(entry);
    if (this.log.length > MAX_ENTRIES) this.log.splice(0, this.log.length - MAX_ENTRIES);
  }

  /** A copy: later requests do not change it. */
  entries(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e, query: { ...e.query } }));
  }

  clear(): void {
    this.log = [];
  }
}
