import { compareUtf8 } from './utf8-order.js';

export interface ListingOptions {
  prefix: string;
  delimiter: string;
  maxKeys: number;
}

export interface ListingPage<T> {
  items: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  nextMarker?: string;
}

/** True when `marker` is a common prefix this listing would have returned (so everything under it was rolled up). */
export function isRolledUpPrefix(marker: string, { prefix, delimiter }: ListingOptions): boolean {
  if (!delimiter || !marker.startsWith(prefix)) return false;
  return marker.indexOf(delimiter, prefix.length) === marker.length - delimiter.length;
}

/**
 * One page of a sorted listing with prefix filtering and delimiter roll-up, as OSS does it:
 * each common prefix counts once against maxKeys. `items` must be in listing order, starting after the marker.
 */
export function pageOf<T>(items: Iterable<T>, keyOf: (item: T) => string, options: ListingOptions, skipUnder?: string): ListingPage<T> {
  const { prefix, delimiter, maxKeys } = options;
  const page: ListingPage<T> = { items: [], commonPrefixes: [], truncated: false };
  let count = 0;
  for (const item of items) {
    const key = keyOf(item);
    if (skipUnder !== undefined && key.startsWith(skipUnder)) continue;
    if (!key.startsWith(prefix)) {
      if (compareUtf8(key, prefix) > 0) break; // past every key with the prefix
      continue;
    }
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && common === page.commonPrefixes.at(-1)) continue;
    if (count === maxKeys) {
      page.truncated = true;
      break;
    }
    count++;
    if (common !== undefined) {
      page.commonPrefixes.push(common);
      page.nextMarker = common;
    } else {
      page.items.push(item);
      page.nextMarker = key;
    }
  }
  if (!page.truncated) delete page.nextMarker;
  return page;
}
