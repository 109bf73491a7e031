/** `oss-sync emulator`: run the built-in OSS-compatible server until SIGINT/SIGTERM. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EmulatorConfigError, faultRuleFromJson, startEmulator } from './index.js';
import type { EmulatorOptions, FaultRule } from './index.js';

// The defaults match config.example.yaml, so the demo runs with no flags at all.
const DEFAULTS = {
  port: 9000,
  host: '127.0.0.1',
  dataDir: './emulator-data',
  bucket: 'demo-backups',
  accessKeyId: 'oss-sync-demo',
  accessKeySecret: 'oss-sync-demo-secret',
};

const USAGE = `usage: oss-sync emulator [options]

Runs an OSS-compatible server on 127.0.0.1 for tests and demos. The first line printed is
"listening on http://HOST:PORT". Stop it with Ctrl-C (SIGINT) or SIGTERM.

options:
  --port P                port to listen on; 0 picks a free one (default ${DEFAULTS.port})
  --host H                address to bind (default ${DEFAULTS.host})
  --data-dir D            where objects and uploads are kept (default ${DEFAULTS.dataDir})
  --bucket NAME           a bucket to serve; repeat for more (default ${DEFAULTS.bucket})
  --access-key-id ID      accepted access key id (default $OSS_ACCESS_KEY_ID, else ${DEFAULTS.accessKeyId})
  --access-key-secret S   its secret (default $OSS_ACCESS_KEY_SECRET, else the demo secret)
  --rules-file F          JSON fault rules (one FaultRule or an array) applied from the start
  -h, --help              show this help

Admin API on the same port (no auth): POST/GET/DELETE /-/faults, GET/DELETE /-/requests.
`;

class CommandLineError extends Error {}

async function loadRules(path: string): Promise<FaultRule[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CommandLineError(`--rules-file ${path}: ${(err as Error).message}`);
  }
  try {
    return (Array.isArray(parsed) ? parsed : [parsed]).map(faultRuleFromJson);
  } catch (err) {
    throw new CommandLineError(`--rules-file ${path}: ${(err as Error).message}`);
  }
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.port;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new CommandLineError(`--port must be an integer from 0 to 65535, got '${raw}'`);
  return port;
}

function parseCommandLine(argv: string[]): { options: EmulatorOptions; rulesFile?: string } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        bucket: { type: 'string', multiple: true },
        'access-key-id': { type: 'string' },
        'access-key-secret': { type: 'string' },
        'rules-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CommandLineError((err as Error).message);
  }
  if (values.help) return 'help';
  const accessKeyId = values['access-key-id'] ?? (process.env.OSS_ACCESS_KEY_ID || DEFAULTS.accessKeyId);
  const accessKeySecret = values['access-key-secret'] ?? (process.env.OSS_ACCESS_KEY_SECRET || DEFAULTS.accessKeySecret);
  if (!accessKeyId) throw new CommandLineError('--access-key-id must not be empty');
  if (!accessKeySecret) throw new CommandLineError('--access-key-secret must not be empty');
  return {
    options: {
      port: parsePort(values.port),
      host: values.host ?? DEFAULTS.host,
      dataDir: resolve(values['data-dir'] ?? DEFAULTS.dataDir),
      buckets: values.bucket ?? [DEFAULTS.bucket],
      credentials: [{ accessKeyId, accessKeySecret }],
    },
    rulesFile: values['rules-file'],
  };
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export async function runEmulatorCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  let rules: FaultRule[] = [];
  try {
    parsed = parseCommandLine(argv);
    if (parsed !== 'help' && parsed.rulesFile !== undefined) rules = await loadRules(parsed.rulesFile);
  } catch (err) {
    if (!(err instanceof CommandLineError)) throw err;
    process.stderr.write(`oss-sync emulator: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  let emulator;
  try {
    emulator = await startEmulator(parsed.options);
  } catch (err) {
    if (err instanceof EmulatorConfigError) {
      process.stderr.write(`oss-sync emulator: ${err.message}\n`);
      return 2;
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`oss-sync emulator: --port ${parsed.options.port} is already in use on ${parsed.options.host}; pick another or --port 0\n`);
      return 1;
    }
    throw err;
  }
  const signal = untilSignal();
  for (const rule of rules) emulator.faults.add(rule);
  const { options } = parsed;
  process.stdout.write(
    `listening on ${emulator.endpoint}\n` +
      `buckets: ${options.buckets.join(', ')}; access key id: ${options.credentials[0]!.accessKeyId}; data dir: ${options.dataDir}\n`,
  );
  const received = await signal;
  await emulator.stop();
  process.stdout.write(`stopped (${received})\n`);
  return 0;
}
