import { beforeAll, describe, expect, it } from 'vitest';
import type { TargetSession } from './target.js';

const NAMES = ['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'c.txt', 'd/4.txt', 'e.txt'];

export function listingTests(session: () => TargetSession): void {
  const base = (): string => `${session().prefix}listing/`;

  describe('listing', () => {
    beforeAll(async () => {
      const client = session().client();
      for (const name of NAMES) await client.put(base() + name, Buffer.from(name));
    });

    it('ListObjects (v1) filters by prefix and rolls up by delimiter, with Owner', async () => {
      const client = session().client();
      const result = await client.list({ prefix: base(), delimiter: '/', 'max-keys': 100 }, {});
      const prefixes = result.prefixes ?? [];
      expect(result.objects.map((o) => o.name)).toEqual(['a.txt', 'c.txt', 'e.txt'].map((n) => base() + n));
      expect(prefixes).toEqual(['b/', 'd/'].map((n) => base() + n));
      expect(result.objects[0]!.owner?.id).toBeTruthy();
      expect(result.objects[0]!.size).toBe(5);
      expect(result.objects[0]!.etag).toMatch(/^"[0-9A-F]{32}"$/);
      expect(result.isTruncated).toBe(false);
    });

    it('ListObjects (v1) pages with marker and max-keys, counting each common prefix once', async () => {
      const client = session().client();
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await client.list({ prefix: base(), delimiter: '/', 'max-keys': 2, ...(marker ? { marker } : {}) }, {});
        pages++;
        seen.push(...page.objects.map((o) => o.name), ...(page.prefixes ?? []));
        if (!page.isTruncated) break;
        marker = page.nextMarker!;
      }
      expect(seen.sort()).toEqual(['a.txt', 'b/', 'c.txt', 'd/', 'e.txt'].map((n) => base() + n));
      expect(pages).toBe(3);
    });

    it('ListObjects (v1) without a delimiter lists every key in order', async () => {
      const client = session().client();
      const all: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await client.list({ prefix: base(), 'max-keys': 3, ...(marker ? { marker } : {}) }, {});
        all.push(...page.objects.map((o) => o.name));
        if (!page.isTruncated) break;
        marker = page.nextMarker!;
      }
      expect(all).toEqual(NAMES.map((n) => base() + n));
    });

    it('ListObjectsV2 pages with continuation tokens and reports KeyCount', async () => {
      const client = session().client();
      const all: string[] = [];
      let token: string | null = null;
      let pages = 0;
      for (;;) {
        const page: Awaited<ReturnType<typeof client.listV2>> = await client.listV2(
          { prefix: base(), 'max-keys': '3', ...(token ? { 'continuation-token': token } : {}) },
          {},
        );
        pages++;
        expect(page.keyCount).toBe(page.objects.length);
        all.push(...page.objects.map((o) => o.name));
        if (!page.isTruncated) break;
        token = page.nextContinuationToken;
      }
      expect(all).toEqual(NAMES.map((n) => base() + n));
      expect(pages).toBe(3);
    });

    it('ListObjectsV2 rolls up by delimiter, honours start-after and fetch-owner', async () => {
      const client = session().client();
      const rolled = await client.listV2({ prefix: base(), delimiter: '/', 'max-keys': '100' }, {});
      expect(rolled.prefixes).toEqual(['b/', 'd/'].map((n) => base() + n));
      expect(rolled.keyCount).toBe(5);
      expect(rolled.objects[0]!.owner).toBeFalsy();
      const after = await client.listV2(
        { prefix: base(), 'start-after': `${base()}c.txt`, 'fetch-owner': 'true', 'max-keys': '100' } as never,
        {},
      );
      expect(after.objects.map((o) => o.name)).toEqual(['d/4.txt', 'e.txt'].map((n) => base() + n));
      expect(after.objects[0]!.owner?.id).toBeTruthy();
    });
  });
}
