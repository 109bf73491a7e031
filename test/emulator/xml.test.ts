import { describe, expect, it } from 'vitest';
import { ossTime, xmlDocument } from '../../src/emulator/xml.js';

// The emulator's answers, pinned to the byte: the renderer is on every listing's hot path and is
// tuned for it (bench/NOTES.md), and OSS clients parse what it writes.
describe('emulator XML', () => {
  it('renders elements in property order, repeats lists, leaves absent ones out and escapes only text', () => {
    const xml = xmlDocument('ListBucketResult', {
      Name: 'b',
      Prefix: '',
      StartAfter: undefined,
      MaxKeys: 1000,
      IsTruncated: false,
      Contents: [
        { Key: `a&b<c>"d'e.txt`, Size: 5, Owner: { ID: '1', DisplayName: '1' } },
        { Key: 'plain/中.txt', Size: 0, Owner: undefined },
      ],
      '': [{ Version: { Key: 'v' } }, { DeleteMarker: { Key: 'm' } }],
      CommonPrefixes: [],
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>' +
        '<IsTruncated>false</IsTruncated>' +
        '<Contents><Key>a&amp;b&lt;c&gt;&quot;d&apos;e.txt</Key><Size>5</Size><Owner><ID>1</ID><DisplayName>1</DisplayName></Owner></Contents>' +
        '<Contents><Key>plain/中.txt</Key><Size>0</Size></Contents>' +
        '<Version><Key>v</Key></Version><DeleteMarker><Key>m</Key></DeleteMarker></ListBucketResult>',
    );
  });

  it('gives each object the time of its own second, whatever was formatted before', () => {
    const second = Date.UTC(2026, 11, 5, 10, 0, 7);
    expect(ossTime(second + 999)).toBe('2026-12-05T10:00:07.000Z');
    expect(ossTime(second + 1000)).toBe('2026-12-05T10:00:08.000Z');
    expect(ossTime(second)).toBe('2026-12-05T10:00:07.000Z');
    expect(ossTime(second - 1)).toBe('2026-12-05T10:00:06.000Z');
  });
});
