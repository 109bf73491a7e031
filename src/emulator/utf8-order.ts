/**
 * OSS lists keys in UTF-8 byte order. JS string comparison is UTF-16 order, which differs only when
 * a surrogate pair meets a character in U+E000..U+FFFF; compare code points in that rare case.
 */
export function compareUtf8(a: string, b: string): number {
  if (!hasHighChars(a) && !hasHighChars(b)) return a < b ? -1 : a > b ? 1 : 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return ca.done && cb.done ? 0 : ca.done ? -1 : 1;
    const diff = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
}

function hasHighChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0xd800) return true;
  return false;
}
