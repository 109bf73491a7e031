/** Collects every issue and warning of one parse, located through the YAML source. */
import type { ConfigIssue } from './config-error.js';
import type { Position, YamlSource } from './yaml-source.js';

export class IssueSink {
  readonly issues: ConfigIssue[];
  readonly warnings: string[] = [];

  constructor(readonly source: YamlSource) {
    this.issues = [...source.syntaxIssues];
  }

  /** A problem with the value written at keyPath. */
  atValue(keyPath: string, message: string): void {
    this.push(keyPath, message, this.source.valuePosition(keyPath));
  }

  /** A problem with the key itself (unknown, misspelt). */
  atKey(keyPath: string, message: string): void {
    this.push(keyPath, message, this.source.keyPosition(keyPath));
  }

  /** Issues in file order, so the report reads top to bottom. */
  sortedIssues(): ConfigIssue[] {
    const order = (issue: ConfigIssue): number => (issue.line ?? 0) * 1e6 + (issue.column ?? 0);
    return [...this.issues].sort((a, b) => order(a) - order(b));
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** `line 12` of keyPath, for messages that refer to a second place. */
  lineOf(keyPath: string): string {
    const position = this.source.keyPosition(keyPath);
    return position ? `line ${position.line}` : this.source.file;
  }

  private push(keyPath: string, message: string, position: Position | undefined): void {
    this.issues.push({ file: this.source.file, line: position?.line, column: position?.column, keyPath, message });
  }
}
