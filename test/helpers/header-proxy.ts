import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

/** A proxy on the way to OSS that changes headers (or an answer's body): what some proxies do to requests or answers. */
export interface HeaderProxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Forwards every request to `target`, its headers and the answer's passed through the given edits
 * (V1 signs neither Range nor Content-Length: the signature still holds). An answer without
 * Content-Length is sent chunked. `edit.body` gets each answer's whole body (and the request's path)
 * and sends what it returns, with its Content-Length: an answer damaged or cut short on the way.
 * `edit.stall` picks answers that stop half-way with the connection left open.
 */
export async function startHeaderProxy(
  target: string,
  edit: {
    request?: (h: IncomingHttpHeaders) => void;
    response?: (h: IncomingHttpHeaders, method: string) => void;
    body?: (body: string, path: string) => string;
    /** True: the answer's headers and half its body are sent, then nothing (the connection stays open): a stalled link. */
    stall?: (method: string, path: string) => boolean;
  },
): Promise<HeaderProxy> {
  const { hostname, port } = new URL(target);
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers };
    edit.request?.(headers);
    const upstream = request({ host: hostname, port, method: req.method, path: req.url, headers }, (answer) => {
      const answerHeaders = { ...answer.headers };
      edit.response?.(answerHeaders, req.method ?? '');
      const editBody = edit.body;
      if (edit.stall?.(req.method ?? '', req.url ?? '')) {
        const half = Number(answer.headers['content-length'] ?? 0) / 2;
        res.writeHead(answer.statusCode ?? 502, answerHeaders);
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (sent < half) res.write(chunk.subarray(0, half - sent));
          sent += chunk.length;
        });
        return;
      }
      if (!editBody) {
        res.writeHead(answer.statusCode ?? 502, answerHeaders);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.once('end', () => {
        const body = Buffer.from(editBody(Buffer.concat(chunks).toString('utf8'), req.url ?? ''));
        delete answerHeaders['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, { ...answerHeaders, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  const { url, close } = await listenOnLoopback(server);
  return { endpoint: url, close };
}
