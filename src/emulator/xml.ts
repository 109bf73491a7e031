/** Just enough XML for the OSS API: answers rendered from plain objects, and the few request bodies we read. */

/** An element's content; an array repeats the element once per item. */
type XmlValue = string | number | boolean | undefined | XmlObject | readonly XmlObject[];
/** Child elements in property order. */
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Most text (keys, ETags, times) has nothing to escape: tested first, the replace's copy skipped. */
function escapeXml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : text;
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
  // for-in, no entries array, no one-item array per value: a listing renders ~10 elements per key.
  for (const name in children) {
    const value = children[name];
    if (value === undefined) continue; // absent, not empty
    if (isList(value)) for (const item of value) out += renderElement(name, item);
    else out += renderElement(name, value);
  }
  return out;
}

function renderElement(name: string, value: Exclude<XmlValue, undefined | readonly XmlObject[]>): string {
  const inner = typeof value === 'object' ? renderElements(value) : typeof value === 'string' ? escapeXml(value) : String(value);
  return name === '' ? inner : `<${name}>${inner}</${name}>`;
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

/** The last second ossTime() formatted, and its text. */
let lastTime = { second: NaN, text: '' };

/**
 * A time in OSS's XML answers (LastModified, Initiated): ISO 8601 in whole seconds, `.000Z`, as OSS
 * lists them; the same second as the object's Last-Modified header (which has no fraction).
 */
export function ossTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  // A listing's objects were mostly written in the same few seconds: the last second's text is reused.
  if (second !== lastTime.second) lastTime = { second, text: new Date(second * 1000).toISOString() };
  return lastTime.text;
}
