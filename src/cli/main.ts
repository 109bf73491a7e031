#!/usr/bin/env node
/**
 * The `oss-sync` command: a thin dispatcher. Each subcommand lives in its own module and returns
 * an exit code; nothing here knows how uploading or watching works.
 */
import { ConfigError } from '../config/index.js';
import { runEmulatorCommand } from '../emulator/emulator-command.js';
import { UsageError } from './args.js';
import { runDemoCommand } from './demo-command.js';
import { runOnceCommand } from './once-command.js';
import { runRetryCommand } from './retry-command.js';
import { runDaemonCommand } from './run-command.js';
import { runStatusCommand } from './status-command.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; run: Command }> = {
  run: { summary: 'run the daemon: watch the folders and upload until stopped', run: runDaemonCommand },
  once: { summary: 'reconcile, upload everything pending, exit (for cron and timers)', run: runOnceCommand },
  status: { summary: 'what is queued, uploading, uploaded and failing', run: runStatusCommand },
  retry: { summary: 're-queue failed files', run: runRetryCommand },
  emulator: { summary: 'run the built-in OSS-compatible server (for tests and demos)', run: runEmulatorCommand },
  demo: { summary: 'run the emulator and the daemon with sample folders', run: runDemoCommand },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: oss-sync <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'oss-sync <command> --help' for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`oss-sync: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`oss-sync ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`oss-sync ${name}: invalid configuration:\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`oss-sync: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
