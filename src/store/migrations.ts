import type { Database } from 'better-sqlite3';

/**
 * Versioned schema. Each entry moves the database from version i to i+1 (PRAGMA user_version);
 * entries are append-only: never edit one that has shipped, add a new one.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE files (
    id              INTEGER PRIMARY KEY,
    folder          TEXT    NOT NULL,
    rel_path        TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    mtime_ns        INTEGER NOT NULL,
    ino             INTEGER NOT NULL,
    dev             INTEGER NOT NULL,
    bucket          TEXT    NOT NULL,
    remote_key      TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('queued','uploading','verified','failed','deleting')),
    generation      INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    queued_at       INTEGER,
    started_at      INTEGER,
    uploaded_at     INTEGER,
    bytes_done      INTEGER NOT NULL DEFAULT 0,
    remote_etag     TEXT,
    remote_crc64    TEXT,
    UNIQUE (folder, rel_path)
  );
  CREATE INDEX files_due ON files (state, next_attempt_at);

  CREATE TABLE uploads (
    upload_id   TEXT    PRIMARY KEY,
    file_id     INTEGER REFERENCES files (id) ON DELETE SET NULL,
    bucket      TEXT    NOT NULL,
    remote_key  TEXT    NOT NULL,
    part_size   INTEGER NOT NULL,
    part_count  INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    ino         INTEGER NOT NULL,
    dev         INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
  );
  CREATE INDEX uploads_by_file ON uploads (file_id);
  CREATE INDEX uploads_by_key ON uploads (bucket, remote_key);

  CREATE TABLE parts (
    upload_id   TEXT    NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT    NOT NULL,
    crc64       TEXT    NOT NULL,
    acked_at    INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
  ) WITHOUT ROWID;

  CREATE TABLE daemon (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    pid          INTEGER NOT NULL,
    hostname     TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    config_path  TEXT,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
  );

  CREATE TABLE folder_health (
    folder     TEXT PRIMARY KEY,
    root       TEXT NOT NULL,
    mode       TEXT NOT NULL,
    note       TEXT,
    updated_at INTEGER NOT NULL
  );
  `,
  // 2: the size of the object last verified on OSS, so a file whose mtime or inode changed but whose
  //    size did not can be checked by content (CRC-64) instead of being uploaded again.
  `ALTER TABLE files ADD COLUMN remote_size INTEGER;`,
  // 3: the scheduler reads only pending rows: in queue order (small-file lane), by size (large-file
  //    lane) and by due time (when to wake up). Partial indexes keep each O(rows returned), where the
  //    plain (state, next_attempt_at) index made every claim sort all queued rows.
  `CREATE INDEX files_pending_id ON files (id) WHERE state IN ('queued','deleting');
   CREATE INDEX files_pending_size ON files (size) WHERE state IN ('queued','deleting');
   CREATE INDEX files_pending_due ON files (next_attempt_at) WHERE state IN ('queued','deleting');`,
  // 4: a repair. Keys used to turn '\' in a file name into '/', so `a\b.txt` went up to the key of
  //    `a/b.txt` and may have overwritten it. That file's row is sent again, its remote checksums
  //    forgotten (they describe what it uploaded, not what the object holds now).
  `UPDATE files SET state = CASE WHEN state IN ('verified','failed') THEN 'queued' ELSE state END,
     generation = generation + 1, attempts = 0, last_error = NULL, next_attempt_at = 0,
     remote_etag = NULL, remote_crc64 = NULL, remote_size = NULL
   WHERE state <> 'deleting' AND EXISTS (
     SELECT 1 FROM files b WHERE b.folder = files.folder AND instr(b.rel_path, '\\') > 0 AND replace(b.rel_path, '\\', '/') = files.rel_path);`,
  // 5: how long each row's wait (next_attempt_at) was when it was set, so a wait the wall clock
  //    stretched (stepped back) is cut to at most that long again (FileQueue.reschedule). Waits set
  //    by older versions get the longest any of them could have been: 10 minutes.
  `ALTER TABLE files ADD COLUMN wait_ms INTEGER NOT NULL DEFAULT 0;
   UPDATE files SET wait_ms = 600000 WHERE next_attempt_at > 0;`,
  // 6: `oss-sync restore`'s progress, so a killed restore resumes: one row per file being restored
  //    (the object's ETag it was started from, its temporary file) and one per range written and
  //    checked (its CRC-64). A separate table: restores never touch the upload queue. IF NOT EXISTS:
  //    a database whose version was set back (tests of older steps do) runs this step again.
  `CREATE TABLE IF NOT EXISTS restore_files (
     target     TEXT    PRIMARY KEY,
     bucket     TEXT    NOT NULL,
     remote_key TEXT    NOT NULL,
     etag       TEXT    NOT NULL,
     size       INTEGER NOT NULL,
     part_size  INTEGER NOT NULL,
     temp_path  TEXT    NOT NULL,
     started_at INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS restore_parts (
     target      TEXT    NOT NULL REFERENCES restore_files (target) ON DELETE CASCADE,
     part_number INTEGER NOT NULL,
     size        INTEGER NOT NULL,
     crc64       TEXT    NOT NULL,
     PRIMARY KEY (target, part_number)
   ) WITHOUT ROWID;`,
  // 7: when a one-shot job (`oss-sync verify`) last finished with everything in order, for the
  //    running daemon's /metrics: the job runs in another process, the database is what both see.
  `CREATE TABLE IF NOT EXISTS runs (
     name        TEXT    PRIMARY KEY,
     finished_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // 8: server-side renames and delete safeguards. removed_files: what a file held on OSS when it
  //    vanished (a keep folder drops its row at once), so a file that reappears elsewhere with the
  //    same identity is copied on OSS instead of uploaded; files_by_ino finds a known file by identity.
  //    held_deletes: a mirror folder's deletes paused by max_deletes until `oss-sync retry --deletes`
  //    (the file's row stays as it was).
  `CREATE TABLE IF NOT EXISTS removed_files (
     folder       TEXT    NOT NULL,
     rel_path     TEXT    NOT NULL,
     bucket       TEXT    NOT NULL,
     remote_key   TEXT    NOT NULL,
     size         INTEGER NOT NULL,
     mtime_ns     INTEGER NOT NULL,
     ino          INTEGER NOT NULL,
     dev          INTEGER NOT NULL,
     remote_etag  TEXT    NOT NULL,
     remote_crc64 TEXT    NOT NULL,
     removed_at   INTEGER NOT NULL,
     PRIMARY KEY (folder, rel_path)
   );
   CREATE INDEX IF NOT EXISTS removed_files_by_ino ON removed_files (ino, size);
   CREATE INDEX IF NOT EXISTS files_by_ino ON files (ino, size);
   CREATE TABLE IF NOT EXISTS held_deletes (
     folder   TEXT    NOT NULL,
     rel_path TEXT    NOT NULL,
     reason   TEXT    NOT NULL,
     held_at  INTEGER NOT NULL,
     PRIMARY KEY (folder, rel_path)
   ) WITHOUT ROWID;`,
  // 9: folders an operator paused (the status page), so a restart keeps them paused.
  `CREATE TABLE IF NOT EXISTS operator_pauses (
     folder    TEXT    PRIMARY KEY,
     paused_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // 10: folders whose adoption began and has not ended, so a crash part-way adopts the rest at the next start.
  `CREATE TABLE IF NOT EXISTS unfinished_adoptions (
     folder     TEXT    PRIMARY KEY,
     started_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database's schema version; one newer than this build is an error (its rows may mean other things). */
function understoodVersion(db: Database, path: string): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `state database ${path} has schema version ${current}, newer than this oss-sync understands (${SCHEMA_VERSION}); upgrade oss-sync`,
    );
  }
  return current;
}

/** A read-only reader cannot migrate: it needs the database at this build's schema. */
export function requireCurrentSchema(db: Database, path: string): void {
  const current = understoodVersion(db, path);
  if (current < SCHEMA_VERSION) {
    throw new Error(
      `state database ${path} has schema version ${current}, older than this oss-sync's (${SCHEMA_VERSION}); ` +
        `starting the daemon upgrades it (or run status as the daemon's user)`,
    );
  }
}

/**
 * Applies every migration newer than the database, each in its own transaction.
 * Invariant: each step re-reads the version under SQLite's write lock (BEGIN IMMEDIATE), so when
 * several processes open a new database at once (the daemon, `status`, `retry`), each step runs once.
 */
export function migrate(db: Database, path: string): void {
  understoodVersion(db, path); // a newer schema is refused before anything is written
  const step = db.transaction((): boolean => {
    const version = understoodVersion(db, path);
    if (version >= SCHEMA_VERSION) return false;
    db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one version per transaction, as a crash between steps leaves a valid older schema
  }
}
