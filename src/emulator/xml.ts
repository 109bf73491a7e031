/**
 * Just enough XML for the OSS API: render response documents from plain objects, and read the few
 * request bodies we accept (CompleteMultipartUpload, lifecycle, versioning).
 */

/** An element's content; an array repeats the element once per item. */
type XmlValue = string | number | boolean | undefined | XmlObject | readonly XmlObject[];
/** Child elements in property order. */
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_m, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name] ?? '';
  });
}

/** The name '' adds its objects' elements with no element of its own: how ListObjectVersions interleaves Version and DeleteMarker. */
function renderElements(children: XmlObject): string {
  let out = '';
  for (const [name, value] of Object.entries(children)) {
    if (value === undefined) continue; // absent, not empty
    for (const item of isList(value) ? value : [value]) {
      const inner = typeof item === 'object' ? renderElements(item) : escapeXml(String(item));
      out += name === '' ? inner : `<${name}>${inner}</${name}>`;
    }
  }
  return out;
}

function isList(value: XmlValue): value is readonly XmlObject[] {
  return Array.isArray(value);
}

/** A whole document with the XML declaration, as OSS sends it. */
export function xmlDocument(root: string, children: XmlObject): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>${renderElements(children)}</${root}>`;
}

/** The text of every <name>...</name> directly inside `xml` (no nesting of the same name). */
export function elementTexts(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g');
  return [...xml.matchAll(pattern)].map((m) => m[1]!);
}

/**
 * A time in OSS's XML answers (LastModified, Initiated): ISO 8601 in whole seconds, `.000Z`, as OSS
 * lists them; the same second as the object's Last-Modified header (which has no fraction).
 */
export function ossTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}
