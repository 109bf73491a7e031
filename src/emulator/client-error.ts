import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { OssError, ossErrors } from './oss-error.js';
import { xmlDocument } from './xml.js';

/** What OSS answers for a request Node's HTTP parser refused, by the parser's error code. */
function errorFor(code: string | undefined): OssError {
  switch (code) {
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return ossErrors.invalidArgument('A request must not carry both Content-Length and Transfer-Encoding: chunked.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ossErrors.requestTimeout();
    case 'HPE_HEADER_OVERFLOW':
      return ossErrors.invalidArgument('The request headers are too large.');
    default:
      return new OssError(400, 'InvalidRequest', 'The request could not be parsed as HTTP.');
  }
}

/**
 * The server's `clientError` handler. Node's parser refuses some requests before any handler runs
 * (both Content-Length and chunked encoding, malformed headers, headers that never finish) and by
 * default answers a bare `400 Bad Request` with no body, which ali-oss cannot read as an OSS error.
 * This answers them with OSS's error XML instead, then closes the connection (the parser's state is
 * lost, so nothing more can be read from it).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const error = errorFor(err.code);
  const requestId = randomBytes(12).toString('hex').toUpperCase();
  const body = Buffer.from(
    xmlDocument('Error', [
      ['Code', error.code],
      ['Message', error.message],
      ['RequestId', requestId],
      ['HostId', ''],
    ]),
  );
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    'Server: AliyunOSS',
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: application/xml',
    `Content-Length: ${body.length}`,
    `x-oss-request-id: ${requestId}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]));
}
