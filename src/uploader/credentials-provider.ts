import { FatalError, storageErrorCode } from './errors.js';

const MIN_REFRESH_GAP_MS = 1000;

/** What a request is signed with. Temporary credentials carry a token and an expiry. */
export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** Epoch ms; undefined: never expires (a long-term AccessKey). */
  expiration?: number;
}

/** What `status` and metrics may show of a provider: never a value. */
export interface CredentialsState {
  /** static, file, credentials_uri, process, ecs_ram_role, assume_role */
  kind: string;
  /** Epoch ms of the current credentials' expiry; undefined when they never expire or none are held. */
  expiresAt?: number;
  /** Epoch ms of the last successful fetch. */
  refreshedAt?: number;
  /** The last fetch's failure while it lasts (secret-free), cleared by a success. */
  lastError?: string;
}

/** Where the uploader gets credentials: the one kind there is (static keys are fetched once, never refreshed). */
export type CredentialsProvider = RefreshingCredentials;

/** No valid credentials: every request would fail, so the folder rests as for a bad key. */
export class CredentialsUnavailableError extends FatalError {
  override name = 'CredentialsUnavailableError';
}

/**
 * OSS's answers to a token it will not take (its error-code reference, EC 0002-0000000x):
 * worth one renewal and one more try of the same request before the error counts.
 */
export const TOKEN_REFUSED: ReadonlySet<string> = new Set([
  'SecurityTokenExpired',
  'InvalidSecurityToken',
  'AccessKeyIdAndSecurityTokenNotMatch',
  'InvalidAccessKeyId',
]);

/**
 * A fatal error a credentials refresh may end: no valid credentials, or OSS refusing them (a
 * refused token, or a signature made with a secret OSS no longer holds for the key).
 */
export function isCredentialsError(err: Error): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof CredentialsUnavailableError) return true;
  const code = storageErrorCode(err);
  return code !== undefined && (TOKEN_REFUSED.has(code) || code === 'SignatureDoesNotMatch');
}

/** A provider's own failure (bad JSON, expiry in the past, command exit code...), naming the provider. */
export class CredentialsFetchError extends Error {
  override name = 'CredentialsFetchError';
}

export interface RefreshOptions {
  /** Back-off after a failed fetch: base doubling up to cap. Defaults 1 s, 60 s. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Told about a failed fetch (secret-free). */
  onWarn?: (message: string) => void;
  /**
   * Told every set fetched before anyone can use it: the place to register its secret and token for
   * redaction (an assume_role's base credentials too, which nothing else sees).
   */
  onFetched?: (credentials: OssCredentials) => void;
}

/**
 * Credentials from `fetch`, renewed ahead of expiry by a timer and on demand. get() answers at once
 * while the current ones are fresh. Invariants:
 * - at most one fetch runs (single flight): every caller during it awaits the same promise, so 16
 *   parts asking at expiry cause one fetch;
 * - get() never resolves expired credentials (it throws CredentialsUnavailableError, fatal: folders rest);
 * - a failed fetch keeps the current credentials while they are valid, and is retried with back-off.
 */
export class RefreshingCredentials {
  private current: OssCredentials | undefined;
  private fetchedAt = 0;
  private refreshedAt: number | undefined;
  private inflight: Promise<OssCredentials> | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private nextAttemptAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The credentials a renew() already fetched again for: one forced fetch per set. */
  private renewedFor: OssCredentials | undefined;
  private readonly listeners: Array<(credentials: OssCredentials) => void> = [];
  private readonly closeHooks: Array<() => void> = [];

  constructor(
    readonly kind: string,
    private readonly fetchCredentials: () => Promise<OssCredentials>,
    private readonly options: RefreshOptions = {},
  ) {}

  async get(): Promise<OssCredentials> {
    const current = this.current;
    const now = Date.now();
    if (current && !this.expired(current)) {
      // Past the refresh point (a late timer): refresh in the background, sign with these meanwhile.
      if (now >= this.refreshPoint(current) && now >= this.nextAttemptAt) void this.refreshNow().catch(() => undefined);
      return current;
    }
    if (this.inflight === undefined && now < this.nextAttemptAt && this.lastError !== undefined) {
      // Backing off after a failure: do not hammer a provider that is down.
      throw new CredentialsUnavailableError(`no valid OSS credentials from the ${this.kind} provider: ${this.lastError}`);
    }
    try {
      return await this.refreshNow();
    } catch (err) {
      throw new CredentialsUnavailableError(`no valid OSS credentials from the ${this.kind} provider: ${messageOf(err)}`, { cause: err });
    }
  }

  /**
   * OSS refused `rejected` (token expired or not matching): fetch again once, unless newer ones are
   * already held. True when the caller now has other credentials to retry with.
   */
  async renew(rejected: OssCredentials): Promise<boolean> {
    if (this.current !== undefined && this.current !== rejected) return !this.expired(this.current);
    if (this.renewedFor === rejected && this.inflight === undefined) return false;
    this.renewedFor = rejected;
    try {
      const fresh = await this.refreshNow();
      return !sameCredentials(fresh, rejected);
    } catch {
      return false;
    }
  }

  /** What `status` and metrics may show: never a value. */
  state(): CredentialsState {
    return { kind: this.kind, expiresAt: this.current?.expiration, refreshedAt: this.refreshedAt, lastError: this.lastError };
  }

  /** Called after every successful fetch (new secrets to redact; folders resting may resume). */
  onRefresh(listener: (credentials: OssCredentials) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.closed = true; // no timer is set from now on (schedule)
    clearTimeout(this.timer);
    for (const hook of this.closeHooks.splice(0)) hook();
  }

  /** Run at close() (a file watch to stop). */
  onClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  /** Fetches now, or joins the fetch under way (single flight); also when a source changed (a file rewritten). */
  refreshNow(): Promise<OssCredentials> {
    this.inflight ??= this.fetchOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchOnce(): Promise<OssCredentials> {
    const startedAt = Date.now();
    try {
      const fresh = await this.fetchCredentials();
      if (fresh.expiration !== undefined && fresh.expiration <= Date.now()) {
        throw new CredentialsFetchError(
          `the ${this.kind} provider returned credentials that expired at ${new Date(fresh.expiration).toISOString()}`,
        );
      }
      this.options.onFetched?.(fresh);
      // Same values again: keep the object, so renew() can tell "nothing new" by identity.
      if (!this.current || !sameCredentials(this.current, fresh)) this.current = fresh;
      this.fetchedAt = startedAt;
      this.refreshedAt = Date.now();
      this.failures = 0;
      this.lastError = undefined;
      this.nextAttemptAt = 0;
      // At least a second apart (a source that keeps answering a set about to expire must not be
      // asked in a tight loop), but never later than the expiry.
      this.schedule(
        Math.max(this.refreshPoint(this.current), Math.min(Date.now() + MIN_REFRESH_GAP_MS, this.current.expiration ?? Infinity)),
      );
      for (const listener of this.listeners) listener(this.current);
      return this.current;
    } catch (err) {
      this.failures++;
      this.lastError = messageOf(err);
      const base = this.options.retryBaseMs ?? 1000;
      const delay = Math.min(this.options.retryCapMs ?? 60_000, base * 2 ** (this.failures - 1));
      this.nextAttemptAt = Date.now() + delay;
      const keeping = this.current && !this.expired(this.current);
      this.options.onWarn?.(
        `could not refresh OSS credentials from the ${this.kind} provider (${this.lastError}); ` +
          (keeping ? 'keeping the current ones until they expire' : 'none valid: uploads wait') +
          `, next try in ${Math.round(delay / 1000)} s`,
      );
      this.schedule(this.nextAttemptAt);
      throw err;
    }
  }

  /** The next background fetch; unref'd so it never keeps a process alive. */
  private schedule(at: number): void {
    if (this.closed || !Number.isFinite(at)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.refreshNow().catch(() => undefined);
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  private refreshPoint(credentials: OssCredentials): number {
    if (credentials.expiration === undefined) return Infinity;
    const lifetime = credentials.expiration - this.fetchedAt;
    return this.fetchedAt + lifetime * 0.8; // at 80% of the lifetime: time left to retry a failed fetch
  }

  private expired(credentials: OssCredentials): boolean {
    return credentials.expiration !== undefined && Date.now() >= credentials.expiration;
  }
}

/** Today's static keys: fetched once, never refreshed (a rejected key stays a bad key). */
export function staticCredentials(credentials: OssCredentials): RefreshingCredentials {
  return new RefreshingCredentials('static', () => Promise.resolve(credentials));
}

function sameCredentials(a: OssCredentials, b: OssCredentials): boolean {
  return a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
