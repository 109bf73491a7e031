import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyError,
  createOssStorage,
  CredentialsUnavailableError,
  RefreshingCredentials,
  withRetries,
} from '../../src/uploader/index.js';
import type { Body, OssCredentials } from '../../src/uploader/index.js';
import { StsIssuer } from '../helpers/credential-servers.js';
import type { IssuedCredentials } from '../helpers/credential-servers.js';
import { waitFor } from '../helpers/wait.js';
import { MemoryJournal } from './memory-journal.js';
import { KiB, testPacer, testRetryPolicy, useUploaderHarness } from './harness.js';

function toCredentials(set: IssuedCredentials): OssCredentials {
  return {
    accessKeyId: set.AccessKeyId,
    accessKeySecret: set.AccessKeySecret,
    securityToken: set.SecurityToken,
    expiration: Date.parse(set.Expiration),
  };
}

describe('credentials that renew themselves', () => {
  const h = useUploaderHarness();
  const providers: RefreshingCredentials[] = [];
  afterEach(() => {
    for (const p of providers.splice(0)) p.close();
  });

  function provider(issuer: StsIssuer, fetchTimes: number[] = []): RefreshingCredentials {
    const p = new RefreshingCredentials(
      'credentials_uri',
      () => {
        fetchTimes.push(Date.now());
        return Promise.resolve(toCredentials(issuer.issue()));
      },
      { retryBaseMs: 50, retryCapMs: 200 },
    );
    providers.push(p);
    return p;
  }

  function storageFor(p: RefreshingCredentials) {
    // The connection's static keys are not the emulator's: only the provider's may sign.
    return withRetries(
      createOssStorage({ endpoint: h.oss.endpoint, accessKeyId: 'unused', accessKeySecret: 'unused' }, p),
      testPacer(),
      testRetryPolicy(),
    );
  }

  it('a multipart upload spanning three rotations re-sends no acknowledged part and refreshes once per rotation', async () => {
    const issuer = new StsIssuer(h.oss.emulator, 2_500);
    const fetchTimes: number[] = [];
    const p = provider(issuer, fetchTimes);
    // 16 parts at 100 KiB/s, two at a time: about 8 s, three times the 80% point of 2.5 s.
    h.oss.emulator.faults.add({
      match: { operation: 'UploadPart' },
      times: Infinity,
      action: { type: 'throttle', bytesPerSecond: 100 * KiB },
    });
    const { path, content } = h.randomFile('rotating.bin', 16 * 100 * KiB);
    await h
      .uploader({}, storageFor(p))
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'rotating.bin', journal: new MemoryJournal() });

    expect((await h.getObject('rotating.bin'))?.equals(content)).toBe(true);
    expect(h.partRequests('rotating.bin').sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(h.oss.emulator.requestLog.entries().filter((e) => e.status === 403)).toEqual([]);
    expect(issuer.issued.length).toBeGreaterThanOrEqual(4); // the first set and three rotations
    expect(fetchTimes.length).toBe(issuer.issued.length);
    // One fetch per rotation: none before the previous set reached 80% of its lifetime.
    for (let i = 1; i < issuer.issued.length; i++) {
      const prev = issuer.issued[i - 1]!;
      const refreshPoint = prev.issuedAt + 0.8 * (Date.parse(prev.Expiration) - prev.issuedAt);
      expect(issuer.issued[i]!.issuedAt).toBeGreaterThanOrEqual(refreshPoint - 5);
      // ...and ahead of its expiry: no request waits for, or is refused with, an expired set.
      expect(issuer.issued[i]!.issuedAt).toBeLessThan(Date.parse(prev.Expiration));
    }
  }, 30_000);

  it('16 parts refused as expired at once cause exactly one fetch, and each part is sent again', async () => {
    // The emulator ends the first set 0.4 s after issuing it, though it says 120 s: the parts, sent
    // after a slow initiate, are all refused while the provider still holds it for valid.
    const issuer = new StsIssuer(h.oss.emulator, 120_000, 119_600);
    const p = provider(issuer);
    await p.get();
    h.oss.emulator.faults.add({ match: { operation: 'InitiateMultipartUpload' }, action: { type: 'latency', ms: 800 } });
    const next = new StsIssuer(h.oss.emulator, 120_000);
    // From now on the provider's source hands out sets the emulator honours.
    // A slow source (200 ms a fetch), so the refused parts all ask while the one fetch runs.
    (p as unknown as { fetchCredentials: () => Promise<OssCredentials> }).fetchCredentials = () =>
      new Promise((resolve) => setTimeout(() => resolve(toCredentials(next.issue())), 200));
    const { path, content } = h.randomFile('sixteen.bin', 16 * 100 * KiB);
    await h
      .uploader({ partConcurrency: 16 }, storageFor(p))
      .upload({ localPath: path, bucket: h.oss.bucket, key: 'sixteen.bin', journal: new MemoryJournal() });

    expect((await h.getObject('sixteen.bin'))?.equals(content)).toBe(true);
    expect(next.issued.length).toBe(1);
    const refused = h.oss.emulator.requestLog.entries().filter((e) => e.status === 403);
    expect(refused.map((e) => e.operation)).toContain('UploadPart');
    expect(refused.length).toBeGreaterThanOrEqual(8);
    expect(refused.every((e) => e.code === 'SecurityTokenExpired')).toBe(true);
    // Each refused part went again, and only those: 16 accepted parts in all.
    expect(h.partRequests('sixteen.bin').length).toBe(16 + refused.length);
  });

  it('a GET refused as expired renews the credentials once and is asked again; a refusal names its OSS code', async () => {
    await h.oss.client().put('restore-me.txt', Buffer.from('kept bytes'));
    // The emulator ends the first set 0.4 s after issuing it, though it says 120 s (as above).
    const issuer = new StsIssuer(h.oss.emulator, 120_000, 119_600);
    const p = provider(issuer);
    await p.get();
    await waitFor(() => Date.now() > issuer.issued[0]!.issuedAt + 500, { what: 'the first set to end on the emulator' });
    const next = new StsIssuer(h.oss.emulator, 120_000);
    (p as unknown as { fetchCredentials: () => Promise<OssCredentials> }).fetchCredentials = () =>
      Promise.resolve(toCredentials(next.issue()));
    const storage = storageFor(p);
    const download = await storage.get({ bucket: h.oss.bucket, key: 'restore-me.txt' });
    expect((await buffer(download.stream)).toString()).toBe('kept bytes');
    expect(next.issued.length).toBe(1);
    expect(
      h.oss.emulator.requestLog
        .entries()
        .filter((e) => e.status === 403)
        .map((e) => e.code),
    ).toEqual(['SecurityTokenExpired']);

    // A refusal no renewal cures is read from the answer's XML, not "UnknownError (HTTP 403)".
    const other = new StsIssuer(h.oss.emulator, 120_000).issue();
    (p as unknown as { fetchCredentials: () => Promise<OssCredentials> }).fetchCredentials = () =>
      Promise.resolve({ ...toCredentials(next.issue()), securityToken: other.SecurityToken });
    await p.renew(await p.get());
    const err = await storage.get({ bucket: h.oss.bucket, key: 'restore-me.txt' }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/AccessKeyIdAndSecurityTokenNotMatch/);
    expect(String(err)).toMatch(/restore-me\.txt/);
  });

  it('a provider down across an expiry is fatal (folders rest) and recovers when it is back', async () => {
    const issuer = new StsIssuer(h.oss.emulator, 600);
    const refreshed: string[] = [];
    const p = provider(issuer);
    p.onRefresh((c) => refreshed.push(c.accessKeyId));
    const storage = storageFor(p);
    const ref = { bucket: h.oss.bucket, key: 'outage.txt' };
    await storage.put(ref, bodyOf('one'));
    issuer.down = true;
    await waitFor(() => Date.now() > Date.parse(issuer.issued.at(-1)!.Expiration) + 50, { what: 'the last set to expire' });
    const err = await storage.put(ref, bodyOf('two')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsUnavailableError);
    expect(classifyError(err)).toBe('fatal');
    expect(p.state().lastError).toMatch(/issuer is down/);
    issuer.down = false;
    // The provider's own back-off timer fetches again, without any request asking.
    await waitFor(() => p.state().lastError === undefined, { what: 'the provider to recover' });
    expect(refreshed.length).toBeGreaterThanOrEqual(2);
    await storage.put(ref, bodyOf('three'));
    expect((await h.getObject('outage.txt'))?.toString()).toBe('three');
  });

  it('the emulator answers OSS errors for a token that expired, is invalid or belongs to another key', async () => {
    const issuer = new StsIssuer(h.oss.emulator, 60_000);
    const a = issuer.issue();
    const b = issuer.issue();
    const client = (id: string, secret: string, token: string) =>
      h.oss.client({ accessKeyId: id, accessKeySecret: secret, stsToken: token, refreshSTSTokenInterval: 0x7fffffff, retryMax: 0 });
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(await codeOf(client(a.AccessKeyId, a.AccessKeySecret, a.SecurityToken).put('t.txt', Buffer.from('x')))).toBe('ok');
    expect(await codeOf(client(a.AccessKeyId, a.AccessKeySecret, b.SecurityToken).put('t.txt', Buffer.from('x')))).toBe(
      'AccessKeyIdAndSecurityTokenNotMatch',
    );
    expect(await codeOf(client(a.AccessKeyId, a.AccessKeySecret, 'not-a-token').put('t.txt', Buffer.from('x')))).toBe(
      'InvalidSecurityToken',
    );
    const expired = new StsIssuer(h.oss.emulator, 60_000, 120_000).issue();
    expect(await codeOf(client(expired.AccessKeyId, expired.AccessKeySecret, expired.SecurityToken).put('t.txt', Buffer.from('x')))).toBe(
      'SecurityTokenExpired',
    );
  });
});

function bodyOf(text: string): Body {
  const bytes = Buffer.from(text);
  return {
    size: bytes.length,
    open: () => {
      throw new Error('in memory');
    },
    inMemory: bytes,
  };
}
