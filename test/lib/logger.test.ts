import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/lib/logger.js';

const BUILT_LOGGER = join(import.meta.dirname, '../../dist/src/lib/logger.js');

describe('Logger', () => {
  it('writes one JSON object per line, with error messages and bigints made printable', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 'info', pretty: false, write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('uploaded', { bytes: 5, mtimeNs: 12345678901234567890n, error: Object.assign(new Error('boom'), { code: 'EIO' }) });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'info',
      msg: 'uploaded',
      bytes: 5,
      mtimeNs: '12345678901234567890',
      error: 'boom',
      errorCode: 'EIO',
    });
  });

  // A bug's TypeError logged as its message alone ("Cannot read properties of undefined") says
  // nothing of where: its stack goes along. Classified errors and system calls' say enough.
  it('logs the stack of an unexpected error, and only the message of a classified one', () => {
    class QuotaError extends Error {}
    const lines: string[] = [];
    const log = new Logger({ level: 'info', pretty: false, write: (l) => lines.push(l) });
    let bug: unknown;
    try {
      (undefined as unknown as { x: number }).x++;
    } catch (err) {
      bug = err;
    }
    log.error('unexpected', { error: bug, plain: new Error('nobody classified me') });
    log.error('classified', { error: new QuotaError('over quota'), io: Object.assign(new Error('gone'), { code: 'ENOENT' }) });
    const [unexpected, classified] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(unexpected!.errorStack).toMatch(/^TypeError: .*\n\s+at .*logger\.test\.ts/s);
    expect(unexpected!.plainStack).toMatch(/^Error: nobody classified me\n\s+at /);
    expect(classified).toMatchObject({ error: 'over quota', io: 'gone', ioCode: 'ENOENT' });
    expect(Object.keys(classified!).filter((k) => k.endsWith('Stack'))).toEqual([]);
  });

  it('replaces every registered secret wherever it appears, in JSON and in pretty lines', () => {
    for (const pretty of [false, true]) {
      const lines: string[] = [];
      const log = new Logger({ level: 'debug', pretty, secrets: ['s3cr3t'], write: (l) => lines.push(l) });
      log.addSecrets(['sts-token-value', undefined]);
      log.error('request failed with s3cr3t in it', { detail: 'token=sts-token-value', nested: { x: 's3cr3t' } });
      expect(lines.join('')).not.toMatch(/s3cr3t|sts-token-value/);
      expect(lines.join('')).toContain('***');
    }
  });

  // JSON writes " \\ and control characters escaped: a secret holding one (a ${VAR} password) is
  // not found as it was registered in the JSON line, and must be redacted all the same.
  it('redacts a secret holding a quote, a backslash or a newline in a JSON line, stacks included', () => {
    const secret = 'pa"ss\\wo\nrd';
    const lines: string[] = [];
    const log = new Logger({ level: 'debug', pretty: false, secrets: [secret], write: (l) => lines.push(l) });
    log.error(`login with ${secret} refused`, { detail: secret, error: new TypeError(`bad ${secret}`) });
    const record = JSON.parse(lines[0]!) as Record<string, string>;
    expect(JSON.stringify(record)).not.toContain('pa\\"ss');
    for (const value of Object.values(record)) expect(value).not.toContain(secret);
    expect(record.errorStack).toContain('***');
  });

  it('redacts rotating credentials, keeping the latest 32 sets and every pinned secret', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 'debug', pretty: false, secrets: ['pinned-secret'], write: (l) => lines.push(l) });
    for (let i = 0; i < 100; i++) log.addRotatingSecrets([`rot-secret-${i}-x`, `rot-token-${i}-x`]);
    log.info('values', { a: 'pinned-secret', b: 'rot-secret-99-x', c: 'rot-token-68-x', d: 'rot-secret-0-x' });
    const line = lines.join('');
    expect(line).not.toMatch(/pinned-secret|rot-secret-99-x|rot-token-68-x/);
    expect(line).toContain('rot-secret-0-x'); // expired long ago: no longer looked for
  });

  it('prints a readable line for a terminal', () => {
    const lines: string[] = [];
    new Logger({ level: 'info', pretty: true, write: (l) => lines.push(l) }).warn('folder paused', { folder: 'photos' });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN {2}folder paused {2}folder=photos\n$/);
  });

  // A crafted file name or error text must not clear the screen, set the title or forge a line.
  it('escapes control characters and bidi overrides in a terminal line; JSON lines keep the exact text', () => {
    const name = 'evil\x1b[2J\x1b]0;owned\x07\nALL GOOD \u202etxt.exe\u009b';
    const lines: string[] = [];
    new Logger({ level: 'info', pretty: true, write: (l) => lines.push(l) }).error(`cannot read ${name}`, { path: name, detail: { name } });
    expect(lines).toHaveLength(1);
    // eslint-disable-next-line no-control-regex -- what must not reach the terminal
    expect(lines[0]!.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(lines[0]).toContain('cannot read evil\\x1b[2J\\x1b]0;owned\\x07\\x0aALL GOOD \\u202etxt.exe\\x9b  path=evil\\x1b[2J');
    expect(lines[0]).toContain('\\u202etxt.exe'); // in the JSON-rendered field too
    const json: string[] = [];
    new Logger({ level: 'info', pretty: false, write: (l) => json.push(l) }).error(`cannot read ${name}`, { path: name });
    expect(JSON.parse(json[0]!)).toMatchObject({ msg: `cannot read ${name}`, path: name });
  });

  it('registers no process hook at import; after flushLogsAtExit() every line written to stdout (a pipe) is delivered before process.exit, in order', () => {
    const script = `
      const hooks = () => process.eventNames().map((n) => String(n) + ':' + process.listenerCount(n)).join(',');
      const before = hooks();
      const { Logger, flushLogsAtExit } = await import(${JSON.stringify(BUILT_LOGGER)});
      if (hooks() !== before) process.stderr.write('import added process hooks: ' + before + ' -> ' + hooks());
      flushLogsAtExit();
      const log = new Logger({ level: 'info', pretty: false });
      // A line far larger than a pipe holds: what the reader has not taken when it is written would wait
      // in Node's queue, which process.exit() drops, unless the writes block.
      log.info('line', { i: 0, filler: 'x'.repeat(4 * 1024 * 1024) });
      for (let i = 1; i < 5000; i++) log.info('line', { i });
      process.exit(0);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe('');
    const seen = child.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
