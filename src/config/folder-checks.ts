/** Checks across folders (unique names, no nesting, no two folders writing the same keys, parts that fit the memory budget) and of the state database's place. */
import { statSync } from 'node:fs';
import { basename, dirname, relative } from 'node:path';
import { compileGlobs } from '../lib/path-globs.js';
import type { IssueSink } from './issue-sink.js';
import { canonicalPath, isInsideOrSame } from './paths.js';
import type { ReadFolder } from './folder-section.js';
import type { FolderConfig } from './types.js';
import { formatSize } from './units.js';

/**
 * `name:` when given, else the directory's basename made safe (`photos`). A folder's name keys its
 * saved state, so it must not depend on the order of the list: two folders whose directories share
 * a name must be named (numbering them by position would hand one's state, and under `mirror` its
 * deletions, to the other when the list is reordered).
 */
export function assignFolderNames(folders: readonly ReadFolder[], sink: IssueSink): FolderConfig[] {
  const taken = new Map<string, string>();
  for (const folder of folders) {
    if (folder.explicitName === undefined) continue;
    const other = taken.get(folder.explicitName);
    if (other === undefined) taken.set(folder.explicitName, folder.keyPath);
    else sink.atValue(`${folder.keyPath}.name`, `name "${folder.explicitName}" is already used by ${other} (${sink.lineOf(other)})`);
  }
  // What earlier versions named by position (`photos-2`): the name this folder's saved state has.
  const positional = new Set(taken.keys());
  return folders.map((folder) => {
    if (folder.explicitName !== undefined) return { name: folder.explicitName, ...folder.config };
    const name =
      basename(folder.config.path)
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'folder';
    let before = name;
    for (let n = 2; positional.has(before); n++) before = `${name}-${n}`;
    positional.add(before);
    const other = taken.get(name);
    if (other !== undefined) {
      sink.atValue(
        folder.keyPath,
        `its default name "${name}" (the directory's name) is already used by ${other} (${sink.lineOf(other)}); ` +
          `give each a name: (a folder's name keys its saved state; earlier versions called this one "${before}" by its place in the list: name it so to keep its state)`,
      );
    }
    taken.set(name, folder.keyPath);
    return { name, ...folder.config };
  });
}

export function checkFolderOverlaps(folders: readonly ReadFolder[], sink: IssueSink): void {
  const complete = folders.filter((folder) => folder.complete);
  complete.forEach((later, index) => {
    for (const earlier of complete.slice(0, index)) {
      const where = `${earlier.keyPath} (${sink.lineOf(earlier.keyPath)})`;
      const [a, b] = [canonicalPath(later.config.path), canonicalPath(earlier.config.path)];
      if (isInsideOrSame(a, b) || isInsideOrSame(b, a)) {
        const how = a === b ? 'is the same directory as' : isInsideOrSame(a, b) ? 'is inside' : 'contains';
        sink.atValue(
          `${later.keyPath}.path`,
          `${later.config.path} ${how} ${earlier.config.path} of ${where}; watched folders must not nest`,
        );
      }
      // Two prefixes in one bucket overlap when one contains the other's keys.
      const [mine, theirs] = [later.config.prefix, earlier.config.prefix];
      if (later.config.bucket === earlier.config.bucket && (mine.startsWith(theirs) || theirs.startsWith(mine))) {
        const show = (prefix: string): string => (prefix === '' ? 'the bucket root' : `prefix "${prefix}"`);
        sink.atValue(
          `${later.keyPath}.prefix`,
          `${show(mine)} in bucket ${later.config.bucket} overlaps ${show(theirs)} of ${where}; give each folder its own prefix`,
        );
      }
    }
  });
}

/** The daemon ignores its own database, but one inside a watched folder is still a surprise; then warnIfStateDbExposed(). */
export function warnAboutStateDb(stateDb: string, folders: readonly FolderConfig[], sink: IssueSink): void {
  for (const folder of folders) {
    if (folder.path === '' || !isInsideOrSame(stateDb, folder.path)) continue;
    const rel = relative(folder.path, stateDb).split('\\').join('/');
    if (compileGlobs(folder.exclude)?.(rel)) continue;
    sink.warn(
      `state_db ${stateDb} is inside watched folder "${folder.name}" (${folder.path}); the daemon skips it, but consider moving it or adding it to exclude`,
    );
  }
  warnIfStateDbExposed(stateDb, sink);
}

/**
 * Reports each folder whose part size exceeds concurrency.memory: an upload waits for one part's
 * buffer from the budget before it reads it (see the uploader's MemoryBudget), so a part that does
 * not fit would wait forever. Reported at the part_size that gave the folder its size: its own,
 * else the global one, else (the default part size) at concurrency.memory.
 */
export function checkPartsFitMemory(
  folders: readonly ReadFolder[],
  memoryBytes: number,
  globalPartSizeSet: boolean,
  sink: IssueSink,
): void {
  let reportedGlobal = false;
  for (const folder of folders) {
    if (folder.config.partSize <= memoryBytes) continue;
    const at = folder.partSizeSet ? `${folder.keyPath}.part_size` : globalPartSizeSet ? 'part_size' : 'concurrency.memory';
    if (!folder.partSizeSet) {
      if (reportedGlobal) continue; // one report for every folder using the global size
      reportedGlobal = true;
    }
    sink.atValue(
      at,
      `parts of ${formatSize(folder.config.partSize)} (${folder.keyPath}) do not fit concurrency.memory of ${formatSize(memoryBytes)}: ` +
        'every upload holds at least 1 part in memory; raise concurrency.memory or lower part_size',
    );
  }
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}

/**
 * Warns when the existing database (or a file beside it) is readable, or its folder open, to other
 * users: the database lists every backed-up path, and a user who can open its lock file can keep the
 * daemon from starting. oss-sync creates them 0600 in a 0700 folder; one made by an older version
 * (0644 in a 0755 folder) or opened up by hand is named at start-up, with the command that closes it.
 */
function warnIfStateDbExposed(stateDb: string, sink: IssueSink): void {
  if (process.platform === 'win32' || modeOf(stateDb) === undefined) return;
  const readable = [stateDb, `${stateDb}-wal`, `${stateDb}-shm`, `${stateDb}.lock`].flatMap((path) => {
    const mode = modeOf(path);
    return mode !== undefined && (mode & 0o044) !== 0 ? [{ path, mode }] : [];
  });
  if (readable.length > 0) {
    sink.warn(
      `state_db: other users can read ${readable.map((f) => `${f.path} (mode ${octal(f.mode)})`).join(', ')}: ` +
        `the database lists every backed-up path; run: chmod 600 ${readable.map((f) => f.path).join(' ')}`,
    );
  }
  const dir = dirname(stateDb);
  const dirMode = modeOf(dir);
  // Entering (x) alone reveals nothing; listing (r) or writing (w: replacing the database) does.
  if (dirMode !== undefined && (dirMode & 0o066) !== 0) {
    sink.warn(
      `state_db: its folder ${dir} is open to other users (mode ${octal(dirMode)}); run: chmod 700 ${dir} ` +
        '(under systemd, StateDirectoryMode=0700 keeps it so)',
    );
  }
}
