import { hostname } from 'node:os';
import { StoreTable } from './database.js';

export interface DaemonInfo {
  pid: number;
  hostname: string;
  version: string;
  configPath: string | null;
  startedAt: number;
  heartbeatAt: number;
}

export type FolderMode = 'watching' | 'rescanning' | 'paused';

export interface FolderHealth {
  folder: string;
  root: string;
  mode: FolderMode;
  note: string | null;
  updatedAt: number;
}

/** What the running daemon tells `status` about itself and its folders. */
export class DaemonRegistry extends StoreTable {
  register(info: { pid: number; version: string; configPath: string | null }, now = Date.now()): void {
    this.sql(
      'INSERT OR REPLACE INTO daemon (id, pid, hostname, version, config_path, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?, ?)',
    ).run(info.pid, hostname(), info.version, info.configPath, now, now);
  }

  heartbeat(now = Date.now()): void {
    this.sql('UPDATE daemon SET heartbeat_at = ? WHERE id = 1').run(now);
  }

  unregister(): void {
    this.db.transaction(() => {
      this.sql('DELETE FROM daemon').run();
      this.sql('DELETE FROM folder_health').run();
    })();
  }

  info(): DaemonInfo | undefined {
    return this.sql(
      'SELECT pid, hostname, version, config_path AS configPath, started_at AS startedAt, heartbeat_at AS heartbeatAt FROM daemon WHERE id = 1',
    ).get() as DaemonInfo | undefined;
  }

  setFolderHealth(folder: string, root: string, mode: FolderMode, note: string | null, now = Date.now()): void {
    const record = 'INSERT OR REPLACE INTO folder_health (folder, root, mode, note, updated_at) VALUES (?, ?, ?, ?, ?)';
    this.sql(record).run(folder, root, mode, note, now);
  }

  removeFolderHealth(folder: string): void {
    this.sql('DELETE FROM folder_health WHERE folder = ?').run(folder);
  }

  folderHealth(): FolderHealth[] {
    return this.sql('SELECT folder, root, mode, note, updated_at AS updatedAt FROM folder_health ORDER BY folder').all() as FolderHealth[];
  }
}
