/**
 * Compares strings in the order of their UTF-8 bytes (= code point order): the order OSS lists
 * keys in. JS `<` compares UTF-16 code units, which puts an astral character (a surrogate pair,
 * D800-DFFF) before U+E000..U+FFFF, where UTF-8 puts it after. Only the first differing code unit
 * decides, so no string is copied or encoded.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const end = Math.min(a.length, b.length);
  let i = 0;
  while (i < end && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === end) return a.length < b.length ? -1 : 1;
  return codePointRank(a.charCodeAt(i)) < codePointRank(b.charCodeAt(i)) ? -1 : 1;
}

/** A code unit's place in code point order: surrogates move above U+FFFF, U+E000..U+FFFF down into their room. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}
