/** Small readers for ali-oss results, whose header types @types/ali-oss leaves as `{}`. */
import type OSS from 'ali-oss';
import { createHash } from 'node:crypto';

export function headerOf(result: { res: { headers: object } }, name: string): string | undefined {
  const value = (result.res.headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** An OSS part or PutObject ETag: the quoted uppercase hex MD5. */
export function md5Etag(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex').toUpperCase()}"`;
}

/** Deterministic pseudo-random bytes, so failures are reproducible. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; status?: number; requestId?: string; name?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: string; status?: number; requestId?: string };
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface ListedPart {
  partNumber: number;
  etag: string;
  size: number;
}

/**
 * One ListParts page, normalised: ali-oss hands back the XML as parsed, so one part is an object
 * rather than an array, numbers are strings and isTruncated is "true"/"false" (not as typed).
 */
export async function listPartsPage(
  client: OSS,
  name: string,
  uploadId: string,
  query: { 'max-parts'?: number; 'part-number-marker'?: string } = {},
): Promise<{ parts: ListedPart[]; truncated: boolean; nextMarker: string }> {
  const page = await client.listParts(name, uploadId, query as never, {});
  const raw = [page.parts].flat().filter(Boolean) as unknown as Array<{ PartNumber: string; ETag: string; Size: string }>;
  return {
    parts: raw.map((p) => ({ partNumber: Number(p.PartNumber), etag: p.ETag, size: Number(p.Size) })),
    truncated: String(page.isTruncated) === 'true',
    nextMarker: String(page.nextPartNumberMarker),
  };
}
