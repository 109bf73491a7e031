/**
 * The admin API and fault rules are safe to leave running: a web page, an anonymous request or a
 * hostile pattern can neither change the emulator's behaviour nor hang it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { globMatches } from '../../src/emulator/fault-injector.js';
import { startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { rejection } from './conformance/responses.js';

describe('emulator admin API and fault rules', () => {
  let env: TestEmulator;
  const admin = (): Record<string, string> => ({ authorization: `Bearer ${env.adminToken}` });
  const postRule = (body: string, headers: Record<string, string>): Promise<Response> =>
    fetch(`${env.endpoint}/-/faults`, { method: 'POST', headers, body });

  beforeAll(async () => {
    env = await startTestEmulator();
  });
  afterAll(async () => {
    await env.stop();
  });
  beforeEach(() => {
    env.emulator.faults.clear();
  });

  it('refuses admin calls without the token, and a POST that is not application/json (a web page form)', async () => {
    const rule = JSON.stringify({ match: { operation: 'GetObject' }, action: { type: 'error', status: 500, code: 'InternalError' } });
    expect(env.adminToken).toBe(env.emulator.adminToken);
    expect((await fetch(`${env.endpoint}/-/requests`)).status).toBe(401);
    expect((await fetch(`${env.endpoint}/-/requests`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect((await fetch(`${env.endpoint}/-/faults`, { method: 'DELETE' })).status).toBe(401);
    // What a cross-site <form> or fetch(no-cors) can send: text/plain, no Authorization.
    expect((await postRule(rule, { 'content-type': 'text/plain' })).status).toBe(401);
    // Even with the token, a body not declared as JSON is refused.
    const plain = await postRule(rule, { ...admin(), 'content-type': 'text/plain;charset=UTF-8' });
    expect(plain.status).toBe(415);
    expect(env.emulator.faults.list()).toEqual([]);

    const ok = await postRule(rule, { ...admin(), 'content-type': 'application/json; charset=utf-8' });
    expect(ok.status).toBe(201);
    expect(env.emulator.faults.list()).toHaveLength(1);
    expect((await fetch(`${env.endpoint}/-/requests`, { headers: admin() })).status).toBe(200);
  });

  it('refuses a regex key (none is compiled) and takes prefix and glob keys', async () => {
    const json = { ...admin(), 'content-type': 'application/json' };
    const rule = (key: unknown): string =>
      JSON.stringify({
        match: { operation: 'PutObject', key },
        times: 'Infinity',
        action: { type: 'error', status: 503, code: 'SlowDown' },
      });
    const evil = await postRule(rule({ regex: '^(a+)+$' }), json);
    expect(evil.status).toBe(400);
    expect(((await evil.json()) as { error: string }).error).toContain('match.key must be a string');
    expect((await postRule(rule({ regex: '^literal/' }), json)).status).toBe(400);
    for (const key of [5, null, { suffix: '.bin' }]) {
      const bad = await postRule(rule(key), json);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain('match.key must be a string');
    }
    expect(env.emulator.faults.list()).toEqual([]);

    expect((await postRule(rule({ glob: 'literal/*' }), json)).status).toBe(201);
    expect((await postRule(rule({ prefix: 'pre/' }), json)).status).toBe(201);
    expect((await postRule(rule({ glob: 'g/*.b?n' }), json)).status).toBe(201);
    const client = env.client({ retryMax: 0 });
    for (const name of ['literal/a', 'pre/fix/x', 'g/deep/x.bin'])
      expect(await rejection(client.put(name, Buffer.from('x')))).toMatchObject({ code: 'SlowDown' });
    for (const name of ['not/literal/a', 'prefix', 'g/x.binary']) await client.put(name, Buffer.from('x'));
  });

  it('matches faults only on authenticated requests: an anonymous GET neither fires nor spends a rule', async () => {
    const client = env.client();
    await client.put('guarded.txt', Buffer.from('x'));
    env.emulator.faults.add({
      match: { operation: 'GetObject', key: 'guarded.txt' },
      action: { type: 'error', status: 503, code: 'SlowDown' },
    });
    const anonymous = await fetch(`${env.endpoint}/${env.bucket}/guarded.txt`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    expect(await rejection(client.get('guarded.txt'))).toMatchObject({ code: 'SlowDown', status: 503 });
    expect((await client.get('guarded.txt')).content.toString()).toBe('x');
  });

  it('refuses an in-process rule whose key is neither a string, a prefix nor a glob', () => {
    expect(() => env.emulator.faults.add({ match: { key: { regex: '^(a+)+$' } as never }, action: { type: 'latency', ms: 1 } })).toThrow(
      'match.key must be',
    );
  });

  it('matches globs without backtracking blow-up', () => {
    expect(globMatches('a/*/c', 'a/b/x/c')).toBe(true);
    expect(globMatches('a\\*b', 'a*b')).toBe(true);
    expect(globMatches('a\\*b', 'axb')).toBe(false);
    expect(globMatches('??', 'ab')).toBe(true);
    expect(globMatches('*', '')).toBe(true);
    // Exponential for a backtracking matcher; here at most key × pattern steps.
    expect(globMatches(`${'*a'.repeat(30)}*b`, 'a'.repeat(1023))).toBe(false);
  });
});
