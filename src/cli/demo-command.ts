import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { untilSignal } from '../emulator/emulator-command.js';
import { startEmulator } from '../emulator/index.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';
import { packageVersion, parseCommandArgs, UsageError } from './args.js';
import { commandLogger } from './command-logger.js';

const DEMO_HELP = `usage: oss-sync demo [--config config.example.yaml]

The out-of-the-box demo: creates the config's folders with a few sample files (a large one goes up
in parts), starts the built-in OSS emulator on the config's endpoint, and runs the daemon against
it. Drop files into the folders to see them uploaded; 'oss-sync status --config FILE' in another
terminal shows progress. Ctrl-C stops both.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, DEMO_HELP, {});
  if (!args) return 0;
  const configPath = resolve(args.values.config ?? 'config.example.yaml');
  prepareFolders(configPath);
  const config = loadConfig(configPath);
  // First: every credential (the STS token too) is redacted from the first line on.
  const logger = commandLogger(config);
  const endpoint = new URL(config.oss.endpoint);
  if (!['127.0.0.1', 'localhost'].includes(endpoint.hostname)) {
    throw new UsageError(`the demo runs the emulator locally, but ${configPath} points oss.endpoint at ${endpoint.host}`);
  }
  const emulator = await startEmulator({
    dataDir: join(dirname(config.stateDb), 'emulator-data'),
    port: Number(endpoint.port || 80),
    buckets: [...new Set(config.folders.map((f) => f.bucket))],
    credentials: [{ accessKeyId: config.oss.accessKeyId, accessKeySecret: config.oss.accessKeySecret }],
  }).catch((err: Error) => {
    throw new Error(`cannot start the emulator on ${endpoint.host}: ${err.message}`);
  });
  logger.info('emulator listening', { endpoint: emulator.endpoint });
  const daemon = await Daemon.start({ config, logger, version: packageVersion(), mode: 'run' });
  const first = config.folders[0];
  process.stderr.write(
    `\noss-sync demo is running. Try, in another terminal:\n` +
      (first ? `  echo hello > ${safe(join(first.path, 'hello.txt'))}\n` : '') +
      `  node dist/src/cli/main.js status --config ${safe(configPath)}\n` +
      `Ctrl-C stops the daemon and the emulator.\n\n`,
  );
  await untilSignal();
  await daemon.stop();
  await emulator.stop();
  return 0;
}

/** Creates each folder the config names and seeds empty ones with sample files. */
function prepareFolders(configPath: string): void {
  // Read as `status` reads it, where folders need not exist yet, to learn where they go.
  loadConfig(configPath, process.env, { purpose: 'inspect' }).folders.forEach((folder, index) => {
    // 0700 like every folder oss-sync creates: the demo's state database lives beside these.
    mkdirSync(folder.path, { recursive: true, mode: 0o700 });
    if (readdirSync(folder.path).length === 0) seed(folder.path, index);
  });
}

function seed(dir: string, index: number): void {
  writeFileSync(join(dir, 'README.txt'), 'Files in this folder are backed up to the emulated OSS bucket by oss-sync.\n');
  mkdirSync(join(dir, '2026-11'), { recursive: true });
  for (let i = 1; i <= 3; i++) writeFileSync(join(dir, '2026-11', `sample-${i}.txt`), `sample ${i}\n`.repeat(1000 * i));
  if (index === 1) {
    // Large enough to go up in parts, written in chunks so memory stays small.
    const chunk = Buffer.alloc(1024 * 1024, index + 65);
    const path = join(dir, 'nightly.dump');
    writeFileSync(path, '');
    for (let i = 0; i < 24; i++) writeFileSync(path, chunk, { flag: 'a' });
  }
}
