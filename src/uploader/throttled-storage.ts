import type { BandwidthLimiter } from './bandwidth-limiter.js';
import { ForwardingStorage } from './object-storage.js';
import type { Body, ObjectRef, ObjectStorage, RequestOptions } from './object-storage.js';
import type { UploadGate } from './upload-gate.js';

export interface StorageLimits {
  /** The upload window: body requests and multipart starts wait for it. */
  gate: UploadGate;
  /** One bandwidth limit over every request body. */
  limiter: BandwidthLimiter;
  /**
   * Most body requests in flight at once (files x parts per file): a request's deadline grows by its
   * body's time at 1/bodySlots of the rate, its worst-case share of the shared limit.
   */
  bodySlots: number;
  /**
   * Also ask OSS to cap each body request at the limit (x-oss-traffic-limit), clamped to the range
   * OSS accepts. The shared bucket still caps the sum; this makes the server pace each request too.
   */
  ossTrafficLimit?: boolean;
  /** A request cut off by a hard cutoff, about to wait for the window and go again. */
  onCutOff?: (operation: string, ref: ObjectRef) => void;
}

/**
 * ObjectStorage with the operator's limits as a wrapper around the backend (restic's idea): put,
 * initMultipart and uploadPart wait for an open window; request bodies go through the shared bandwidth
 * limiter. Nothing else is held: reads, lists, completes, aborts and deletes carry no body worth
 * limiting, a stop or clean-up must not wait for a window, and downloads are not uploads.
 *
 * Wrap it around the retrying storage: a retry's back-off then never runs while the window is shut,
 * and a request cut off by a hard cutoff is sent again once the window opens (Body.open() gives a fresh stream).
 */
export function withLimits(storage: ObjectStorage, limits: StorageLimits): ObjectStorage {
  return new (class extends ForwardingStorage {
    override put: ObjectStorage['put'] = (ref, body, options = {}) =>
      this.gated('PutObject', ref, options, (o) => this.inner.put(ref, this.throttled(body), this.withBodyTime(o, body.size)));

    override initMultipart: ObjectStorage['initMultipart'] = (ref, options = {}) =>
      this.gated('InitiateMultipartUpload', ref, options, (o) => this.inner.initMultipart(ref, o));

    override uploadPart: ObjectStorage['uploadPart'] = (ref, uploadId, partNumber, body, options = {}) =>
      this.gated('UploadPart', ref, options, (o) =>
        this.inner.uploadPart(ref, uploadId, partNumber, this.throttled(body), this.withBodyTime(o, body.size)),
      );

    /** Waits for the window, then sends; a hard cutoff abandons the attempt and waits again. The caller's signal ends it for good. */
    private async gated<T, O extends RequestOptions>(
      operation: string,
      ref: ObjectRef,
      options: O,
      send: (options: O) => Promise<T>,
    ): Promise<T> {
      for (;;) {
        await limits.gate.wait(options.signal);
        const cut = limits.gate.cutSignal();
        // One controller per attempt, its listeners removed after: the gate's signal lives as long as
        // no hard cutoff comes (in soft mode, for ever), and must not collect one per request sent.
        const attempt = new AbortController();
        const abort = (): void => attempt.abort(options.signal?.aborted ? options.signal.reason : cut.reason);
        cut.addEventListener('abort', abort, { once: true });
        options.signal?.addEventListener('abort', abort, { once: true });
        if (cut.aborted || options.signal?.aborted) abort();
        try {
          return await send({ ...options, signal: attempt.signal });
        } catch (err) {
          if (!cut.aborted || options.signal?.aborted) throw err;
          limits.onCutOff?.(operation, ref);
        } finally {
          cut.removeEventListener('abort', abort);
          options.signal?.removeEventListener('abort', abort);
        }
      }
    }

    /**
     * The body through the limiter, when a limit holds now. A body in memory would be sent as one
     * buffer, past the limiter: it is streamed instead (checked by its CRC-64 like any other).
     */
    private throttled(body: Body): Body {
      const limiter = limits.limiter;
      if (limiter.rate === null) return body;
      return { size: body.size, open: () => limiter.throttle(body.open()) };
    }

    /** The request's deadline, stretched by its body's worst-case time under the limit (and its OSS cap, if asked for). */
    private withBodyTime<O extends RequestOptions>(options: O, bytes: number): O {
      const rate = limits.limiter.rate;
      if (rate === null) return options;
      const capped = limits.ossTrafficLimit ? { trafficLimit: ossTrafficLimit(rate) } : {};
      if (options.timeoutMs === undefined) return { ...options, ...capped };
      return { ...options, ...capped, timeoutMs: options.timeoutMs + Math.ceil(((bytes * limits.bodySlots) / rate) * 1000) };
    }
  })(storage);
}

/** OSS takes x-oss-traffic-limit in bits per second, from 819200 (100 KiB/s) to 838860800 (100 MiB/s). */
function ossTrafficLimit(bytesPerSecond: number): number {
  return Math.min(838_860_800, Math.max(819_200, Math.round(bytesPerSecond * 8)));
}
