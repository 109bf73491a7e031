#!/usr/bin/env node
/**
 * The `oss-sync` command: a thin dispatcher. Each subcommand lives in its own module, whose run(argv)
 * returns an exit code; nothing here knows how uploading or watching works.
 */
import { ConfigError, formatIssue } from '../config/config-error.js';
import { flushLogsAtExit } from '../lib/logger.js';
import { terminalSafe } from '../lib/terminal-text.js';
import { packageVersion, UsageError } from './args.js';

type Command = (argv: string[]) => Promise<number>;

// Each command's module (and what it needs: ali-oss, SQLite, watchers) loads only when it runs, so
// `status` and `--help` answer without loading the upload machinery.
const COMMANDS: Record<string, [summary: string, load: () => Promise<Command>]> = {
  run: ['run the daemon: watch the folders and upload until stopped', () => import('./run-command.js').then((m) => m.run)],
  once: ['reconcile, upload everything pending, exit (for cron and timers)', () => import('./once-command.js').then((m) => m.run)],
  status: ['what is queued, uploading, uploaded and failing', () => import('./status-command.js').then((m) => m.run)],
  cleanup: ['abort multipart uploads nobody will finish (--dry-run lists them)', () => import('./cleanup-command.js').then((m) => m.run)],
  retry: ['re-queue failed files', () => import('./retry-command.js').then((m) => m.run)],
  pause: ["stop uploading a folder's files until resumed (kept across restarts)", () => import('./pause-command.js').then((m) => m.pause)],
  resume: ['resume a paused folder', () => import('./pause-command.js').then((m) => m.resume)],
  verify: ['check the bucket against the state database and the local files', () => import('./verify-command.js').then((m) => m.run)],
  restore: ["download a folder's objects, checked by CRC-64 (resumable)", () => import('./restore-command.js').then((m) => m.run)],
  emulator: [
    'run the built-in OSS-compatible server (for tests and demos)',
    () => import('../emulator/emulator-command.js').then((m) => m.run),
  ],
  demo: ['run the emulator and the daemon with sample folders', () => import('./demo-command.js').then((m) => m.run)],
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, [summary]]) => `  ${name.padEnd(10)} ${summary}`);
  return `usage: oss-sync <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'oss-sync <command> --help' for a command's options; 'oss-sync --version' prints the version.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`oss-sync ${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`oss-sync: unknown command '${terminalSafe(name)}'\n\n${usage()}`);
    return 2;
  }
  try {
    const run = await command[1]();
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`oss-sync ${terminalSafe(name)}: ${errorText(err)}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * An error for the terminal: paths, file names and config values in it may hold control
 * characters, shown escaped so they cannot drive the terminal; a config error keeps one line per issue.
 */
function errorText(err: unknown): string {
  if (err instanceof ConfigError)
    return [err.message.split('\n')[0], ...err.issues.map((i) => `  ${terminalSafe(formatIssue(i))}`)].join('\n');
  return terminalSafe(err instanceof Error ? err.message : String(err));
}

flushLogsAtExit();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`oss-sync: ${errorText(err)}\n`);
    // Exit now: whatever the failed command left running (timers, sockets) must not keep us alive.
    process.exit(1);
  },
);
