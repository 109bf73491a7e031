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
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`invalid configuration (${count}):\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
