/**
 * What a fault rule's `match.key` may be. Nothing a caller sends over HTTP becomes a RegExp: a
 * backtracking pattern (`^(a+)+$`) would hold the server's one thread for ever. A glob is matched by
 * globMatches() below in O(key × pattern) steps at worst, which for keys of at most 1023 bytes is
 * bounded. An in-process RegExp stays allowed: it is the calling test's own code, not input.
 */
export type FaultKey = string | RegExp | { prefix: string } | { glob: string };

/**
 * `*` is any run of characters ('/' included), `?` one character, `\` makes the next one literal.
 * The classic two-pointer match: on a mismatch it resumes from the last `*` one character further
 * on, so no state is ever revisited more than once per key position: no exponential backtracking.
 */
export function globMatches(glob: string, text: string): boolean {
  const pattern = Array.from(glob);
  const chars = Array.from(text);
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < chars.length) {
    const token = pattern[p];
    if (token === '*') {
      starAt = p++;
      resumeAt = t;
      continue;
    }
    const literal = token === '\\' ? pattern[p + 1] : token;
    const width = token === '\\' ? 2 : 1;
    if (token !== undefined && (token === '?' || literal === chars[t])) {
      p += width;
      t++;
    } else if (starAt >= 0) {
      p = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

export function keyMatches(key: FaultKey, target: string): boolean {
  if (typeof key === 'string') return key === target;
  if (key instanceof RegExp) {
    key.lastIndex = 0;
    return key.test(target);
  }
  if ('prefix' in key) return target.startsWith(key.prefix);
  return globMatches(key.glob, target);
}
