/**
 * A file whose name holds terminal escape sequences and a newline: `once` and `status` name it when
 * its upload fails, and must show it escaped (no screen cleared, no title set, no forged line),
 * while `status --json` and the JSON log keep the exact name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncFixture, type SyncFixture } from '../helpers/sync-fixture.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const NAME = 'evil\x1b[2J\x1b]0;owned\x07\nALL GOOD: 0 failed \u202etxt.exe';
const SHOWN = 'evil\\x1b[2J\\x1b]0;owned\\x07\\x0aALL GOOD: 0 failed \\u202etxt.exe';
// eslint-disable-next-line no-control-regex -- what must not reach the terminal
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('file names with control characters in human output', () => {
  it('once and status show them escaped; status --json keeps them exact', async () => {
    fx = await createSyncFixture([{ name: 'main' }], { max_attempts: 1 });
    writeFileSync(join(fx.folder('main'), NAME), 'x');
    fx.emu.emulator.faults.add({
      match: { operation: 'PutObject' },
      times: Infinity,
      action: { type: 'error', status: 500, code: 'InternalError' },
    });

    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code).toBe(1);
    const summary = once.stderr.join('');
    expect(summary).toContain(`  main/${SHOWN}: `);
    expect(summary).not.toMatch(RAW_CONTROL);
    expect(summary.split('\n').filter((line) => line.startsWith('ALL GOOD'))).toEqual([]);

    const status = fx.spawnCli(['status', '--config', fx.configPath]);
    expect((await status.exited).code).toBe(0);
    const text = status.stdout.join('');
    expect(text).toContain(`  main/${SHOWN}  after 1 attempt(s): `);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text.split('\n').filter((line) => line.startsWith('ALL GOOD'))).toEqual([]);

    const json = fx.spawnCli(['status', '--config', fx.configPath, '--json']);
    expect((await json.exited).code).toBe(0);
    const snapshot = JSON.parse(json.stdout.join('')) as { problems: Array<{ relPath: string }> };
    expect(snapshot.problems.map((p) => p.relPath)).toEqual([NAME]);

    // retry echoes a PATH it cannot place
    const retry = fx.spawnCli(['retry', '--config', fx.configPath, `/elsewhere/${NAME}`]);
    expect((await retry.exited).code).toBe(2);
    expect(retry.stderr.join('\n')).toContain(`oss-sync retry: /elsewhere/${SHOWN} is not inside any configured folder`);
    expect(retry.stderr.join('\n')).not.toMatch(RAW_CONTROL);
  });
});

describe('object keys with control characters in restore and verify output', () => {
  it('restore and verify show them escaped; restore --json keeps them exact', async () => {
    fx = await createSyncFixture([{ name: 'main' }]);
    writeFileSync(join(fx.folder('main'), NAME), 'x');
    const once = fx.spawnCli(['once', '--config', fx.configPath]);
    expect((await once.exited).code, once.stderr.join('')).toBe(0);
    // Not uploaded yet: verify names it as pending.
    writeFileSync(join(fx.folder('main'), `${NAME}.2`), 'y');

    const to = join(fx.folder('main'), '..', 'restore-to');
    const restore = fx.spawnCli(['restore', '--config', fx.configPath, '--folder', 'main', '--to', to, '--dry-run']);
    expect((await restore.exited).code).toBe(0);
    const text = restore.stdout.join('');
    expect(text).toContain(`main/${SHOWN} -> `);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text.split('\n').filter((line) => line.startsWith('ALL GOOD'))).toEqual([]);

    const json = fx.spawnCli(['restore', '--config', fx.configPath, '--folder', 'main', '--to', to, '--dry-run', '--json']);
    expect((await json.exited).code).toBe(0);
    expect((JSON.parse(json.stdout.join('')) as { entries: Array<{ key: string }> }).entries.map((e) => e.key)).toEqual([`main/${NAME}`]);

    const verify = fx.spawnCli(['verify', '--config', fx.configPath]);
    await verify.exited;
    const report = verify.stdout.join('');
    expect(report).toContain(`${SHOWN}.2`);
    expect(report).not.toMatch(RAW_CONTROL);
    expect(report.split('\n').filter((line) => line.startsWith('ALL GOOD'))).toEqual([]);
  });
});
