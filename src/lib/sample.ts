/** How many of the files a CRC-64 check reads: a count, or a share in percent (verify --sample, verify_sample). */
export type Sample = { count: number } | { percent: number };

/** '100' (files) or '1%', '0.5%' (of them); undefined when it is neither. */
export function parseSample(raw: string): Sample | undefined {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(raw);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 0 && p <= 100) return { percent: p };
  } else if (/^\d+$/.test(raw) && Number(raw) > 0) {
    return { count: Number(raw) };
  }
  return undefined;
}
