import type { ListedObject, ListedObjectsPage } from './object-storage.js';

/**
 * Reads a ListObjectsV2 answer (ListBucketResult) for the fields a listing needs, in place of ali-oss's
 * costlier xml2js parse (bench/NOTES.md). Not a general XML parser: OSS's answer is flat, its text
 * escaped (a '<' in a key arrives as &lt;), so every tag found is markup. A page it cannot read is an
 * error, never fewer objects: a missing object would read as deleted to verify and as lost to restore.
 */
export function parseListObjectsV2(xml: string): ListedObjectsPage {
  if (!xml.includes('<ListBucketResult')) throw new ListingParseError('the answer is not a ListBucketResult');
  // A body cut short between two objects would read as a page of fewer objects.
  if (!xml.trimEnd().endsWith('</ListBucketResult>')) throw new ListingParseError('the answer ends before </ListBucketResult>');
  const objects: ListedObject[] = [];
  let at = xml.indexOf('<Contents>');
  const firstContents = at;
  while (at !== -1) {
    const end = xml.indexOf('</Contents>', at);
    const next = xml.indexOf('<Contents>', at + 10);
    // Invariant: each <Contents> closes before the next opens, and (below) every </Contents> closes one
    // of them, so a tag damaged on the way cannot hide an object inside another's element or between two.
    if (end === -1 || (next !== -1 && next < end)) throw new ListingParseError('a <Contents> element is not closed');
    const block = xml.slice(at + 10, end);
    const key = textOf(block, 'Key');
    const sizeText = textOf(block, 'Size');
    const size = sizeText !== undefined && /^\d{1,15}$/.test(sizeText) ? Number(sizeText) : NaN;
    const etag = textOf(block, 'ETag');
    if (!key || Number.isNaN(size) || !etag) {
      throw new ListingParseError(`an object without a readable Key, Size and ETag: ${block.slice(0, 200)}`);
    }
    objects.push({ key, size, etag, storageClass: textOf(block, 'StorageClass'), lastModified: textOf(block, 'LastModified') ?? '' });
    at = next;
  }
  if (xml.split('</Contents>').length - 1 !== objects.length) throw new ListingParseError('a </Contents> without its <Contents>');
  // The header's fields come before the first object (or are all there is): read them only there, so
  // no object's text is ever searched for them.
  const header = firstContents === -1 ? xml : xml.slice(0, firstContents);
  const trailer = firstContents === -1 ? '' : xml.slice(xml.lastIndexOf('</Contents>'));
  const truncated = textOf(header, 'IsTruncated') ?? textOf(trailer, 'IsTruncated');
  // Anything but the two values (a missing or damaged IsTruncated) would end the listing early as 'false'.
  if (truncated !== 'true' && truncated !== 'false') throw new ListingParseError(`IsTruncated is ${truncated ?? 'missing'}`);
  const next = textOf(header, 'NextContinuationToken') ?? textOf(trailer, 'NextContinuationToken');
  if (truncated === 'false') return { objects };
  if (!next) throw new ListingParseError('IsTruncated is true without a NextContinuationToken to go on with');
  return { objects, next };
}

/** The text of the first <tag>…</tag> in `xml`, unescaped; undefined when there is none. */
function textOf(xml: string, tag: string): string | undefined {
  const open = xml.indexOf(`<${tag}>`);
  if (open === -1) return xml.includes(`<${tag}/>`) ? '' : undefined;
  const from = open + tag.length + 2;
  const close = xml.indexOf(`</${tag}>`, from);
  if (close === -1) throw new ListingParseError(`<${tag}> is not closed`);
  return unescapeXml(xml.slice(from, close));
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text to the string it stands for: the five named entities, numeric references and CDATA sections. */
function unescapeXml(text: string): string {
  if (!text.includes('&') && !text.includes('<')) return text;
  return text.replace(
    /<!\[CDATA\[([\s\S]*?)\]\]>|&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|</g,
    (match, cdata: string | undefined, ref: string | undefined) => {
      if (cdata !== undefined) return cdata;
      if (ref === undefined) throw new ListingParseError(`markup inside a text field: ${text.slice(0, 200)}`);
      if (ref.startsWith('#')) {
        const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        if (code > 0x10ffff) throw new ListingParseError(`a character reference out of range: ${match}`);
        return String.fromCodePoint(code);
      }
      const named = ENTITIES[ref];
      if (named === undefined) throw new ListingParseError(`an unknown entity ${match}`);
      return named;
    },
  );
}

/** The listing's answer could not be read: the page is refused whole. */
export class ListingParseError extends Error {
  override readonly name = 'ListingParseError';
  constructor(detail: string) {
    super(`cannot read the ListObjectsV2 answer: ${detail}`);
  }
}
