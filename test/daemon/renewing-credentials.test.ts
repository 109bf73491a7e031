import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startCredentialsUri, StsIssuer } from '../helpers/credential-servers.js';
import type { TestHttpServer } from '../helpers/credential-servers.js';
import { createSyncFixture } from '../helpers/sync-fixture.js';
import type { SyncFixture } from '../helpers/sync-fixture.js';
import { waitFor } from '../helpers/wait.js';

describe('the daemon with credentials that renew themselves', () => {
  let fx: SyncFixture | undefined;
  let uri: TestHttpServer | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    await uri?.close();
    fx = undefined;
    uri = undefined;
  });

  it('a credentials URI down across an expiry: the folder rests, nothing parked, and it resumes when the URI is back', async () => {
    fx = await createSyncFixture();
    const issuer = new StsIssuer(fx.emu.emulator, 2_000);
    uri = await startCredentialsUri(issuer);
    fx.writeConfig(undefined, { oss: { endpoint: fx.emu.endpoint, credentials: { provider: 'credentials_uri', uri: uri.url } } });
    const { daemon, logs } = await fx.startDaemon('run');

    const first = randomBytes(2000);
    writeFileSync(join(fx.folder('main'), 'first.bin'), first);
    await waitFor(async () => (await fx!.remote('main/first.bin'))?.equals(first), { what: 'first.bin uploaded' });

    issuer.down = true;
    const lastExpiry = Date.parse(issuer.issued.at(-1)!.Expiration);
    await waitFor(() => Date.now() > lastExpiry + 100, { what: 'the last credentials to expire' });
    const second = randomBytes(2000);
    writeFileSync(join(fx.folder('main'), 'second.bin'), second);
    await waitFor(() => daemon.unsyncedFolders().find((f) => /no valid OSS credentials from the credentials_uri provider/.test(f.reason)), {
      what: 'the folder to rest for want of credentials',
    });
    const row = daemon.store.queue.find('main', 'second.bin');
    expect(row?.state).not.toBe('failed');
    expect(row?.attempts).toBe(0);

    issuer.down = false;
    await waitFor(async () => (await fx!.remote('main/second.bin'))?.equals(second), {
      what: 'second.bin uploaded once the URI is back',
      timeoutMs: 30_000,
    });
    expect(daemon.store.queue.find('main', 'second.bin')?.attempts).toBe(0);
    expect(daemon.credentialsState()).toMatchObject({ kind: 'credentials_uri' });
    expect(daemon.credentialsState()?.lastError).toBeUndefined();

    // status, text and --json: the provider, expiry and last refresh; never a value.
    await waitFor(() => daemon.credentialsState()?.refreshedAt, { what: 'a refresh recorded' });
    const status = fx.spawnCli(['status', '--config', fx.configPath]);
    expect((await status.exited).code).toBe(0);
    const statusText = status.stdout.join('');
    expect(statusText).toMatch(/credentials: credentials_uri, expire \d{4}-.*, last refreshed \d{4}-/);
    const json = fx.spawnCli(['status', '--config', fx.configPath, '--json']);
    expect((await json.exited).code).toBe(0);
    const snapshot = JSON.parse(json.stdout.join('')) as { credentials: { provider: string; expiresAt: string; refreshedAt: string } };
    expect(snapshot.credentials.provider).toBe('credentials_uri');
    expect(Date.parse(snapshot.credentials.expiresAt)).toBeGreaterThan(Date.now() - 60_000);
    for (const secret of issuer.secrets()) {
      expect(statusText + json.stdout.join('') + status.stderr.join('') + json.stderr.join('')).not.toContain(secret);
    }

    const text = logs.join('\n');
    expect(text).toMatch(/could not refresh OSS credentials from the credentials_uri provider/);
    for (const secret of issuer.secrets()) expect(text).not.toContain(secret);
  }, 60_000);

  it('a credentials file rewritten mid-run is used without a restart or a refused request, and SIGHUP re-reads it', async () => {
    fx = await createSyncFixture();
    const issuer = new StsIssuer(fx.emu.emulator, 600_000);
    const path = join(fx.root, 'sts.ini');
    const write = (set: ReturnType<StsIssuer['issue']>) => {
      writeFileSync(
        path,
        `[default]\naccessKeyID=${set.AccessKeyId}\naccessKeySecret=${set.AccessKeySecret}\nstsToken=${set.SecurityToken}\n`,
        { mode: 0o600 },
      );
    };
    write(issuer.issue());
    fx.writeConfig(undefined, { oss: { endpoint: fx.emu.endpoint, credentials: { provider: 'file', path } } });
    const { daemon, logs } = await fx.startDaemon('run');
    const first = randomBytes(1000);
    writeFileSync(join(fx.folder('main'), 'first.bin'), first);
    await waitFor(async () => (await fx!.remote('main/first.bin'))?.equals(first), { what: 'first.bin uploaded' });

    // The sidecar writes a fresh set; the emulator forgets the old one as soon as the new one is read.
    const refreshedBefore = daemon.credentialsState()?.refreshedAt ?? 0;
    write(issuer.issue());
    await waitFor(() => (daemon.credentialsState()?.refreshedAt ?? 0) > refreshedBefore, { what: 'the rewritten file to be read' });
    fx.emu.emulator.addCredential({
      accessKeyId: issuer.issued[0]!.AccessKeyId,
      accessKeySecret: issuer.issued[0]!.AccessKeySecret,
      securityToken: issuer.issued[0]!.SecurityToken,
      expiration: 0,
    });
    const second = randomBytes(1000);
    writeFileSync(join(fx.folder('main'), 'second.bin'), second);
    await waitFor(async () => (await fx!.remote('main/second.bin'))?.equals(second), { what: 'second.bin uploaded with the new set' });
    expect(fx.emu.emulator.requestLog.entries().filter((e) => e.status === 403)).toEqual([]);

    // A reload (SIGHUP) builds the provider anew: it reads the file again.
    write(issuer.issue());
    await daemon.reload(loadConfig(fx.configPath));
    const third = randomBytes(1000);
    writeFileSync(join(fx.folder('main'), 'third.bin'), third);
    await waitFor(async () => (await fx!.remote('main/third.bin'))?.equals(third), { what: 'third.bin uploaded after the reload' });
    const text = logs.join('\n');
    for (const secret of issuer.secrets()) expect(text).not.toContain(secret);
  }, 60_000);
});
