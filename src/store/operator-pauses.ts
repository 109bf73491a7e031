import { StoreTable } from './database.js';

/** How status, the status page and `once` describe a folder an operator paused. */
export const OPERATOR_PAUSE_NOTE = 'paused by an operator (resume it on the status page or with oss-sync resume)';

/**
 * Folders an operator paused (the status page), kept so that a daemon systemd restarts stays paused.
 * Only a resume (status page, `oss-sync resume`) ends a pause, or the folder leaving the config.
 */
export class OperatorPauses extends StoreTable {
  set(folder: string, paused: boolean, now = Date.now()): void {
    if (paused) this.sql('INSERT OR IGNORE INTO operator_pauses (folder, paused_at) VALUES (?, ?)').run(folder, now);
    else this.sql('DELETE FROM operator_pauses WHERE folder = ?').run(folder);
  }

  /** Drops the pauses of folders no longer configured. */
  forgetAllBut(folders: readonly string[]): void {
    for (const folder of this.folders()) if (!folders.includes(folder)) this.set(folder, false);
  }

  folders(): Set<string> {
    return new Set(this.sql('SELECT folder FROM operator_pauses').pluck().all() as string[]);
  }
}
