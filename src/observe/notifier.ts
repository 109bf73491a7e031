/**
 * Alerts: a JSON POST to notify.webhook_url on events an operator must act on, and a GET to
 * notify.ping_url after each successful reconcile (healthchecks.io style: silence is the alarm).
 *
 * Invariants: nothing here is awaited by the daemon (send() only queues), so a slow or dead
 * receiver never holds an upload up; each delivery is retried with back-off, then dropped with a
 * warning; the URLs are secrets (registered with the logger): a log line names the host only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../lib/logger.js';

export type AlertEvent =
  'file.parked' | 'folder.paused' | 'folder.resumed' | 'state_db.failed' | 'credentials.expiring' | 'verify.mismatch' | 'deletes.paused';

export interface NotifierOptions {
  webhookUrl?: string;
  pingUrl?: string;
  logger: Logger;
  hostname: string;
  /** Deliveries per alert, the first included (default 6: about a minute of back-off). */
  maxAttempts?: number;
  /** Back-off before retry n (1-based); default 1 s, 2 s, 4 s ... up to 30 s. */
  backoffMs?: (attempt: number) => number;
}

interface Delivery {
  kind: 'webhook' | 'ping';
  body?: string;
}

/** Alerts waiting beyond this are dropped oldest first: a dead receiver must not grow memory. */
const MAX_PENDING = 100;

export class Notifier {
  private readonly pending: Delivery[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  /** Aborted when close()'s grace ran out: what is still waiting is dropped, a back-off ends at once. */
  private readonly abandon = new AbortController();

  constructor(private readonly o: NotifierOptions) {}

  /** Queues a webhook alert; returns at once. */
  alert(event: AlertEvent, details: Record<string, unknown>): void {
    if (this.o.webhookUrl === undefined || this.closed) return;
    const body = JSON.stringify({ event, time: new Date().toISOString(), host: this.o.hostname, ...details });
    this.enqueue({ kind: 'webhook', body: this.o.logger.redact(body) });
  }

  /** Queues a ping; pings waiting together collapse into one. */
  ping(): void {
    if (this.o.pingUrl === undefined || this.closed || this.pending.some((d) => d.kind === 'ping')) return;
    this.enqueue({ kind: 'ping' });
  }

  /** Stops queueing; gives what is queued up to `graceMs` to go out (a stopping daemon's last alert). */
  async close(graceMs = 3_000): Promise<void> {
    this.closed = true;
    if (!this.running) return;
    // Unref'd: the grace timer, left running when the queue empties first, never keeps the process alive.
    await Promise.race([this.running, sleep(graceMs, undefined, { ref: false })]);
    this.pending.length = 0;
    this.abandon.abort();
  }

  private enqueue(d: Delivery): void {
    this.pending.push(d);
    if (this.pending.length > MAX_PENDING) {
      const dropped = this.pending.shift()!;
      this.o.logger.warn('alert dropped: too many waiting for the receiver', { kind: dropped.kind });
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    for (let d = this.pending.shift(); d; d = this.pending.shift()) await this.deliver(d);
  }

  private async deliver(d: Delivery): Promise<void> {
    const max = this.o.maxAttempts ?? 6;
    const raw = d.kind === 'ping' ? this.o.pingUrl! : this.o.webhookUrl!;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(raw, d);
        return;
      } catch (err) {
        const host = new URL(raw).host;
        // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause.
        const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
        const reason = typeof cause?.code === 'string' ? `: ${cause.code}` : typeof cause?.message === 'string' ? `: ${cause.message}` : '';
        const message = this.o.logger.redact(`${(err as Error).message}${reason}`);
        if (attempt >= max || this.abandon.signal.aborted) {
          this.o.logger.warn(`${d.kind} not delivered; giving up`, { host, attempts: attempt, error: message });
          return;
        }
        const wait = this.o.backoffMs?.(attempt) ?? Math.min(30_000, 1_000 * 2 ** (attempt - 1));
        this.o.logger.debug(`${d.kind} failed; retrying`, { host, attempt, retryInMs: wait, error: message });
        // Unref'd: a back-off never keeps the process alive.
        await sleep(wait, undefined, { ref: false, signal: this.abandon.signal }).catch(() => undefined);
        if (this.abandon.signal.aborted) return;
      }
    }
  }

  /** fetch refuses URLs with user:password: they become a Basic header. */
  private async send(raw: string, d: Delivery): Promise<void> {
    const url = new URL(raw);
    const headers: Record<string, string> = { 'user-agent': 'oss-sync' };
    if (url.username !== '' || url.password !== '') {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    if (d.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method: d.kind === 'ping' ? 'GET' : 'POST',
      headers,
      body: d.body,
      signal: AbortSignal.timeout(10_000),
      redirect: 'follow',
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`the receiver answered ${res.status}`);
  }
}
