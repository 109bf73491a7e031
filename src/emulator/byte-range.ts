import { ossErrors } from './oss-error.js';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * OSS's Range rules: one range (only the first of several is used). By default any invalid or
 * out-of-range value is ignored and the whole object is sent with 200; with
 * `x-oss-range-behavior: standard` an end past the object is clamped and a start past it is 416.
 * Returns undefined for "send the whole object".
 */
export function resolveRange(header: string | undefined, size: number, standard: boolean): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1]!, match[2]!];
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return undefined;
    if (suffix > size && !standard) return undefined;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Number(last);
    if (end < start) return undefined;
    if (start >= size) {
      if (standard) throw ossErrors.invalidRange();
      return undefined;
    }
    if (end >= size) {
      if (!standard) return undefined;
      end = size - 1;
    }
  }
  return size === 0 ? undefined : { start, end };
}
