import { describe, expect, it } from 'vitest';
import { rejection } from './responses.js';
import type { TargetSession } from './target.js';

export function authTests(session: () => TargetSession): void {
  const key = (name: string): string => `${session().prefix}auth/${name}`;

  describe('authentication', () => {
    it('answers InvalidAccessKeyId (403) for an unknown key id, with a request id', async () => {
      const client = session().client({ accessKeyId: 'no-such-key-id' });
      const err = await rejection(client.put(key('x'), Buffer.from('x')));
      expect(err).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 });
      expect(err.requestId).toBeTruthy();
    });

    it('answers SignatureDoesNotMatch (403) for a wrong secret, also on HEAD (error in x-oss-err)', async () => {
      const client = session().client({ accessKeySecret: 'wrong-secret' });
      expect(await rejection(client.put(key('x'), Buffer.from('x')))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
      expect(await rejection(client.head(key('x')))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
      expect(await rejection(client.list({ prefix: key(''), 'max-keys': 10 }, {}))).toMatchObject({
        code: 'SignatureDoesNotMatch',
        status: 403,
      });
    });

    it('never echoes the secret in an error', async () => {
      const secret = 'a-wrong-secret-that-must-not-leak';
      const err = await rejection(session().client({ accessKeySecret: secret }).put(key('x'), Buffer.from('x')));
      expect(JSON.stringify(err)).not.toContain(secret);
      expect(String((err as Error).message)).not.toContain(secret);
    });

    it('accepts signature V4 and rejects a wrong V4 secret', async () => {
      const client = session().client({ authorizationV4: true, region: session().region });
      await client.put(key('v4 +#?.txt'), Buffer.from('v4'));
      expect((await client.get(key('v4 +#?.txt'))).content.toString()).toBe('v4');
      const listed = await client.list({ prefix: key('v4'), 'max-keys': 5 }, {});
      expect(listed.objects.map((o) => o.name)).toEqual([key('v4 +#?.txt')]);
      await client.put(key('v4 second.txt'), Buffer.from('v4'));
      const first = await client.listV2({ prefix: key('v4 '), 'max-keys': '1' }, {});
      const second = await client.listV2({ prefix: key('v4 '), 'max-keys': '1', 'continuation-token': first.nextContinuationToken! }, {});
      expect([...first.objects, ...second.objects].map((o) => o.name)).toEqual([key('v4 +#?.txt'), key('v4 second.txt')]);
      const { uploadId } = await client.initMultipartUpload(key('v4-multipart'));
      await client.uploadPart(key('v4-multipart'), uploadId, 1, Buffer.from('part'), 0, 4);
      expect((await client.listUploads({ prefix: key('v4-multipart') }, {})).uploads).toHaveLength(1);
      await client.abortMultipartUpload(key('v4-multipart'), uploadId);
      const wrong = session().client({ authorizationV4: true, region: session().region, accessKeySecret: 'wrong' });
      expect(await rejection(wrong.get(key('v4 +#?.txt')))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    });

    it('answers RequestTimeTooSkewed for a clock 20 minutes off; amendTimeSkewed fixes it', async () => {
      const skewed = session().client({ amendTimeSkewed: -20 * 60_000 } as never);
      expect(await rejection(skewed.put(key('skewed.txt'), Buffer.from('x')))).toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 });
      (skewed as unknown as { options: { amendTimeSkewed: number } }).options.amendTimeSkewed = 0;
      await skewed.put(key('skewed.txt'), Buffer.from('x'));
    });

    it('answers NoSuchBucket for a bucket that does not exist', async () => {
      const client = session().client({ bucket: `oss-sync-no-such-bucket-${Date.now()}` });
      expect(await rejection(client.get(key('x')))).toMatchObject({ code: 'NoSuchBucket', status: 404 });
    });
  });
}
