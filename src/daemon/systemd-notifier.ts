import { execFile } from 'node:child_process';
import type { Logger } from '../lib/logger.js';

export interface SystemdNotifierOptions {
  /** The process environment: NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID as systemd sets them. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** False while the daemon cannot make progress (its scheduler has not run lately): no watchdog ping then. */
  healthy: () => boolean;
  /** One line for `systemctl status`, asked for at start and then every statusEveryMs. */
  status: () => string;
  statusEveryMs?: number;
  /** The program that sends a message (tests point it elsewhere to see a missing one handled). */
  program?: string;
}

/**
 * systemd's notify protocol for a `Type=notify` unit: READY=1 once started, STATUS= lines for
 * `systemctl status`, STOPPING=1, and WATCHDOG=1 pings at half of WatchdogSec= while the daemon is
 * healthy (a stalled event loop or scheduler sends none, and systemd restarts us).
 *
 * Node 20 cannot send a unix datagram, so each message goes through `systemd-notify`. Run as root it
 * sends with our PID as the sender (NotifyAccess=main works); as another user the unit needs
 * NotifyAccess=all. Without NOTIFY_SOCKET every call does nothing.
 */
export class SystemdNotifier {
  private readonly socket: string | undefined;
  private readonly watchdogMs: number | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private missingProgramLogged = false;
  private sending = Promise.resolve();
  /** Periodic messages waiting to go out: a slow systemd-notify must not grow an unbounded queue. */
  private readonly queued = new Set<'status' | 'ping'>();

  constructor(private readonly o: SystemdNotifierOptions) {
    this.socket = o.env.NOTIFY_SOCKET || undefined;
    const usec = Number(o.env.WATCHDOG_USEC);
    // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited it is not that one.
    const forUs = o.env.WATCHDOG_PID === undefined || Number(o.env.WATCHDOG_PID) === process.pid;
    this.watchdogMs = this.socket && forUs && Number.isFinite(usec) && usec > 0 ? usec / 1000 : undefined;
  }

  /** READY=1 with the first status line; starts the status updates and the watchdog pings. */
  ready(): Promise<void> {
    if (!this.socket) return Promise.resolve();
    const sent = this.send(() => ['READY=1', `STATUS=${this.o.status()}`]);
    this.timers.push(
      setInterval(() => this.sendOnce('status', () => [`STATUS=${this.o.status()}`]), this.o.statusEveryMs ?? 30_000).unref(),
    );
    if (this.watchdogMs !== undefined) {
      // Health is judged when the ping is sent, not when it was asked for: a stall meanwhile sends none.
      this.timers.push(
        setInterval(() => this.sendOnce('ping', () => (this.o.healthy() ? ['WATCHDOG=1'] : [])), this.watchdogMs / 2).unref(),
      );
    }
    return sent;
  }

  /** STOPPING=1: no more pings, so a long shutdown_grace is not mistaken for a hang. */
  stopping(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    if (!this.socket) return Promise.resolve();
    return this.send(() => ['STOPPING=1', 'STATUS=stopping: letting in-flight parts finish']);
  }

  /** A periodic message, unless the previous one of its kind is still waiting its turn. */
  private sendOnce(kind: 'status' | 'ping', fields: () => string[]): void {
    if (this.queued.has(kind)) return;
    this.queued.add(kind);
    void this.send(() => {
      this.queued.delete(kind);
      return fields();
    });
  }

  /** Messages go out one at a time, in order (READY before the first ping), their fields taken as each is sent. Never rejects. */
  private send(fields: () => string[]): Promise<void> {
    this.sending = this.sending.then(
      () =>
        new Promise<void>((done) => {
          // A status line holds file counts, never a path or a secret; a newline would start a new field.
          const clean = fields().map((f) => f.replace(/[\r\n]+/g, ' '));
          if (clean.length === 0) return done();
          execFile(this.o.program ?? 'systemd-notify', clean, { env: { NOTIFY_SOCKET: this.socket, PATH: process.env.PATH } }, (err) => {
            if (err) this.reportFailure(err);
            done();
          });
        }),
    );
    return this.sending;
  }

  private reportFailure(err: Error & { code?: string | number | null }): void {
    if (err.code === 'ENOENT') {
      if (this.missingProgramLogged) return;
      this.missingProgramLogged = true;
      this.o.logger.error('NOTIFY_SOCKET is set but systemd-notify is not installed: systemd will not see the daemon ready', {});
      return;
    }
    this.o.logger.warn('systemd-notify failed', { error: err });
  }
}
