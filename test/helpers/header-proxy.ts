import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy on the way to OSS that changes headers: what some proxies do to requests or answers. */
export interface HeaderProxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Forwards every request to `target`, its headers and the answer's passed through the given edits
 * (V1 signs neither Range nor Content-Length: the signature still holds). An answer without
 * Content-Length is sent chunked.
 */
export async function startHeaderProxy(
  target: string,
  edit: { request?: (h: IncomingHttpHeaders) => void; response?: (h: IncomingHttpHeaders, method: string) => void },
): Promise<HeaderProxy> {
  const { hostname, port } = new URL(target);
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers };
    edit.request?.(headers);
    const upstream = request({ host: hostname, port, method: req.method, path: req.url, headers }, (answer) => {
      const answerHeaders = { ...answer.headers };
      edit.response?.(answerHeaders, req.method ?? '');
      res.writeHead(answer.statusCode ?? 502, answerHeaders);
      answer.pipe(res);
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
