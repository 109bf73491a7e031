import { existsSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { terminalSafe } from '../lib/terminal-text.js';
import { StateStore } from '../store/index.js';
import { CONFIG_OPTION, parseCommandArgs, resolveConfigPath } from './args.js';
import { retryTarget } from './retry-targets.js';

export const RETRY_HELP = `usage: oss-sync retry [--config FILE] [PATH...]

Puts failed files back in the queue (all of them, or those at or under each PATH). A PATH is a
file or directory inside a configured folder (symlinks resolved), or folder/path as status prints
it. A running daemon picks them up within seconds.
`;

export async function runRetryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...CONFIG_OPTION, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(RETRY_HELP);
    return 0;
  }
  const config = loadConfig(resolveConfigPath(values.config), process.env, { purpose: 'inspect' });
  // Opening would create the database and its folders: a wrong --config or state_db would then
  // leave an empty database behind and report "0 queued" as if all were well.
  if (!existsSync(config.stateDb)) {
    process.stderr.write(
      `oss-sync retry: no state database at ${terminalSafe(config.stateDb)} (state_db of ${terminalSafe(config.sourcePath)}): nothing to retry; ` +
        'has the daemon run with this config?\n',
    );
    return 1;
  }
  const store = StateStore.open(config.stateDb);
  try {
    // Every PATH is checked before anything is queued: a bad one changes nothing.
    const targets = positionals.map((p) => retryTarget(config.folders, p));
    let total = positionals.length === 0 ? store.queue.retryFailed() : 0;
    for (const { folder, relPath } of targets) {
      total += relPath === '' ? store.queue.retryFailed({ folder }) : store.queue.retryFailed({ folder, relPaths: [relPath] });
    }
    process.stdout.write(`${total} failed file(s) queued again\n`);
    return 0;
  } finally {
    store.close();
  }
}
