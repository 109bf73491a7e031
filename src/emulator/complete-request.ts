import { ossErrors } from './oss-error.js';
import { elementTexts, unescapeXml } from './xml.js';

export interface CompletePartRef {
  partNumber: number;
  etag: string;
}

/** Normalises an ETag for comparison: OSS accepts it with or without quotes, in either case. */
function normaliseEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '').toUpperCase();
}

/** The part list of a CompleteMultipartUpload body, in the order sent; MalformedXML if unreadable. */
export function parseCompleteRequest(body: string): CompletePartRef[] {
  if (!/<CompleteMultipartUpload[\s>]/.test(body)) throw ossErrors.malformedXml();
  return elementTexts(body, 'Part').map((part) => {
    const [number] = elementTexts(part, 'PartNumber');
    const [etag] = elementTexts(part, 'ETag');
    const partNumber = Number(number?.trim());
    if (!Number.isInteger(partNumber) || etag === undefined) throw ossErrors.malformedXml();
    return { partNumber, etag: normaliseEtag(unescapeXml(etag)) };
  });
}
