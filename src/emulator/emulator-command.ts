/** `oss-sync emulator`: run the built-in OSS-compatible server until SIGINT/SIGTERM. */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, EmulatorConfigError, startEmulator } from './index.js';
import { faultRuleFromJson } from './fault-rule-json.js';
import { isLoopbackHost } from '../lib/loopback.js';
import { credentialFromJson } from './admin-endpoint.js';
import type { EmulatorOptions } from './index.js';

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
  --access-key-secret-file F
                          read its secret from F (first line); default $OSS_EMULATOR_ACCESS_KEY_SECRET,
                          else $OSS_ACCESS_KEY_SECRET, else the demo secret
  --access-key-secret S   the secret on the command line: accepted, but other users can read it
                          in the process list (a warning says so); prefer the two above
  --admin-token-file F    the admin API token, read from F (default $OSS_EMULATOR_ADMIN_TOKEN,
                          else a random one, printed at start as "admin token: TOKEN")
  --idle-timeout-ms N     a request body idle this long gets 400 RequestTimeout (default ${DEFAULT_IDLE_TIMEOUT_MS})
  --max-connections N     concurrent connections accepted (default ${DEFAULT_MAX_CONNECTIONS})
  --rules-file F          JSON fault rules (one FaultRule or an array) applied from the start
  --sts-credentials-file F
                          temporary credentials accepted besides the key above: JSON, one object or an
                          array of {accessKeyId, accessKeySecret, securityToken, expiration (ISO 8601
                          or epoch ms)}; requests must carry the token, and get SecurityTokenExpired after
  -h, --help              show this help

Admin API on the same port, each call with "Authorization: Bearer TOKEN" (POST bodies as
Content-Type: application/json): POST/GET/DELETE /-/faults, GET/DELETE /-/requests,
POST /-/credentials (one temporary credential, as in --sts-credentials-file).
A --host other than a loopback address is warned about: the emulator is for tests and demos.
`;

class CommandLineError extends Error {}

/** The text of a file a flag names; an error names the flag, the file and the errno, never the content. */
async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CommandLineError(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/**
 * One JSON object or an array of them, each read by `fromJson` (none without a file). Errors name the
 * file and the field, never a value: a credentials file holds secrets (so a syntax error is not quoted either).
 */
async function loadJsonFile<T>(flag: string, path: string | undefined, fromJson: (value: unknown) => T): Promise<T[]> {
  if (path === undefined) return [];
  const text = await readFlagFile(flag, path);
  try {
    const parsed: unknown = JSON.parse(text);
    return (Array.isArray(parsed) ? parsed : [parsed]).map(fromJson);
  } catch (err) {
    throw new CommandLineError(`${flag} ${path}: ${err instanceof SyntaxError ? 'not valid JSON' : (err as Error).message}`);
  }
}

/** A whole-number flag's value, or undefined when it is not given. */
function wholeNumber(raw: string | undefined, flag: string, min: number, max = Infinity): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new CommandLineError(`${flag} must be a whole number ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`}, got '${raw}'`);
  }
  return Number(raw);
}

/** The first line of a secret file, so `echo secret > f` works; the value itself never reaches an error. */
async function readSecretFile(path: string, flag: string): Promise<string> {
  const value = (await readFlagFile(flag, path)).split(/\r?\n/)[0]!;
  if (!value) throw new CommandLineError(`${flag} ${path}: the first line is empty`);
  return value;
}

async function parseCommandLine(argv: string[]) {
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
        'access-key-secret-file': { type: 'string' },
        'admin-token-file': { type: 'string' },
        'idle-timeout-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        'rules-file': { type: 'string' },
        'sts-credentials-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CommandLineError((err as Error).message);
  }
  if (values.help) return 'help' as const;
  const warnings: string[] = [];
  const accessKeyId = values['access-key-id'] ?? (process.env.OSS_ACCESS_KEY_ID || DEFAULTS.accessKeyId);
  if (!accessKeyId) throw new CommandLineError('--access-key-id must not be empty');
  if (values['access-key-secret'] !== undefined && values['access-key-secret-file'] !== undefined) {
    throw new CommandLineError('give --access-key-secret or --access-key-secret-file, not both');
  }
  let accessKeySecret: string;
  if (values['access-key-secret'] !== undefined) {
    accessKeySecret = values['access-key-secret'];
    if (!accessKeySecret) throw new CommandLineError('--access-key-secret must not be empty');
    warnings.push(
      '--access-key-secret puts the secret on the command line, where any user of this machine can read it (ps); use --access-key-secret-file F or $OSS_EMULATOR_ACCESS_KEY_SECRET',
    );
  } else if (values['access-key-secret-file'] !== undefined) {
    accessKeySecret = await readSecretFile(values['access-key-secret-file'], '--access-key-secret-file');
  } else {
    accessKeySecret = process.env.OSS_EMULATOR_ACCESS_KEY_SECRET || process.env.OSS_ACCESS_KEY_SECRET || DEFAULTS.accessKeySecret;
  }
  let adminToken: string | undefined;
  if (values['admin-token-file'] !== undefined) adminToken = await readSecretFile(values['admin-token-file'], '--admin-token-file');
  else if (process.env.OSS_EMULATOR_ADMIN_TOKEN) adminToken = process.env.OSS_EMULATOR_ADMIN_TOKEN;
  const host = values.host ?? DEFAULTS.host;
  if (!isLoopbackHost(host)) {
    warnings.push(
      `--host ${host} is not a loopback address: anyone who can reach this machine on that address can talk to the emulator. It is meant for tests and demos on 127.0.0.1`,
    );
  }
  return {
    options: {
      port: wholeNumber(values.port, '--port', 0, 65535) ?? DEFAULTS.port,
      host,
      dataDir: resolve(values['data-dir'] ?? DEFAULTS.dataDir),
      buckets: values.bucket ?? [DEFAULTS.bucket],
      credentials: [
        { accessKeyId, accessKeySecret },
        ...(await loadJsonFile('--sts-credentials-file', values['sts-credentials-file'], credentialFromJson)),
      ],
      adminToken,
      idleTimeoutMs: wholeNumber(values['idle-timeout-ms'], '--idle-timeout-ms', 1),
      maxConnections: wholeNumber(values['max-connections'], '--max-connections', 1),
    } satisfies EmulatorOptions,
    // Added once the emulator runs.
    rules: await loadJsonFile('--rules-file', values['rules-file'], faultRuleFromJson),
    // Said on stderr before starting.
    warnings,
  };
}

/** The first SIGINT or SIGTERM. Both listeners go then, so a second signal stops the process at once. */
export function untilSignal(): Promise<string> {
  const done = new AbortController();
  const first = ['SIGINT', 'SIGTERM'].map((name) => once(process, name, { signal: done.signal }).then(() => name));
  return Promise.race(first).finally(() => done.abort());
}

export async function run(argv: string[]): Promise<number> {
  // With a large heap (100,000 objects' records), incremental marking set off by the 1 MiB read
  // buffers' external memory runs mark-compact after mark-compact: seconds of CPU a GiB (bench/NOTES.md).
  setFlagsFromString('--no-incremental-marking');
  const parsed = await parseCommandLine(argv).catch((err: unknown) => {
    if (err instanceof CommandLineError) return err;
    throw err;
  });
  if (parsed instanceof CommandLineError) {
    process.stderr.write(`oss-sync emulator: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  for (const warning of parsed.warnings) process.stderr.write(`oss-sync emulator: warning: ${warning}\n`);
  let emulator;
  try {
    emulator = await startEmulator(parsed.options);
  } catch (err) {
    if (err instanceof EmulatorConfigError) {
      process.stderr.write(`oss-sync emulator: ${err.message}\n`);
      return 2;
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(
        `oss-sync emulator: --port ${parsed.options.port} is already in use on ${parsed.options.host}; pick another or --port 0\n`,
      );
      return 1;
    }
    throw err;
  }
  const signal = untilSignal();
  for (const rule of parsed.rules) emulator.faults.add(rule);
  const { options } = parsed;
  process.stdout.write(
    `listening on ${emulator.endpoint}\n` +
      // Printed only when generated here (other processes need it): a caller that chose the token has it.
      `admin token: ${options.adminToken === undefined ? emulator.adminToken : '(as given)'}\n` +
      `buckets: ${options.buckets.join(', ')}; access key id: ${options.credentials[0]!.accessKeyId}; data dir: ${options.dataDir}\n`,
  );
  const received = await signal;
  await emulator.stop();
  process.stdout.write(`stopped (${received})\n`);
  return 0;
}
