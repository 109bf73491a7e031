import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ossErrors } from './oss-error.js';
import type { ParsedRequest } from './parsed-request.js';
import { bytesAsText, parseV1Authorization, v1Signature, v1StringToSign } from './signature-v1.js';
import { parseV4Authorization, v4Signature, v4StringToSign } from './signature-v4.js';
import type { Credential } from './types.js';

/** OSS rejects requests whose date is more than 15 minutes off. */
const MAX_SKEW_MS = 15 * 60 * 1000;

/** A constant-time comparison, so an answer's timing does not tell how much of a secret matched. */
export function sameText(a: string, b: string): boolean {
  const bufA = Buffer.from(a);
  const bufB = Buffer.from(b);
  return bufA.length === bufB.length && timingSafeEqual(bufA, bufB);
}

/** x-oss-date is RFC 1123 for V1 and yyyymmddTHHMMSSZ for V4. */
function requestTime(headers: IncomingHttpHeaders): number | undefined {
  const raw = (headers['x-oss-date'] as string | undefined) ?? headers.date;
  if (!raw) return undefined;
  const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(raw);
  const time = compact ? Date.UTC(+compact[1]!, +compact[2]! - 1, +compact[3]!, +compact[4]!, +compact[5]!, +compact[6]!) : Date.parse(raw);
  return Number.isNaN(time) ? undefined : time;
}

/** Verifies V1 (`OSS AK:SIG`) and V4 (`OSS4-HMAC-SHA256 ...`) header signatures; throws the OSS error otherwise. */
export class Authenticator {
  private readonly credentials: Map<string, Credential>;
  /** security token -> the temporary key it was issued with, to tell "no such token" from "another key's". */
  private readonly tokens = new Map<string, string>();

  constructor(credentials: readonly Credential[]) {
    this.credentials = new Map();
    for (const c of credentials) this.add(c);
  }

  /** Adds (or replaces) a key; one with a securityToken is temporary, as STS issues them. */
  add(credential: Credential): void {
    this.credentials.set(credential.accessKeyId, { ...credential });
    if (credential.securityToken !== undefined) this.tokens.set(credential.securityToken, credential.accessKeyId);
  }

  private secretOf(accessKeyId: string, headers: IncomingHttpHeaders): string {
    const credential = this.credentials.get(accessKeyId);
    if (credential === undefined) throw ossErrors.invalidAccessKeyId(accessKeyId);
    const given = headers['x-oss-security-token'];
    const token = Array.isArray(given) ? given[0] : given;
    // A long-term key: a token sent along is not checked (what OSS does then is not documented, and
    // the demo signs its static key with whatever sts_token the config names).
    if (credential.securityToken === undefined) return credential.accessKeySecret;
    if (token === undefined || !sameText(token, credential.securityToken)) {
      if (token !== undefined && this.tokens.has(token)) throw ossErrors.accessKeyIdAndSecurityTokenNotMatch(accessKeyId);
      throw ossErrors.invalidSecurityToken();
    }
    if (credential.expiration !== undefined && Date.now() >= credential.expiration) throw ossErrors.securityTokenExpired();
    return credential.accessKeySecret;
  }

  verify(request: ParsedRequest, headers: IncomingHttpHeaders): void {
    const authorization = headers.authorization;
    if (!authorization) {
      if (request.query.OSSAccessKeyId !== undefined) return this.verifyPresigned(request, headers);
      throw ossErrors.accessDenied('You have no right to access this object because of bucket acl.');
    }

    const v1 = parseV1Authorization(authorization);
    const v4 = v1 ? undefined : parseV4Authorization(authorization);
    const accessKeyId = v1?.accessKeyId ?? v4?.accessKeyId;
    if (accessKeyId === undefined)
      throw ossErrors.invalidArgument('Authorization header is invalid.', { Authorization: authorization.split(' ')[0] ?? '' });
    const secret = this.secretOf(accessKeyId, headers);

    const time = requestTime(headers);
    if (time === undefined || Math.abs(Date.now() - time) > MAX_SKEW_MS) throw ossErrors.requestTimeTooSkewed(time);

    const stringToSign = v1 ? v1StringToSign(request, headers) : v4StringToSign(request, headers, v4!);
    const expected = v1 ? v1Signature(secret, stringToSign) : v4Signature(secret, v4!, stringToSign);
    if (!sameText(expected, (v1 ?? v4!).signature)) throw ossErrors.signatureDoesNotMatch(accessKeyId, bytesAsText(stringToSign));
  }

  /** A V1 presigned URL (`?OSSAccessKeyId=&Expires=&Signature=`, what ali-oss signatureUrl makes). */
  private verifyPresigned(request: ParsedRequest, headers: IncomingHttpHeaders): void {
    const { OSSAccessKeyId: accessKeyId = '', Expires: expires = '', Signature: signature = '' } = request.query;
    const secret = this.secretOf(accessKeyId, {
      ...headers,
      ...(request.query['security-token'] !== undefined ? { 'x-oss-security-token': request.query['security-token'] } : {}),
    });
    if (!/^\d+$/.test(expires) || Number(expires) * 1000 < Date.now()) throw ossErrors.accessDenied('Request has expired.');
    const stringToSign = v1StringToSign(request, headers, expires);
    // A hand-pasted URL may carry base64's '+' unescaped, which query decoding turns into a space.
    if (!sameText(v1Signature(secret, stringToSign), signature.replace(/ /g, '+')))
      throw ossErrors.signatureDoesNotMatch(accessKeyId, bytesAsText(stringToSign));
  }
}
