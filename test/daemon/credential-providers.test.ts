import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assumeRoleProvider, signRpcQuery } from '../../src/daemon/credentials/assume-role-provider.js';
import { buildCredentialsProvider } from '../../src/daemon/credentials/build-provider.js';
import { credentialsUriProvider } from '../../src/daemon/credentials/json-credentials.js';
import { ecsRamRoleProvider } from '../../src/daemon/credentials/ecs-ram-role-provider.js';
import { fileProvider } from '../../src/daemon/credentials/file-provider.js';
import { processProvider } from '../../src/daemon/credentials/process-provider.js';
import { staticCredentials } from '../../src/uploader/index.js';
import type { CredentialsProvider } from '../../src/uploader/index.js';
import { startCredentialsUri, startHttpServer, startMetadataService, StsIssuer } from '../helpers/credential-servers.js';
import type { TestHttpServer } from '../helpers/credential-servers.js';
import { startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { retryBaseMs: 50, retryCapMs: 200 };

describe('credential providers against servers on 127.0.0.1', () => {
  let emu: TestEmulator;
  let dir: { path: string; remove: () => void };
  const cleanups: Array<() => unknown> = [];
  beforeAll(async () => {
    emu = await startTestEmulator();
    dir = tempDir('oss-sync-creds-');
  });
  afterAll(async () => {
    await emu.stop();
    dir.remove();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const track = <T extends CredentialsProvider>(p: T): T => (cleanups.push(() => p.close()), p);
  const server = (s: TestHttpServer): TestHttpServer => (cleanups.push(() => s.close()), s);

  /** The error's message, with a check that it carries no secret the issuer handed out. */
  async function failure(p: Promise<unknown>, issuer?: StsIssuer): Promise<string> {
    const err = (await p.then(
      () => undefined,
      (e: unknown) => e,
    )) as Error | undefined;
    expect(err, 'expected a failure').toBeInstanceOf(Error);
    for (const secret of issuer?.secrets() ?? []) expect(err!.message).not.toContain(secret);
    return err!.message;
  }

  it('credentials_uri: reads the JSON, names itself on an HTTP error, an expiry in the past or malformed JSON', async () => {
    const issuer = new StsIssuer(emu.emulator, 60_000);
    const uri = server(await startCredentialsUri(issuer));
    const p = track(credentialsUriProvider(uri.url, FAST));
    const c = await p.get();
    expect(c.accessKeyId).toBe(issuer.issued[0]!.AccessKeyId);
    expect(p.state()).toMatchObject({ kind: 'credentials_uri', expiresAt: Date.parse(issuer.issued[0]!.Expiration) });

    // One server per bad answer, which it gives to every request: a provider retries a failed fetch
    // in the background (FAST: 50 ms later), and on a loaded machine that retry comes before the next
    // provider asks; a shared list of answers then hands the next provider's answer to the retry.
    const cases: Array<[{ status: number; body: string }, RegExp]> = [
      [
        { status: 200, body: '{"AccessKeyId": "a", "AccessKeySecret": "s3cr3t-value", ' },
        /credentials_uri provider answered malformed JSON/,
      ],
      [
        {
          status: 200,
          body: JSON.stringify({
            AccessKeyId: 'a',
            AccessKeySecret: 's3cr3t-value',
            SecurityToken: 't0k3n-value',
            Expiration: '2001-01-01T00:00:00Z',
          }),
        },
        /credentials_uri provider answered credentials that expired at 2001/,
      ],
      [{ status: 503, body: 's3cr3t-value' }, /credentials_uri provider: .* answered HTTP 503/],
    ];
    for (const [answer, expected] of cases) {
      const bad = server(await startHttpServer(() => answer));
      const message = await failure(track(credentialsUriProvider(bad.url, FAST)).get());
      expect(message).toMatch(expected);
      expect(message).not.toMatch(/s3cr3t|t0k3n/);
    }
  });

  it('process: a failing command is an error naming its exit code, then it recovers', async () => {
    const issuer = new StsIssuer(emu.emulator, 60_000);
    const out = join(dir.path, 'process-out.json');
    writeFileSync(out, 'FAIL');
    // Prints the file, or exits 3 while it says FAIL.
    const script = `const t=require('fs').readFileSync(${JSON.stringify(out)},'utf8'); if (t==='FAIL') { console.error('secret-on-stderr'); process.exit(3); } process.stdout.write(t);`;
    const p = track(processProvider([process.execPath, '-e', script], 10_000, FAST));
    const message = await failure(p.get());
    expect(message).toMatch(/process provider: command .* exited with code 3/);
    expect(message).not.toContain('secret-on-stderr');
    writeFileSync(out, JSON.stringify(issuer.issue()));
    await waitFor(() => p.state().lastError === undefined, { what: 'the process provider to recover by its own retry' });
    expect((await p.get()).securityToken).toBe(issuer.issued[0]!.SecurityToken);
    writeFileSync(out, '{not json');
    expect(await failure(track(processProvider([process.execPath, '-e', script], 10_000, FAST)).get())).toMatch(
      /process provider answered malformed JSON/,
    );
  });

  it('file: a rewritten credentials file is read again without a restart', async () => {
    const issuer = new StsIssuer(emu.emulator, 60_000);
    const path = join(dir.path, 'sts.yaml');
    const write = (set: ReturnType<StsIssuer['issue']>) => {
      writeFileSync(
        path,
        `access_key_id: ${set.AccessKeyId}\naccess_key_secret: ${set.AccessKeySecret}\nsts_token: ${set.SecurityToken}\n`,
      );
      chmodSync(path, 0o600);
    };
    write(issuer.issue());
    const p = track(fileProvider(path, { ...FAST, pollMs: 50 }));
    expect((await p.get()).accessKeyId).toBe(issuer.issued[0]!.AccessKeyId);
    write(issuer.issue());
    await waitFor(async () => (await p.get()).accessKeyId === issuer.issued[1]!.AccessKeyId, { what: 'the rewritten file to be read' });
  });

  it('ecs_ram_role: hardened mode with the token header, the role discovered; normal mode as fallback unless hardened_only', async () => {
    const issuer = new StsIssuer(emu.emulator, 60_000);
    const md = server(await startMetadataService(issuer, 'backup-role', 'required'));
    const p = track(ecsRamRoleProvider({ metadataEndpoint: md.url, hardenedOnly: true }, FAST));
    expect((await p.get()).securityToken).toBe(issuer.issued[0]!.SecurityToken);
    expect(md.requests).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/ram/security-credentials/',
      'GET /latest/meta-data/ram/security-credentials/backup-role',
    ]);

    const old = server(await startMetadataService(issuer, 'backup-role', 'absent'));
    const normal = track(ecsRamRoleProvider({ metadataEndpoint: old.url, hardenedOnly: false, roleName: 'backup-role' }, FAST));
    expect((await normal.get()).accessKeyId).toBe(issuer.issued[1]!.AccessKeyId);
    expect(await failure(track(ecsRamRoleProvider({ metadataEndpoint: old.url, hardenedOnly: true }, FAST)).get())).toMatch(
      /ecs_ram_role provider got no metadata token \(hardened_only is set\)/,
    );
  });

  it('assume_role: calls STS with an RPC signature made from the base credentials', async () => {
    const issuer = new StsIssuer(emu.emulator, 60_000);
    const base = { accessKeyId: 'base-key', accessKeySecret: 'base-secret-value' };
    const sts = server(
      await startHttpServer((req) => {
        const params = Object.fromEntries(new URL(req.url!, 'http://x').searchParams);
        const { Signature: signature, ...rest } = params;
        if (signature !== signRpcQuery('GET', rest, base.accessKeySecret)) return { status: 400, body: '{"Code":"SignatureDoesNotMatch"}' };
        if (rest.Action !== 'AssumeRole' || rest.RoleArn !== 'acs:ram::1:role/backup' || rest.DurationSeconds !== '900')
          return { status: 400, body: '{}' };
        return { status: 200, body: JSON.stringify({ RequestId: 'r', Credentials: issuer.issue() }) };
      }),
    );
    const p = track(
      assumeRoleProvider(
        staticCredentials(base),
        { roleArn: 'acs:ram::1:role/backup', roleSessionName: 'oss-sync', durationSeconds: 900, stsEndpoint: sts.url },
        FAST,
      ),
    );
    expect((await p.get()).accessKeyId).toBe(issuer.issued[0]!.AccessKeyId);
    expect(sts.requests).toHaveLength(1);

    // Built from config, every set fetched (the base's and the assumed role's) is told for redaction.
    const baseIssuer = new StsIssuer(emu.emulator, 60_000);
    const baseUri = server(await startCredentialsUri(baseIssuer));
    const seen: string[] = [];
    const stsFromUri = server(await startHttpServer(() => ({ status: 200, body: JSON.stringify({ Credentials: issuer.issue() }) })));
    const built = track(
      buildCredentialsProvider(
        {
          endpoint: 'http://127.0.0.1:1',
          accessKeyId: '',
          accessKeySecret: '',
          authorizationV4: false,
          credentials: {
            provider: 'assume_role',
            roleArn: 'acs:ram::1:role/backup',
            roleSessionName: 's',
            durationSeconds: 900,
            stsEndpoint: stsFromUri.url,
            base: { provider: 'credentials_uri', uri: baseUri.url },
          },
        },
        { ...FAST, onFetched: (c) => seen.push(c.accessKeySecret, c.securityToken ?? '') },
      ),
    );
    await built.get();
    expect(seen).toEqual([
      baseIssuer.issued[0]!.AccessKeySecret,
      baseIssuer.issued[0]!.SecurityToken,
      issuer.issued[1]!.AccessKeySecret,
      issuer.issued[1]!.SecurityToken,
    ]);
    expect(built.state().kind).toBe('assume_role');
  });
});
