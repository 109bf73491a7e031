import { relative, resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { StateStore } from '../store/index.js';
import { CONFIG_OPTION, parseCommandArgs, resolveConfigPath, UsageError } from './args.js';

export const RETRY_HELP = `usage: oss-sync retry [--config FILE] [PATH...]

Puts failed files back in the queue (all of them, or those at or under each PATH). A running daemon
picks them up within seconds.
`;

export async function runRetryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...CONFIG_OPTION, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    process.stdout.write(RETRY_HELP);
    return 0;
  }
  const config = loadConfig(resolveConfigPath(values.config), process.env, { purpose: 'inspect' });
  const store = StateStore.open(config.stateDb);
  try {
    let total = 0;
    if (positionals.length === 0) total = store.queue.retryFailed();
    for (const p of positionals) {
      const abs = resolve(p);
      const folder = config.folders.find((f) => abs === f.path || abs.startsWith(`${f.path}/`));
      if (!folder) throw new UsageError(`${p} is not inside any configured folder`);
      const rel = relative(folder.path, abs).split('\\').join('/');
      total += rel === '' ? store.queue.retryFailed({ folder: folder.name }) : store.queue.retryFailed({ folder: folder.name, relPaths: [rel] });
    }
    process.stdout.write(`${total} failed file(s) queued again\n`);
    return 0;
  } finally {
    store.close();
  }
}
