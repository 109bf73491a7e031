/**
 * The commands that run with a config (run, once, demo) build their logger in one place, with the
 * AccessKey secret and the STS token registered as secrets before the first line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { commandLogger } from '../../src/cli/command-logger.js';
import { tempDir } from '../helpers/fixtures.js';
import { CLI } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'the-access-key-secret-value';
const TOKEN = 'CAIS-the-sts-security-token-value';

describe('commandLogger', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.remove());

  function configWith(oss: string, env: NodeJS.ProcessEnv) {
    dir = tempDir();
    const path = join(dir.path, 'config.yaml');
    mkdirSync(join(dir.path, 'data'));
    writeFileSync(
      path,
      `oss:\n  endpoint: http://127.0.0.1:9\n  access_key_id: id\n${oss}state_db: ${join(dir.path, 'state.db')}\nlog_level: info\n` +
        `folders:\n  - name: main\n    path: ${join(dir.path, 'data')}\n    bucket: a-bucket\n`,
    );
    return loadConfig(path, env);
  }

  it('never writes the AccessKey secret or the STS token, in JSON or pretty lines', () => {
    const config = configWith('  access_key_secret: ${SECRET}\n  sts_token: ${TOKEN}\n', { SECRET, TOKEN });
    expect(config.oss.stsToken).toBe(TOKEN);
    for (const pretty of [false, true]) {
      const lines: string[] = [];
      const logger = commandLogger(config, { pretty, write: (l) => lines.push(l) });
      logger.error(`request failed: x-oss-security-token: ${TOKEN}`, {
        detail: `secret=${SECRET}`,
        error: new Error(`token ${TOKEN} expired`),
      });
      const out = lines.join('');
      expect(out).toContain('request failed');
      expect(out).not.toContain(TOKEN);
      expect(out).not.toContain(SECRET);
    }
  });

  it("logs the config's warnings, without the credentials they are about", () => {
    const config = configWith(`  access_key_secret: ${SECRET}\n  sts_token: ${TOKEN}\n`, {});
    const lines: string[] = [];
    commandLogger(config, { pretty: false, write: (l) => lines.push(l) });
    const warnings = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(warnings.map((w) => w.level)).toEqual(['warn', 'warn']);
    expect(warnings.map((w) => w.msg).join('\n')).toMatch(
      /oss\.access_key_secret is written inline[\s\S]*oss\.sts_token is written inline/,
    );
    expect(lines.join('')).not.toContain(TOKEN);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('oss-sync demo', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    dir?.remove();
  });

  it('never prints the STS token, not even before the daemon is up', async () => {
    dir = tempDir();
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // The demo's first line, before the daemon starts, shows the emulator's endpoint. A token that
    // happens to contain that text shows whether the logger knew the token from the first line.
    const token = `127.0.0.1:${port}`;
    const configPath = join(dir.path, 'demo.yaml');
    writeFileSync(
      configPath,
      [
        'oss:',
        `  endpoint: ${endpoint}`,
        '  access_key_id: demo-id',
        '  access_key_secret: ${TEST_DEMO_SECRET}',
        '  sts_token: ${TEST_DEMO_STS_TOKEN}',
        'state_db: ./state/state.db',
        'log_level: debug',
        'settle_time: 300ms',
        'reconcile_schedule: off',
        'folders:',
        '  - name: photos',
        '    path: ./photos',
        '    bucket: demo-bucket',
        '    prefix: photos/',
        '',
      ].join('\n'),
    );
    const out: string[] = [];
    child = spawn(process.execPath, [CLI, 'demo', '--config', configPath], {
      env: { ...process.env, TEST_DEMO_SECRET: 'demo-secret', TEST_DEMO_STS_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code))); // output read by then
    child.stdout!.setEncoding('utf8').on('data', (c: string) => out.push(c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => out.push(c));
    await waitFor(() => out.join('').includes('"msg":"uploaded"') && out.join('').includes('README.txt'), {
      timeoutMs: 30_000,
      what: 'the demo to upload its sample files',
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const all = out.join('');
    expect(all).toContain('"msg":"emulator listening"');
    expect(all).not.toContain(token);
  });
});
