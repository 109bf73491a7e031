import { terminalSafe } from '../lib/terminal-text.js';
import { loadInspectConfig, parseCommandArgs, UsageError } from './args.js';
import { openExistingStore } from './retry-command.js';

const help = (verb: 'pause' | 'resume'): string => `usage: oss-sync ${verb} [--config FILE] FOLDER...

${
  verb === 'pause'
    ? `Stops uploading (and deleting) the named folders' files: they stay queued, transfers already
running finish. The pause is kept in the state database, so a restarted daemon stays paused, and
\`once\` reports the folder as not synced. A running daemon applies it within seconds.`
    : `Ends the pause of the named folders (set here or on the status page); a running daemon starts
their queued files within seconds.`
}
`;

export const pause = (argv: string[]): Promise<number> => setPause('pause', argv);
export const resume = (argv: string[]): Promise<number> => setPause('resume', argv);

async function setPause(verb: 'pause' | 'resume', argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, help(verb), {}, true);
  if (!args) return 0;
  const config = loadInspectConfig(args.values.config);
  const names = args.positionals;
  if (names.length === 0) throw new UsageError(`oss-sync ${verb}: name at least one folder`);
  // Every name is checked before anything is written: a typo changes nothing.
  const unknown = names.find((name) => !config.folders.some((f) => f.name === name));
  if (unknown !== undefined) throw new UsageError(`oss-sync ${verb}: no folder named ${terminalSafe(unknown)} in ${config.sourcePath}`);
  const store = openExistingStore(verb, config);
  if (!store) return 1;
  try {
    for (const name of names) store.operatorPauses.set(name, verb === 'pause');
  } finally {
    store.close();
  }
  process.stdout.write(`${names.map((n) => terminalSafe(n)).join(', ')}: ${verb === 'pause' ? 'paused' : 'resumed'}\n`);
  return 0;
}
