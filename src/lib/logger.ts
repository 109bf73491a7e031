/**
 * Logs: JSON lines on stdout (journald and log shippers read them as they are), a readable line
 * when stdout is a terminal. Every registered secret is replaced by *** wherever it appears, in
 * the message or any field, so a secret that leaks into an error text never reaches the log.
 */
import { terminalSafe } from './terminal-text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Rotating secrets kept for redaction: 32 sets of secret and token. */
const MAX_ROTATING = 64;
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines instead of JSON (default: when the stream is a TTY). */
  pretty?: boolean;
  secrets?: readonly string[];
  write?: (line: string) => void;
}

export class Logger {
  private level: LogLevel;
  private readonly pretty: boolean;
  private secrets: string[];
  private readonly rotating: string[] = [];
  private readonly write: (line: string) => void;

  constructor(options: LoggerOptions) {
    this.level = options.level;
    this.pretty = options.pretty ?? Boolean(process.stdout.isTTY);
    this.secrets = (options.secrets ?? []).filter((s) => s.length > 0);
    this.write = options.write ?? writeStdout;
  }

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  /** Adds values that must never be printed (an access key secret, an STS token). */
  addSecrets(secrets: ReadonlyArray<string | undefined>): void {
    for (const s of secrets) if (s && !this.secrets.includes(s)) this.secrets.push(s);
  }

  /**
   * Like addSecrets, for credentials that rotate (a set every few minutes for months): only the last
   * MAX_ROTATING are kept, so redacting a line does not slow down without end.
   */
  addRotatingSecrets(secrets: ReadonlyArray<string | undefined>): void {
    for (const s of secrets) {
      if (!s || this.secrets.includes(s) || this.rotating.includes(s)) continue;
      this.rotating.push(s);
      if (this.rotating.length > MAX_ROTATING) this.rotating.shift();
    }
  }

  readonly debug = (msg: string, fields?: LogFields): void => this.log('debug', msg, fields);
  readonly info = (msg: string, fields?: LogFields): void => this.log('info', msg, fields);
  readonly warn = (msg: string, fields?: LogFields): void => this.log('warn', msg, fields);
  readonly error = (msg: string, fields?: LogFields): void => this.log('error', msg, fields);

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    const record = { time: new Date().toISOString(), level, msg, ...normalise(fields) };
    let line: string;
    if (this.pretty) {
      // A terminal obeys escape sequences: a file name or error text is redacted, then shown with
      // its control characters escaped, so it cannot clear the screen or forge a line (JSON lines
      // keep the exact text: JSON escapes control characters itself).
      const show = (text: string): string => terminalSafe(this.redact(text));
      const extra = Object.entries(record)
        .filter(([k]) => k !== 'time' && k !== 'level' && k !== 'msg')
        .map(([k, v]) => `${show(k)}=${show(typeof v === 'string' ? v : String(JSON.stringify(v)))}`)
        .join(' ');
      line = `${record.time.slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${show(msg)}${extra ? `  ${extra}` : ''}`;
    } else {
      line = JSON.stringify(record);
    }
    this.write(`${this.redact(line)}\n`);
  }

  redact(text: string): string {
    let out = text;
    for (const s of [...this.secrets, ...this.rotating]) {
      out = out.split(s).join('***');
      // A JSON line holds a secret with " \ or a control character in its escaped form.
      const escaped = JSON.stringify(s).slice(1, -1);
      if (escaped !== s) out = out.split(escaped).join('***');
    }
    return out;
  }
}

/**
 * JavaScript's own error classes. One of them without a code is an error nobody classified (what a
 * bug throws): our errors are classes of their own (StorageError, FileChangedError, ConfigError...)
 * and a system call's carries its code (ENOENT), so their message says what happened; this one's
 * says only where, in its stack.
 */
const BUILT_IN_ERRORS: ReadonlySet<object> = new Set(
  [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError].map((c) => c.prototype),
);

/**
 * Errors become their message (and code, or their stack when nobody classified them); bigints
 * become strings, so JSON.stringify never throws.
 */
function normalise(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out[k] = v.message;
      const code = (v as { code?: unknown }).code;
      if (typeof code === 'string') out[`${k}Code`] = code;
      const unclassified = BUILT_IN_ERRORS.has(Object.getPrototypeOf(v) as object) && code === undefined;
      if (unclassified && v.stack !== undefined) out[`${k}Stack`] = v.stack;
    } else if (typeof v === 'bigint') out[k] = v.toString();
    else out[k] = v;
  }
  return out;
}

/**
 * stdout, gathered for a few milliseconds. On a pipe (journald, a supervising parent) every write is
 * a system call that wakes the reader; one per line cost more than the uploads at thousands of files
 * a second. Lines reach stdout within FLUSH_AFTER_MS, at FLUSH_AT_BYTES, or at exit; a kill -9 can
 * lose the last few milliseconds of lines, never what the state database recorded.
 */
let pendingStdout = '';
let flushTimer: NodeJS.Timeout | undefined;
const FLUSH_AT_BYTES = 64 * 1024;
const FLUSH_AFTER_MS = 20;

function flushStdout(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pendingStdout === '') return;
  const out = pendingStdout;
  pendingStdout = '';
  process.stdout.write(out);
}

function writeStdout(line: string): void {
  pendingStdout += line;
  if (pendingStdout.length >= FLUSH_AT_BYTES) flushStdout();
  // Unref'd: a pending flush never keeps the process alive; flushLogsAtExit()'s hook writes what is left.
  else flushTimer ??= setTimeout(flushStdout, FLUSH_AFTER_MS).unref();
}

/**
 * Makes process.exit() write the lines still gathered, and every line reach stdout's reader before
 * the process ends. Called once by the program's entry point (cli/main.ts), not at import: importing
 * a module changes nothing about the process.
 */
export function flushLogsAtExit(): void {
  // Node writes a pipe or socket (journald, a supervising parent) asynchronously on Linux: what a slow
  // reader had not taken yet was dropped by process.exit(), the run's last lines (its summary) first.
  // Blocking writes deliver them; lines are gathered, so that is a write per 64 KiB or 20 ms.
  (process.stdout as { _handle?: { setBlocking?: (blocking: boolean) => unknown } })._handle?.setBlocking?.(true);
  process.on('exit', flushStdout);
}
