import type { TimetableConfig } from '../config/index.js';
import type { BandwidthLimiter, UploadGate } from '../uploader/index.js';
import type { Logger } from '../lib/logger.js';
import type { Timetable, TimetableState } from './timetable.js';

export interface TimetableRunnerOptions {
  gate: UploadGate;
  limiter: BandwidthLimiter;
  logger: Logger;
  /** false (`once`): only the bandwidth applies; the window is left open. */
  windows: boolean;
  /** The window opened: queued work may start now. */
  onOpen: () => void;
}

/**
 * Keeps the upload gate and the bandwidth limiter as the timetable says: evaluated when applied and at
 * every minute one of its entries fires. Evaluating, rather than applying the firing entry alone,
 * keeps the state right whatever the clock did in between. apply() again (SIGHUP) replaces it.
 */
export class TimetableRunner {
  private timetable: Timetable | undefined;
  private cutoff: TimetableConfig['cutoff'] = 'soft';
  private state: TimetableState | undefined;
  private stopped = false;

  constructor(private readonly options: TimetableRunnerOptions) {}

  /** node-cron is loaded only when there is a timetable: `once` without one starts faster. */
  async apply(config: TimetableConfig | null): Promise<void> {
    this.timetable?.destroy();
    if (this.stopped) return;
    if (!config) {
      this.timetable = undefined;
      this.set({ uploadsOpen: true, bandwidth: null }, 'no timetable');
      return;
    }
    const { Timetable } = await import('./timetable.js');
    if (this.stopped) return;
    this.cutoff = config.cutoff;
    this.timetable = new Timetable(config, (entry) => this.evaluate(`timetable entry "${entry.at}"`));
    this.evaluate('timetable applied');
    this.timetable.start();
  }

  stop(): void {
    this.stopped = true;
    this.timetable?.destroy();
  }

  private evaluate(reason: string): void {
    if (this.timetable) this.set(this.timetable.stateAt(new Date()), reason);
  }

  private set(state: TimetableState, reason: string): void {
    const { gate, limiter, logger } = this.options;
    const open = state.uploadsOpen || !this.options.windows;
    const prev = this.state;
    this.state = state;
    limiter.setRate(state.bandwidth);
    if (open) gate.open();
    else gate.close(this.cutoff === 'hard');
    if (prev && prev.uploadsOpen === state.uploadsOpen && prev.bandwidth === state.bandwidth) return;
    logger.info('upload timetable', {
      reason,
      uploads: open ? 'open' : 'closed',
      ...(open ? {} : { cutoff: this.cutoff }),
      bandwidth: state.bandwidth === null ? 'unlimited' : `${state.bandwidth} bytes/s`,
    });
    if (open) this.options.onOpen();
  }
}
