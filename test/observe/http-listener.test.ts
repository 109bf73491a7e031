/**
 * The listener's own rules, on real sockets: basic auth, actions refused without configured auth,
 * a Host header that is not loopback refused when there is no auth (DNS rebinding), a unix socket.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { lstatSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpConfig } from '../../src/config/index.js';
import { Logger } from '../../src/lib/logger.js';
import { ObserveServer } from '../../src/observe/http-server.js';
import { tempDir } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  target: { port?: number; socketPath?: string },
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', ...target, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('status page listener', () => {
  let server: ObserveServer | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  const acted: string[] = [];
  const samples = new EventEmitter();
  afterEach(async () => {
    await server?.close();
    dir?.remove();
    server = dir = undefined;
    acted.length = 0;
  });

  const start = async (http: HttpConfig): Promise<ObserveServer> => {
    server = await ObserveServer.start({
      http,
      logger: new Logger({ level: 'error', pretty: false, write: () => undefined }),
      metrics: new Registry(),
      pageJson: () => '{"status":{}}',
      samples,
      actions: {
        retry: (folder, relPath) => (acted.push(`retry ${folder}/${relPath}`), 1),
        pause: (folder, paused) => (acted.push(`${paused ? 'pause' : 'resume'} ${folder}`), folder === 'main'),
      },
    });
    return server;
  };
  const portOf = (s: ObserveServer): number => Number(new URL(s.url).port);

  it('with basic auth: challenges, then serves and acts with the credentials', async () => {
    const s = await start({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 0, loopback: true },
      basicAuth: { user: 'ops', password: 'pw-1234' },
    });
    const port = portOf(s);
    const denied = await call({ port }, '/');
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toContain('Basic');
    const auth = `Basic ${Buffer.from('ops:pw-1234').toString('base64')}`;
    expect((await call({ port }, '/', { headers: { authorization: `Basic ${Buffer.from('ops:wrong').toString('base64')}` } })).status).toBe(
      401,
    );
    const page = await call({ port }, '/', { headers: { authorization: auth } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'nonce-/);
    expect(page.body).toContain('<title>oss-sync</title>');
    const json = { 'content-type': 'application/json', authorization: auth };
    expect((await call({ port }, '/api/pause', { method: 'POST', headers: json, body: '{"folder":"main"}' })).status).toBe(200);
    expect((await call({ port }, '/api/pause', { method: 'POST', headers: json, body: '{"folder":"nope"}' })).status).toBe(404);
    // A form post (what another site could make a browser send) is refused.
    expect(
      (
        await call({ port }, '/api/resume', {
          method: 'POST',
          headers: { ...json, 'content-type': 'text/plain' },
          body: '{"folder":"main"}',
        })
      ).status,
    ).toBe(415);
    expect(
      (await call({ port }, '/api/retry', { method: 'POST', headers: json, body: '{"folder":"main","relPath":"a/b.txt"}' })).status,
    ).toBe(200);
    expect(acted).toEqual(['pause main', 'pause nope', 'retry main/a/b.txt']);
  });

  it('pushes the page JSON on /events at every sample, and stops listening when the stream closes', async () => {
    const s = await start({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0, loopback: true } });
    let received = '';
    const req = request({ host: '127.0.0.1', port: portOf(s), path: '/events' });
    req.on('response', (res) => res.on('data', (chunk: Buffer) => (received += chunk.toString())));
    req.on('error', () => undefined); // destroyed below
    req.end();
    const pushes = (): number => received.split('data: {"status":{}}\n\n').length - 1;
    await waitFor(() => pushes() === 1, { what: 'the first push' });
    expect(samples.listenerCount('sample')).toBe(1);
    samples.emit('sample');
    await waitFor(() => pushes() === 2, { what: 'the push of a new sample' });
    req.destroy();
    await waitFor(() => samples.listenerCount('sample') === 0, { what: 'the stream to unsubscribe' });
  });

  it('without auth: reads only on loopback names, and no actions', async () => {
    const s = await start({ listen: { kind: 'tcp', host: '127.0.0.1', port: 0, loopback: true } });
    const port = portOf(s);
    expect((await call({ port }, '/api/status')).status).toBe(200);
    // A page elsewhere that rebinds its name to 127.0.0.1 sends its own Host.
    expect((await call({ port }, '/api/status', { headers: { host: `evil.example:${port}` } })).status).toBe(421);
    const act = await call({ port }, '/api/pause', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"folder":"main"}',
    });
    expect(act.status).toBe(403);
    expect(act.body).toContain('http.token');
    expect(acted).toEqual([]);
  });

  it('listens on a unix socket (mode 660), replacing a stale one', async () => {
    dir = tempDir('oss-sync-socket-');
    const path = join(dir.path, 'http.sock');
    // A killed daemon leaves its socket file behind: the next start must not fail on it.
    const killed = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise((resolve) => killed.stdout.once('data', resolve));
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('close', resolve));
    expect(lstatSync(path).isSocket()).toBe(true);
    const s = await start({ listen: { kind: 'unix', path } });
    expect(s.url).toBe(`unix:${path}`);
    expect(statSync(path).mode & 0o777).toBe(0o660);
    const res = await call({ socketPath: path }, '/metrics');
    expect(res.status).toBe(200);
  });
});
