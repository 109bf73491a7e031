import { afterAll, describe, expect, it } from 'vitest';
import { planReload } from '../../src/daemon/reload-plan.js';
import { configWorkspace, OSS_LINES } from '../config/config-fixture.js';

describe('planReload', () => {
  const ws = configWorkspace({ 'photos/a.jpg': 'a', 'dumps/b.sql': 'b', 'music/c.mp3': 'c' });
  afterAll(() => ws.remove());
  const folder = (name: string, prefix = `${name}/`): string[] => [`  - path: ${name}`, '    bucket: backups', `    prefix: ${prefix}`];
  const load = (folders: string[][], extra: string[] = []): ReturnType<typeof ws.load> =>
    ws.load([...OSS_LINES, ...extra, 'folders:', ...folders.flat()]);

  it('the same config: nothing to remove, restart, add or rebuild', () => {
    const config = load([folder('photos'), folder('dumps')]);
    expect(planReload(config, load([folder('photos'), folder('dumps')]))).toEqual({
      remove: [],
      restart: [],
      add: [],
      rebuildTransfer: false,
      reschedule: false,
      timetableChanged: false,
    });
  });

  it('removes a folder gone from the config, restarts a changed one, adds a new one, in config order', () => {
    const previous = load([folder('photos'), folder('dumps')]);
    const next = load([folder('music'), folder('photos', 'pictures/')]);
    const plan = planReload(previous, next);
    expect(plan.remove).toEqual(['dumps']);
    expect(plan.restart.map((f) => [f.name, f.prefix])).toEqual([['photos', 'pictures/']]);
    expect(plan.add.map((f) => f.name)).toEqual(['music']);
    expect(plan.rebuildTransfer).toBe(false);
  });

  it('a global setting every folder is built with (settle time, ignore list) restarts them all', () => {
    const previous = load([folder('photos'), folder('dumps')]);
    for (const extra of [['settle_time: 5s'], ['ignore: ["*.bak"]'], ['rescan_interval: 5m']]) {
      const plan = planReload(previous, load([folder('photos'), folder('dumps')], extra));
      expect(
        plan.restart.map((f) => f.name),
        extra[0],
      ).toEqual(['photos', 'dumps']);
      expect([plan.remove, plan.add], extra[0]).toEqual([[], []]);
    }
  });

  it('rebuilds the transfer stack when a setting it is built from changes, not for other settings', () => {
    const previous = load([folder('photos')]);
    for (const extra of [['concurrency:', '  files: 2'], ['part_size: 16MiB'], ['max_attempts: 3'], ['multipart_threshold: 32MiB']])
      expect(planReload(previous, load([folder('photos')], extra)).rebuildTransfer, extra.join(' ')).toBe(true);
    const relogged = planReload(previous, load([folder('photos')], ['log_level: debug', 'reconcile_schedule: "0 3 * * *"']));
    expect(relogged.rebuildTransfer).toBe(false);
    expect(relogged.reschedule).toBe(true);
  });

  it('a renewing credentials provider is rebuilt at every reload: SIGHUP makes it fetch anew', () => {
    const lines = [
      'oss:',
      '  endpoint: http://127.0.0.1:9000',
      '  credentials:',
      '    provider: credentials_uri',
      '    uri: http://127.0.0.1:1/credentials',
    ];
    const config = ws.load([...lines, 'folders:', ...folder('photos')]);
    expect(planReload(config, config).rebuildTransfer).toBe(true);
  });

  it('a changed timetable is applied again', () => {
    const previous = load([folder('photos')]);
    const next = load([folder('photos')], ['timetable:', '  entries:', '    - at: "0 9 * * *"', '      uploads: closed']);
    expect(planReload(previous, next).timetableChanged).toBe(true);
  });
});
