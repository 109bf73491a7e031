/**
 * Just enough XML for the OSS API: render response documents from nested [name, value] pairs,
 * and read the one request body we accept (CompleteMultipartUpload).
 */

export type XmlValue = string | number | boolean | undefined | readonly XmlElement[];
export type XmlElement = readonly [name: string, value: XmlValue];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_m, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name] ?? '';
  });
}

function renderElements(elements: readonly XmlElement[]): string {
  let out = '';
  for (const [name, value] of elements) {
    if (value === undefined) continue; // absent, not empty
    const inner = typeof value === 'object' ? renderElements(value) : escapeXml(String(value));
    out += `<${name}>${inner}</${name}>`;
  }
  return out;
}

/** A whole document with the XML declaration, as OSS sends it. */
export function xmlDocument(root: string, children: readonly XmlElement[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderElements([[root, [...children]]])}`;
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
