/** Thrown by value parsers; the section reader turns it into a located ConfigIssue. */
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue';
}

/** A value as shown in an error message: short and unambiguous. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
