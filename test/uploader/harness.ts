import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { FileUploader, Pacer, createOssStorage, defaultRetryPolicy, withRetries } from '../../src/uploader/index.js';
import type { FileUploaderOptions, ObjectStorage, RetryPolicy } from '../../src/uploader/index.js';
import { startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/fixtures.js';

export const KiB = 1024;

export type { TestEmulator };

/** A short slow-down so retry tests finish quickly; classification as in production. */
export const testPacer = (): Pacer => new Pacer({ minDelayMs: 10, maxDelayMs: 100 });
export const testRetryPolicy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy =>
  defaultRetryPolicy({ maxTimeMs: 20_000, ...overrides });

/** A real emulator, a real ali-oss client behind our storage, and a temp dir of real files. */
export class UploaderHarness {
  oss!: TestEmulator;
  dir!: { path: string; remove: () => void };

  async start(): Promise<void> {
    this.oss = await startTestEmulator();
    this.dir = tempDir('oss-sync-uploader-');
  }

  async stop(): Promise<void> {
    await this.oss?.stop();
    this.dir?.remove();
  }

  storage(overrides: { accessKeySecret?: string; policy?: RetryPolicy; pacer?: Pacer } = {}): ObjectStorage {
    const raw = createOssStorage({
      endpoint: this.oss.endpoint,
      accessKeyId: this.oss.accessKeyId,
      accessKeySecret: overrides.accessKeySecret ?? this.oss.accessKeySecret,
    });
    return withRetries(raw, overrides.pacer ?? testPacer(), overrides.policy ?? testRetryPolicy());
  }

  /** Small parts so multipart paths run on files of a few hundred KiB. */
  uploader(options: FileUploaderOptions = {}, storage = this.storage()): FileUploader {
    return new FileUploader(storage, { partSize: 100 * KiB, multipartThreshold: 100 * KiB, partConcurrency: 2, ...options });
  }

  writeFile(name: string, content: Buffer): string {
    const path = join(this.dir.path, name);
    writeFileSync(path, content);
    return path;
  }

  randomFile(name: string, size: number): { path: string; content: Buffer } {
    const content = randomBytes(size);
    return { path: this.writeFile(name, content), content };
  }

  async getObject(key: string): Promise<Buffer | undefined> {
    try {
      const result = await this.oss.client().get(key);
      return result.content as Buffer;
    } catch (err) {
      if ((err as { code?: string }).code === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async headObject(key: string): Promise<Record<string, string>> {
    const result = await this.oss.client().head(key);
    return (result.res as unknown as { headers: Record<string, string> }).headers;
  }

  /** UploadPart requests the emulator saw for a key, in order, as part numbers. */
  partRequests(key: string): number[] {
    return this.requests(key, 'UploadPart').map((e) => e.partNumber ?? 0);
  }

  requests(key: string, operation: string) {
    return this.oss.emulator.requestLog.entries().filter((e) => e.key === key && e.operation === operation);
  }
}

/** One harness for a test file: started before all tests, stopped after, faults and log cleared before each. */
export function useUploaderHarness(): UploaderHarness {
  const h = new UploaderHarness();
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  beforeEach(() => {
    h.oss.emulator.faults.clear();
    h.oss.emulator.requestLog.clear();
  });
  return h;
}
