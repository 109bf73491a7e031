/**
 * `oss-sync emulator` as a user runs it: the built CLI in a child process, driven by a stock
 * ali-oss client, stopped with SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../src/lib/crc64.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';
import { bytes, headerOf } from './conformance/responses.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SECRET = 'command-test-secret-value';

/** Builds dist when it is missing or older than the emulator sources (as `npm test` does in pretest). */
function ensureBuilt(): void {
  const newestSource = Math.max(
    ...readdirSync(join(ROOT, 'src', 'emulator')).map((f) => statSync(join(ROOT, 'src', 'emulator', f)).mtimeMs),
  );
  if (existsSync(CLI) && statSync(join(ROOT, 'dist', 'src', 'emulator', 'emulator-command.js')).mtimeMs >= newestSource) return;
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  if (!existsSync(CLI)) throw new Error(`could not build ${CLI}: run npm run build`);
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CLI, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code))); // output read by then
  return { child, stdout: () => out, stderr: () => err, exited };
}

describe('oss-sync emulator command', () => {
  const dirs: Array<{ remove: () => void }> = [];
  const children: ChildProcess[] = [];
  beforeAll(() => ensureBuilt(), 120_000);
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('prints the endpoint first, serves a stock ali-oss client, and stops cleanly on SIGTERM', async () => {
    const data = tempDir();
    dirs.push(data);
    const run = runCli([
      '--port',
      '0',
      '--data-dir',
      join(data.path, 'emu'),
      '--bucket',
      'cmd-bucket',
      '--bucket',
      'second-bucket',
      '--access-key-id',
      'cmd-key',
      '--access-key-secret',
      SECRET,
    ]);
    children.push(run.child);
    const firstLine = await waitFor(
      () => {
        if (run.child.exitCode !== null) throw new Error(`exited with ${run.child.exitCode}: ${run.stderr()}`);
        return run.stdout().includes('\n') ? run.stdout().split('\n')[0] : undefined;
      },
      { what: 'the first stdout line' },
    );
    const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(firstLine!);
    expect(match, firstLine).not.toBeNull();

    const client = new OSS({ endpoint: match![1]!, bucket: 'cmd-bucket', accessKeyId: 'cmd-key', accessKeySecret: SECRET });
    await client.put('hello.txt', Buffer.from('hello'));
    expect((await client.list({ prefix: '', 'max-keys': 10 }, {})).objects.map((o) => o.name)).toEqual(['hello.txt']);
    const file = join(data.path, 'big.bin');
    const content = bytes(350 * 1024, 5);
    writeFileSync(file, content);
    const upload = await client.multipartUpload('big.bin', file, { partSize: 100 * 1024 });
    expect(upload.res.status).toBe(200);
    const got = await client.get('big.bin');
    expect(Buffer.compare(got.content as Buffer, content)).toBe(0);
    expect(headerOf(got, 'x-oss-hash-crc64ecma')).toBe(crc64(content));
    await new OSS({ endpoint: match![1]!, bucket: 'second-bucket', accessKeyId: 'cmd-key', accessKeySecret: SECRET }).put(
      'x',
      Buffer.from('x'),
    );

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stdout() + run.stderr()).not.toContain(SECRET);
    expect(run.stderr()).toContain('warning: --access-key-secret puts the secret on the command line');
  });

  it('reads the secret from --access-key-secret-file or $OSS_EMULATOR_ACCESS_KEY_SECRET, and the admin token from $OSS_EMULATOR_ADMIN_TOKEN', async () => {
    const data = tempDir();
    dirs.push(data);
    const secretFile = join(data.path, 'secret');
    writeFileSync(secretFile, `${SECRET}-from-file\n`);
    const fromFile = runCli([
      '--port',
      '0',
      '--data-dir',
      join(data.path, 'a'),
      '--access-key-id',
      'k',
      '--access-key-secret-file',
      secretFile,
    ]);
    const adminToken = 'a-token-chosen-by-the-caller-0123';
    const fromEnv = runCli(['--port', '0', '--data-dir', join(data.path, 'b'), '--access-key-id', 'k'], {
      OSS_EMULATOR_ACCESS_KEY_SECRET: `${SECRET}-from-env`,
      OSS_EMULATOR_ADMIN_TOKEN: adminToken,
    });
    children.push(fromFile.child, fromEnv.child);
    for (const [run, secret] of [
      [fromFile, `${SECRET}-from-file`],
      [fromEnv, `${SECRET}-from-env`],
    ] as const) {
      const endpoint = await waitFor(() => /^listening on (\S+)$/m.exec(run.stdout())?.[1], { what: 'the endpoint line' });
      await new OSS({ endpoint, bucket: 'demo-backups', accessKeyId: 'k', accessKeySecret: secret }).put('s', Buffer.from('s'));
      await expect(
        new OSS({ endpoint, bucket: 'demo-backups', accessKeyId: 'k', accessKeySecret: SECRET }).put('s', Buffer.from('s')),
      ).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
      expect(run.stderr()).not.toContain('warning');
    }
    const envEndpoint = /^listening on (\S+)$/m.exec(fromEnv.stdout())![1]!;
    expect(fromEnv.stdout()).toContain('admin token: (as given)');
    expect(fromEnv.stdout()).not.toContain(adminToken);
    expect((await fetch(`${envEndpoint}/-/requests`, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    fromFile.child.kill('SIGTERM');
    fromEnv.child.kill('SIGTERM');
    expect(await fromFile.exited).toBe(0);
    expect(await fromEnv.exited).toBe(0);
    expect(fromFile.stdout() + fromFile.stderr() + fromEnv.stdout() + fromEnv.stderr()).not.toContain(SECRET);
  });

  it('warns on stderr when bound to a non-loopback address', async () => {
    const data = tempDir();
    dirs.push(data);
    const run = runCli(['--port', '0', '--host', '0.0.0.0', '--data-dir', join(data.path, 'emu')]);
    children.push(run.child);
    await waitFor(() => /^listening on /m.test(run.stdout()), { what: 'the endpoint line' });
    expect(run.stderr()).toContain('warning: --host 0.0.0.0 is not a loopback address');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('applies a --rules-file from the start and takes more rules over the admin endpoint', async () => {
    const data = tempDir();
    dirs.push(data);
    const rules = join(data.path, 'rules.json');
    writeFileSync(
      rules,
      JSON.stringify([
        { match: { operation: 'PutObject', key: { prefix: 'flaky/' } }, action: { type: 'error', status: 503, code: 'SlowDown' } },
      ]),
    );
    const run = runCli(['--port', '0', '--data-dir', join(data.path, 'emu'), '--rules-file', rules]);
    children.push(run.child);
    const endpoint = await waitFor(() => /^listening on (\S+)$/m.exec(run.stdout())?.[1], { what: 'the endpoint line' });
    const client = new OSS({ endpoint, bucket: 'demo-backups', accessKeyId: 'oss-sync-demo', accessKeySecret: 'oss-sync-demo-secret' });
    await expect(client.put('flaky/a', Buffer.from('a'))).rejects.toMatchObject({ code: 'SlowDown', status: 503 });
    await client.put('flaky/a', Buffer.from('a'));

    // The token is printed for callers in other processes; without it the admin API answers 401.
    const token = await waitFor(() => /^admin token: (\S+)$/m.exec(run.stdout())?.[1], { what: 'the admin token line' });
    const rule = JSON.stringify({ match: { operation: 'HeadObject' }, action: { type: 'error', status: 500, code: 'InternalError' } });
    expect(
      (await fetch(`${endpoint}/-/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rule })).status,
    ).toBe(401);
    const admin = { authorization: `Bearer ${token}` };
    const added = await fetch(`${endpoint}/-/faults`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: rule,
    });
    expect(added.status).toBe(201);
    await expect(client.head('flaky/a')).rejects.toMatchObject({ status: 500 });
    const log = (await (await fetch(`${endpoint}/-/requests`, { headers: admin })).json()) as Array<{ operation: string; status: number }>;
    expect(log.map((e) => `${e.operation} ${e.status}`)).toEqual(['PutObject 503', 'PutObject 200', 'HeadObject 500']);
    const busyPort = new URL(endpoint).port;
    const second = runCli(['--port', busyPort, '--data-dir', join(data.path, 'emu2')]);
    children.push(second.child);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(`--port ${busyPort} is already in use`);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('accepts temporary credentials from --sts-credentials-file and POST /-/credentials, checking the token and its expiry', async () => {
    const data = tempDir();
    dirs.push(data);
    const file = join(data.path, 'sts.json');
    const sts = {
      accessKeyId: 'STS.cli-key',
      accessKeySecret: 'cli-sts-secret',
      securityToken: 'cli-sts-token',
      expiration: new Date(Date.now() + 600_000).toISOString(),
    };
    writeFileSync(file, JSON.stringify(sts));
    const run = runCli(['--port', '0', '--data-dir', join(data.path, 'emu'), '--sts-credentials-file', file]);
    children.push(run.child);
    const endpoint = await waitFor(() => /^listening on (\S+)$/m.exec(run.stdout())?.[1], { what: 'the endpoint line' });
    const token = await waitFor(() => /^admin token: (\S+)$/m.exec(run.stdout())?.[1], { what: 'the admin token line' });
    const client = (c: typeof sts) =>
      new OSS({
        endpoint,
        bucket: 'demo-backups',
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        stsToken: c.securityToken,
        refreshSTSTokenInterval: 0x7fffffff,
      } as OSS.Options);
    await client(sts).put('a', Buffer.from('a'));
    await expect(client({ ...sts, securityToken: 'wrong' }).put('a', Buffer.from('a'))).rejects.toMatchObject({
      code: 'InvalidSecurityToken',
      status: 403,
    });

    const expired = {
      accessKeyId: 'STS.old',
      accessKeySecret: 'old-secret',
      securityToken: 'old-token',
      expiration: new Date(Date.now() - 1000).toISOString(),
    };
    const posted = await fetch(`${endpoint}/-/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(expired),
    });
    expect(posted.status).toBe(201);
    expect(await posted.text()).not.toContain('old-secret');
    await expect(client(expired).put('a', Buffer.from('a'))).rejects.toMatchObject({ code: 'SecurityTokenExpired', status: 403 });
    const bad = await fetch(`${endpoint}/-/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"accessKeyId":"x"}',
    });
    expect(bad.status).toBe(400);
    // Named as what it is: a bad credential, not a bad fault rule.
    expect(JSON.parse(await bad.text())).toEqual({ error: 'invalid credential: accessKeySecret must be a non-empty string' });
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('refuses a bad flag with exit code 2, naming the flag', async () => {
    const run = runCli(['--port', 'eighty']);
    children.push(run.child);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain('--port');
    for (const flag of ['--idle-timeout-ms', '--max-connections']) {
      const bad = runCli([flag, '0']);
      children.push(bad.child);
      expect(await bad.exited).toBe(2);
      expect(bad.stderr()).toContain(`${flag} must be a whole number >= 1, got '0'`);
    }
    const both = runCli(['--access-key-secret', 'x', '--access-key-secret-file', '/nonexistent']);
    children.push(both.child);
    expect(await both.exited).toBe(2);
    expect(both.stderr()).toContain('not both');
    const unknown = runCli(['--bogus']);
    children.push(unknown.child);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toContain('--bogus');
    const data = tempDir();
    dirs.push(data);
    const badBucket = runCli(['--port', '0', '--bucket', 'Bad_Bucket!', '--data-dir', join(data.path, 'x')]);
    children.push(badBucket.child);
    expect(await badBucket.exited).toBe(2);
    expect(badBucket.stderr()).toContain('Bad_Bucket!');
    const badRules = join(data.path, 'bad-rules.json');
    writeFileSync(badRules, '{"action": {"type": "explode"}}');
    const rules = runCli(['--rules-file', badRules]);
    children.push(rules.child);
    expect(await rules.exited).toBe(2);
    expect(rules.stderr()).toContain('--rules-file');
  });

  it('prints its options for --help', async () => {
    const run = runCli(['--help']);
    children.push(run.child);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('--access-key-secret');
    expect(run.stdout()).not.toContain('oss-sync-demo-secret');
  });
});
