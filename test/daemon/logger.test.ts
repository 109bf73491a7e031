import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/daemon/logger.js';

describe('Logger', () => {
  it('writes one JSON object per line, with error messages and bigints made printable', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 'info', pretty: false, write: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('uploaded', { bytes: 5, mtimeNs: 12345678901234567890n, error: Object.assign(new Error('boom'), { code: 'EIO' }) });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'uploaded', bytes: 5, mtimeNs: '12345678901234567890', error: 'boom', errorCode: 'EIO' });
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

  it('prints a readable line for a terminal', () => {
    const lines: string[] = [];
    new Logger({ level: 'info', pretty: true, write: (l) => lines.push(l) }).warn('folder paused', { folder: 'photos' });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d WARN {2}folder paused {2}folder=photos\n$/);
  });
});
