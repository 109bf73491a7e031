/**
 * Where the conformance suite runs: the emulator (always) or a real OSS bucket (when the
 * OSS_TEST_* variables are set). Emulator-only checks (faults, restart, request log) need `emulator`.
 */
import { randomBytes } from 'node:crypto';
import OSS from 'ali-oss';
import { startTestEmulator } from '../../helpers/emulator.js';
import type { ExtraClientOptions, TestEmulator } from '../../helpers/emulator.js';

export type ClientOptions = Partial<OSS.Options> & ExtraClientOptions;

export interface TargetSession {
  bucket: string;
  /** The region V4 signing must name (ali-oss form, e.g. oss-cn-hangzhou). */
  region: string;
  /** Every key a test writes starts with this, so runs against a shared real bucket never collide. */
  prefix: string;
  client(options?: ClientOptions): OSS;
  /** Present only for the emulator: fault injection, request log, restart. */
  emulator?: TestEmulator;
  close(): Promise<void>;
}

export interface ConformanceTarget {
  name: string;
  /** True when the emulator-only tests can run. */
  emulatorFeatures: boolean;
  open(): Promise<TargetSession>;
}

export const emulatorTarget: ConformanceTarget = {
  name: 'emulator',
  emulatorFeatures: true,
  async open() {
    const env = await startTestEmulator({ buckets: ['test-bucket', 'other-bucket'] });
    return {
      bucket: env.bucket,
      region: 'oss-cn-hangzhou',
      prefix: 'conformance/',
      client: (options) => env.client(options),
      emulator: env,
      close: () => env.stop(),
    };
  },
};

export const REAL_OSS_VARIABLES = ['OSS_TEST_ENDPOINT', 'OSS_TEST_BUCKET', 'OSS_TEST_ACCESS_KEY_ID', 'OSS_TEST_ACCESS_KEY_SECRET'] as const;

/** Removes every object and upload under the prefix (real buckets are shared and cost money). */
async function cleanUp(client: OSS, prefix: string): Promise<void> {
  for (;;) {
    const page = await client.list({ prefix, 'max-keys': 1000 }, {});
    for (const object of page.objects ?? []) await client.delete(object.name);
    if (!page.isTruncated) break;
  }
  const uploads = await client.listUploads({ prefix, 'max-uploads': 1000 }, {});
  for (const upload of uploads.uploads ?? []) await client.abortMultipartUpload(upload.name, upload.uploadId);
}

/** The real-OSS target, or undefined when the variables are not all set. */
export function realOssTarget(env: NodeJS.ProcessEnv = process.env): ConformanceTarget | undefined {
  if (!REAL_OSS_VARIABLES.every((name) => env[name])) return undefined;
  const base = {
    endpoint: env.OSS_TEST_ENDPOINT!,
    bucket: env.OSS_TEST_BUCKET!,
    accessKeyId: env.OSS_TEST_ACCESS_KEY_ID!,
    accessKeySecret: env.OSS_TEST_ACCESS_KEY_SECRET!,
    ...(env.OSS_TEST_REGION ? { region: env.OSS_TEST_REGION } : {}),
  };
  return {
    name: `real OSS (${base.bucket})`,
    emulatorFeatures: false,
    async open() {
      const prefix = `oss-sync-conformance/${Date.now()}-${randomBytes(4).toString('hex')}/`;
      const client = (options: ClientOptions = {}): OSS => new OSS({ ...base, ...options } as OSS.Options);
      const region = env.OSS_TEST_REGION ?? new URL(base.endpoint).hostname.split('.')[0]!;
      return { bucket: base.bucket, region, prefix, client, close: () => cleanUp(client(), prefix) };
    },
  };
}
