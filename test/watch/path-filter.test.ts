import { describe, expect, it } from 'vitest';
import { PathFilter } from '../../src/daemon/watch/path-filter.js';
import { isTempFileName, TEMP_FILE_GLOBS } from '../../src/lib/path-globs.js';
import { parcelIgnores } from '../../src/daemon/watch/native-watcher.js';

const ROOT = '/data/photos';
const abs = (relPath: string): string => `${ROOT}/${relPath}`;

describe('PathFilter', () => {
  it('accepts everything but temp files by default', () => {
    const filter = new PathFilter();
    for (const ok of ['a.jpg', 'deep/er/b.txt', '.hidden', 'tmp/x.txt', 'x.tmp.jpg', 'a~b']) {
      expect(filter.acceptsFile(ok, abs(ok)), ok).toBe(true);
    }
    for (const temp of ['x.tmp', 'd/x.part', '.x.swp', '~$doc.docx', 'd/.#lock']) {
      expect(filter.acceptsFile(temp, abs(temp)), temp).toBe(false);
    }
  });

  it('recognises temp names by basename', () => {
    expect(isTempFileName('movie.mkv.part')).toBe(true);
    expect(isTempFileName('part.mkv')).toBe(false);
  });

  it('ignores the state database, its SQLite siblings, its lock and its status files by absolute path', () => {
    const filter = new PathFilter({ ignoreAbsolute: [abs('.oss-sync/state.db')] });
    for (const suffix of ['', '-wal', '-shm', '-journal', '.lock', '.lock-journal', '.credentials.json', '.versioning.json']) {
      const relPath = `.oss-sync/state.db${suffix}`;
      expect(filter.acceptsFile(relPath, abs(relPath)), relPath).toBe(false);
    }
    expect(filter.acceptsFile('.oss-sync/state.db.bak', abs('.oss-sync/state.db.bak'))).toBe(true);
    expect(filter.acceptsFile('other/state.db', abs('other/state.db'))).toBe(true);
  });

  it('applies include globs to files only; slash-less globs match the basename at any depth', () => {
    const filter = new PathFilter({ include: ['*.jpg', 'docs/*.md'] });
    expect(filter.acceptsFile('a/b/c.jpg', abs('a/b/c.jpg'))).toBe(true);
    expect(filter.acceptsFile('.hidden/c.jpg', abs('.hidden/c.jpg'))).toBe(true);
    expect(filter.acceptsFile('docs/x.md', abs('docs/x.md'))).toBe(true);
    expect(filter.acceptsFile('other/docs/x.md', abs('other/docs/x.md'))).toBe(false);
    expect(filter.acceptsFile('c.png', abs('c.png'))).toBe(false);
    // directories are never pruned by include globs: a *.jpg may be anywhere below
    expect(filter.acceptsDir('a')).toBe(true);
    expect(filter.acceptsDir('docs')).toBe(true);
  });

  it('prunes directories with exclude globs, and rejects files under them', () => {
    const filter = new PathFilter({ exclude: ['node_modules', 'build/**', '**/cache/**', 'secret.txt'] });
    expect(filter.acceptsDir('node_modules')).toBe(false);
    expect(filter.acceptsDir('a/b/node_modules')).toBe(false);
    expect(filter.acceptsDir('build')).toBe(false);
    expect(filter.acceptsDir('a/cache')).toBe(false);
    expect(filter.acceptsDir('a/builder')).toBe(true);
    expect(filter.acceptsDir('')).toBe(true);
    expect(filter.acceptsFile('a/node_modules/x/y.js', abs('a/node_modules/x/y.js'))).toBe(false);
    expect(filter.acceptsFile('build/out.bin', abs('build/out.bin'))).toBe(false);
    expect(filter.acceptsFile('deep/secret.txt', abs('deep/secret.txt'))).toBe(false);
    expect(filter.acceptsFile('src/app.js', abs('src/app.js'))).toBe(true);
    // a walker that pruned already only needs the file's own rules
    expect(filter.acceptsFileInAcceptedDir('a/node_modules/x/y.js', abs('a/node_modules/x/y.js'))).toBe(true);
  });

  it('matches odd and unicode names literally', () => {
    const filter = new PathFilter({ include: ['*.jpg'], exclude: ['ünï*'] });
    expect(filter.acceptsFile('emoji 📷 +#?%.jpg', abs('emoji 📷 +#?%.jpg'))).toBe(true);
    expect(filter.acceptsDir('ünïcødé')).toBe(false);
  });

  it("keeps the config's temp-file globs in force for directories and when built-in ignores are off", () => {
    const globs = TEMP_FILE_GLOBS;
    const filter = new PathFilter({ exclude: globs });
    expect(filter.acceptsDir('render.tmp')).toBe(false);
    expect(filter.acceptsFile('render.tmp/frame.png', abs('render.tmp/frame.png'))).toBe(false);
    expect(filter.acceptsFileInAcceptedDir('a/~lock', abs('a/~lock'))).toBe(false);
    expect(filter.acceptsFileInAcceptedDir('a/frame.png', abs('a/frame.png'), 'frame.png')).toBe(true);
    expect(new PathFilter().acceptsFileInAcceptedDir('a/b.part', abs('a/b.part'))).toBe(false);
  });

  it("leaves the built-in temp-file globs out of a watcher's own pruning, and keeps the others", () => {
    const filter = new PathFilter({ exclude: ['node_modules', '*.tmp', 'build/**', '~*'] });
    expect(filter.watcherPruneGlobs).toEqual(['node_modules', 'build/**']);
    expect(parcelIgnores(filter)).toEqual(['**/node_modules', '**/node_modules/**', 'build/**', 'build/**/**']);
  });
});
