/** Another daemon holds the state database: two writers would upload everything twice. */
export class DaemonAlreadyRunningError extends Error {
  override readonly name = 'DaemonAlreadyRunningError';
  constructor(
    readonly stateDb: string,
    readonly pid: number | undefined,
  ) {
    super(
      `another oss-sync daemon${pid ? ` (pid ${pid})` : ''} is already using the state database ${stateDb}; ` +
        'stop it first, or give this one its own state database',
    );
  }
}

/** The state database failed PRAGMA quick_check: refuse to build on it. */
export class StateDatabaseCorruptError extends Error {
  override readonly name = 'StateDatabaseCorruptError';
  constructor(stateDb: string, problems: string[]) {
    super(`state database ${stateDb} is damaged (${problems.slice(0, 3).join('; ')}); move it aside to start over`);
  }
}

/** The state database refused a write while the daemon was starting (disk full, read-only, I/O error). */
export class StateDatabaseUnwritableError extends Error {
  override readonly name = 'StateDatabaseUnwritableError';
  constructor(stateDb: string, cause: Error) {
    super(`the state database ${stateDb} cannot be written (${cause.message}); free space or fix the file system, then start again`, {
      cause,
    });
  }
}
