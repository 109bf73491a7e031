import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBody } from '../../src/uploader/in-memory-body.js';
import { createOssStorage } from '../../src/uploader/index.js';
import { mostAtOnce, startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

describe('the OSS client sockets', () => {
  let oss: TestEmulator;
  beforeAll(async () => {
    oss = await startTestEmulator();
  });
  afterAll(async () => oss?.stop());

  it('sends at most maxSockets requests at once, on its own keep-alive agent', async () => {
    const storage = createOssStorage({
      endpoint: oss.endpoint,
      accessKeyId: oss.accessKeyId,
      accessKeySecret: oss.accessKeySecret,
      maxSockets: 3,
    });
    oss.emulator.faults.add({ match: { operation: 'PutObject' }, times: Infinity, action: { type: 'latency', ms: 150 } });
    const keys = Array.from({ length: 9 }, (_, i) => `sockets/${i}`);
    await Promise.all(keys.map((key) => storage.put({ bucket: oss.bucket, key }, new InMemoryBody(Buffer.from(key)))));
    const puts = oss.emulator.requestLog.entries().filter((e) => e.operation === 'PutObject');
    expect(puts).toHaveLength(keys.length);
    expect(mostAtOnce(puts)).toBe(3);
  });
});
