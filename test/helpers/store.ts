import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { StateStore } from '../../src/store/index.js';
import { tempDir } from './fixtures.js';

/** A path for a state database not created yet (in its own temp dir) per test, removed after it. */
export function useDbPath(): { readonly path: string } {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());
  return {
    get path() {
      return join(dir.path, 'state.db');
    },
  };
}

/** A fresh state database (in its own temp dir) per test, closed and removed after it. */
export function useStore(): { readonly store: StateStore; readonly dir: string } {
  let dir: ReturnType<typeof tempDir>;
  let store: StateStore;
  beforeEach(() => {
    dir = tempDir();
    store = StateStore.open(join(dir.path, 'state.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });
  return {
    get store() {
      return store;
    },
    get dir() {
      return dir.path;
    },
  };
}

/** Queues 3-byte files `names` in `folder` (as a walk would observe them), target keys p/<name> in bucket b. */
export function queueFiles(store: StateStore, folder: string, names: readonly string[], mtimeNs = 1n): void {
  store.queue.observe(
    folder,
    names.map((n, i) => ({ relPath: n, size: 3, mtimeNs, ino: BigInt(i + 1), dev: 1n, bucket: 'b', key: `p/${n}` })),
  );
}
