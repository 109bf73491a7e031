/** Config errors: ConfigError (every problem of a file, located) and InvalidValue (one value's, before it is located). */

/** One problem in a config file, located as precisely as the YAML allows. */
export interface ConfigIssue {
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the offending key, e.g. `folders[1].prefix`; '' for the whole document. */
  keyPath: string;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.keyPath === '' ? `${where}: ${issue.message}` : `${where}: ${issue.keyPath}: ${issue.message}`;
}

/** Thrown by loadConfig/parseConfig with every problem found, so users fix them all in one pass. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly issues: ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`invalid configuration (${count}):\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  }
}

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
