/** After a folder's first fatal error it rests this long; each further one doubles it, up to the cap. */
const FIRST_PAUSE_MS = 60_000;
const PAUSE_CAP_MS = 30 * 60_000;

/**
 * Folders resting after an error every upload of theirs would hit (credentials, bucket), rather than
 * repeat it for every file; a reload clears them. Times are monotonic: a wall-clock step neither
 * ends nor stretches a rest.
 */
export class FatalPauses {
  private readonly pauses = new Map<string, { until: number; ms: number; error: Error; ended?: boolean }>();

  /** Pauses the folder (longer if it was paused before) and returns for how long. */
  pause(folder: string, error: Error, now = performance.now()): number {
    const prev = this.pauses.get(folder);
    const ms = prev ? Math.min(PAUSE_CAP_MS, prev.ms * 2) : FIRST_PAUSE_MS;
    this.pauses.set(folder, { until: now + ms, ms, error });
    return ms;
  }

  /** The error a folder is resting after, if it still is. */
  pausedBy(folder: string, now = performance.now()): Error | undefined {
    const pause = this.pauses.get(folder);
    return pause && pause.until > now ? pause.error : undefined;
  }

  /** Folders whose rest has ended since the last call, each once per pause: they are being tried again. */
  ended(now = performance.now()): string[] {
    const out: string[] = [];
    for (const [folder, pause] of this.pauses) {
      if (pause.ended !== true && pause.until <= now) {
        pause.ended = true;
        out.push(folder);
      }
    }
    return out;
  }

  /** Ends the pauses whose error matches now (credentials renewed); returns those folders. */
  resume(matches: (error: Error) => boolean): string[] {
    const out: string[] = [];
    for (const [folder, pause] of this.pauses) {
      if (pause.ended !== true && matches(pause.error)) {
        this.pauses.delete(folder);
        out.push(folder);
      }
    }
    return out;
  }

  /** Forgets every pause; returns the folders whose pause was not reported ended yet (still shown as paused). */
  clear(): string[] {
    const shown = [...this.pauses].filter(([, pause]) => pause.ended !== true).map(([folder]) => folder);
    this.pauses.clear();
    return shown;
  }
}
