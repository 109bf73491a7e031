/** Collects every issue and warning of one parse, located through the YAML source. */
import type { ConfigIssue } from './config-error.js';
import { hideEnvValues, type EnvRef } from './env-refs.js';
import type { Position, YamlSource } from './yaml-source.js';

/**
 * Shorter environment values stay in messages: no credential is that short (AccessKey IDs have 24
 * characters, secrets 30), and hiding a "4" everywhere would garble line numbers.
 */
const MIN_HIDDEN_LENGTH = 8;

export class IssueSink {
  readonly issues: ConfigIssue[];
  readonly warnings: string[] = [];

  /**
   * envRefs: every `${VAR}` of the config and its value. Checks across keys (two folders with one
   * name, nested paths) build messages from resolved values, one of which may be a secret under the
   * wrong key: every issue and warning shows such values as `${NAME}`, whichever check wrote it.
   */
  constructor(
    readonly source: YamlSource,
    private readonly envRefs: readonly EnvRef[] = [],
  ) {
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
    this.warnings.push(this.hide(message));
  }

  /** `line 12` of keyPath, for messages that refer to a second place. */
  lineOf(keyPath: string): string {
    const position = this.source.keyPosition(keyPath);
    return position ? `line ${position.line}` : this.source.file;
  }

  private push(keyPath: string, message: string, position: Position | undefined): void {
    this.issues.push({ file: this.source.file, line: position?.line, column: position?.column, keyPath, message: this.hide(message) });
  }

  private hide(message: string): string {
    return hideEnvValues(message, this.envRefs, MIN_HIDDEN_LENGTH);
  }
}
