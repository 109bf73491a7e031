import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observeSecrets } from '../../src/config/index.js';
import { ONE_FOLDER, OSS_LINES, TEST_ENV, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

describe('http: and notify: sections', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());
  const at = (line: number, column: number, rest: string): string => `${ws.root}/config.yaml:${line}:${column}: ${rest}`;

  it('are off when absent', () => {
    const config = ws.load([...OSS_LINES, ...ONE_FOLDER]);
    expect(config.http).toBeUndefined();
    expect(config.notify).toBeUndefined();
  });

  it('read a loopback listener, a unix socket, a token and the alert URLs', () => {
    const env = { ...TEST_ENV, HTTP_TOKEN: 'tok-123456', HOOK: 'https://user:hook-pass@hooks.example/x?key=k1' };
    const config = ws.load(
      [
        ...OSS_LINES,
        'http:',
        '  listen: 127.0.0.1:8384',
        '  token: ${HTTP_TOKEN}',
        'notify:',
        '  webhook_url: ${HOOK}',
        '  ping_url: https://hc-ping.example/uuid-1',
        ...ONE_FOLDER,
      ],
      env,
    );
    expect(config.http).toEqual({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 8384, loopback: true },
      token: 'tok-123456',
      basicAuth: undefined,
    });
    expect(config.notify).toEqual({ webhookUrl: env.HOOK, pingUrl: 'https://hc-ping.example/uuid-1' });
    expect(observeSecrets(config.http, config.notify)).toEqual(expect.arrayContaining(['tok-123456', 'hook-pass', env.HOOK]));
    const unix = ws.load([...OSS_LINES, 'http:', '  listen: unix:run/http.sock', ...ONE_FOLDER]);
    expect(unix.http?.listen).toEqual({ kind: 'unix', path: `${ws.root}/run/http.sock` });
  });

  it('refuses a non-loopback address without auth, and accepts it with basic auth', () => {
    const error = ws.fail([...OSS_LINES, 'http:', '  listen: 0.0.0.0:8384', ...ONE_FOLDER]);
    expect(error.message).toContain(
      at(6, 11, 'http.listen: 0.0.0.0 is reachable from other machines: set http.token or http.basic_auth, or listen on 127.0.0.1'),
    );
    const config = ws.load([
      ...OSS_LINES,
      'http:',
      '  listen: 0.0.0.0:8384',
      '  basic_auth:',
      '    user: ops',
      '    password: pw-secret-1',
      ...ONE_FOLDER,
    ]);
    expect(config.http?.basicAuth).toEqual({ user: 'ops', password: 'pw-secret-1' });
  });

  // One loopback test for the listener, the Host check and the emulator (src/lib/loopback.ts):
  // a name that only starts like a loopback address resolves wherever its owner likes.
  it('counts a name starting with "127." as reachable from other machines, and 127.x.y.z and [::1] as loopback', () => {
    const error = ws.fail([...OSS_LINES, 'http:', '  listen: 127.attacker.example:8384', ...ONE_FOLDER]);
    expect(error.message).toContain(at(6, 11, 'http.listen: 127.attacker.example is reachable from other machines'));
    for (const [listen, host] of [
      ['127.3.2.1:8384', '127.3.2.1'],
      ['[::1]:8384', '::1'],
      ['localhost:8384', 'localhost'],
    ])
      expect(ws.load([...OSS_LINES, 'http:', `  listen: "${listen}"`, ...ONE_FOLDER]).http?.listen).toEqual({
        kind: 'tcp',
        host,
        port: 8384,
        loopback: true,
      });
  });

  it('reports bad values at their place without echoing a secret', () => {
    const error = ws.fail(
      [
        ...OSS_LINES,
        'http:',
        '  listen: somewhere',
        '  token: 12345',
        '  basic_auth: { user: ops }',
        '  lsten: x',
        'notify:',
        '  webhook_url: ftp://user:hunter22@example.com/',
        ...ONE_FOLDER,
      ],
      TEST_ENV,
    );
    expect(error.message).toContain(
      at(6, 11, 'http.listen: expected HOST:PORT (e.g. 127.0.0.1:8384) or unix:/path/to.sock, got "somewhere"'),
    );
    expect(error.message).toContain(at(7, 10, 'http.token: expected a string, got a number'));
    expect(error.message).toContain(at(8, 3, 'http.basic_auth.password: missing: the password'));
    expect(error.message).toContain(at(9, 3, 'http.lsten: unknown key (did you mean "listen"?)'));
    expect(error.message).toContain(at(11, 16, 'notify.webhook_url: expected an http:// or https:// URL'));
    expect(error.message).not.toContain('hunter22');
    expect(error.message).not.toContain('12345');
  });
});
