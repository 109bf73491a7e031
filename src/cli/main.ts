#!/usr/bin/env node
/**
 * The `oss-sync` command: a thin dispatcher. Each subcommand lives in its own module and returns
 * an exit code; nothing here knows how uploading or watching works.
 */
import { runEmulatorCommand } from '../emulator/emulator-command.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; run: Command }> = {
  emulator: { summary: 'run the built-in OSS-compatible server (for tests and demos)', run: runEmulatorCommand },
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
  return command.run(rest);
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
