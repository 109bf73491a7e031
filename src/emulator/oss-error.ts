/** An error the emulator answers with, rendered as OSS error XML (request-context.ts). */
export class OssError extends Error {
  /** Headers the error answer carries besides the usual ones (x-oss-delete-marker on a deleted key). */
  headers: Record<string, string> = {};

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements of the error XML, e.g. Key or UploadId. Never a secret. */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OssError';
  }
}

/** The errors OSS answers for the operations we emulate, with OSS's own wording where known. */
export const ossErrors = {
  accessDenied: (message = 'AccessDenied') => new OssError(403, 'AccessDenied', message),
  invalidAccessKeyId: (accessKeyId: string) =>
    new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', {
      OSSAccessKeyId: accessKeyId,
    }),
  signatureDoesNotMatch: (accessKeyId: string, stringToSign: string) =>
    new OssError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { OSSAccessKeyId: accessKeyId, StringToSign: stringToSign },
    ),
  // STS errors, worded as OSS's error-code reference (EC 0002-00000007 is the expired token).
  securityTokenExpired: () =>
    new OssError(403, 'SecurityTokenExpired', 'The security token you provided has expired.', { EC: '0002-00000007' }),
  invalidSecurityToken: () => new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.'),
  accessKeyIdAndSecurityTokenNotMatch: (accessKeyId: string) =>
    new OssError(403, 'AccessKeyIdAndSecurityTokenNotMatch', 'The OSS access key id and security token you provided does not match.', {
      OSSAccessKeyId: accessKeyId,
    }),
  requestTimeTooSkewed: (requestTime: number | undefined) =>
    new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: requestTime === undefined ? '' : new Date(requestTime).toISOString(),
      ServerTime: new Date().toISOString(),
    }),
  noSuchBucket: (bucket: string) => new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }),
  noSuchKey: (key: string) => new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new OssError(
      404,
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      { UploadId: uploadId },
    ),
  invalidArgument: (message: string, details: Record<string, string> = {}) => new OssError(400, 'InvalidArgument', message, details),
  /** InvalidArgument naming the argument at fault and the value it was given. */
  invalidValue: (message: string, name: string, value: string) =>
    new OssError(400, 'InvalidArgument', message, { ArgumentName: name, ArgumentValue: value }),
  invalidObjectName: () => new OssError(400, 'InvalidObjectName', 'The specified object is not valid.'),
  invalidDigest: () => new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.'),
  invalidPart: () =>
    new OssError(
      400,
      'InvalidPart',
      "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
    ),
  invalidPartOrder: () =>
    new OssError(
      400,
      'InvalidPartOrder',
      'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
    ),
  entityTooSmall: () => new OssError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.'),
  entityTooLarge: () => new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.'),
  malformedXml: () =>
    new OssError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.'),
  invalidRange: () => new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied.'),
  incompleteBody: () =>
    new OssError(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  requestTimeout: () =>
    new OssError(400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.'),
  notImplemented: (what: string) => new OssError(501, 'NotImplemented', `${what} is not implemented by the oss-sync emulator.`),
  /** OSS names the header whose condition failed in `<Condition>`. */
  preconditionFailed: (condition: 'If-Match' | 'If-Unmodified-Since') =>
    new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: condition }),
};
