import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ONE_FOLDER, OSS_LINES, configWorkspace } from './config-fixture.js';
import type { ConfigWorkspace } from './config-fixture.js';

describe('timetable config section', () => {
  let ws: ConfigWorkspace;
  beforeEach(() => {
    ws = configWorkspace();
  });
  afterEach(() => ws.remove());

  const at = (line: number, column: number, rest: string): string => `${ws.root}/config.yaml:${line}:${column}: ${rest}`;

  it('is null without a timetable: section', () => {
    expect(ws.load([...OSS_LINES, ...ONE_FOLDER]).timetable).toBeNull();
  });

  it('reads time zone, cutoff and entries with bandwidths and windows', () => {
    const config = ws.load([
      ...OSS_LINES,
      ...ONE_FOLDER,
      'timetable:',
      '  time_zone: Europe/Berlin',
      '  cutoff: hard',
      '  oss_traffic_limit: true',
      '  entries:',
      '    - { at: "0 9 * * 1-5", bandwidth: 2MiB }',
      '    - { at: "0 18 * * 1-5", bandwidth: unlimited }',
      '    - { at: "0 1 * * *", uploads: closed, bandwidth: 512KiB/s }',
      '    - { at: "0 5 * * *", uploads: open }',
    ]);
    expect(config.timetable).toEqual({
      timeZone: 'Europe/Berlin',
      cutoff: 'hard',
      ossTrafficLimit: true,
      entries: [
        { at: '0 9 * * 1-5', bandwidth: 2 * 2 ** 20 },
        { at: '0 18 * * 1-5', bandwidth: null },
        { at: '0 1 * * *', uploads: 'closed', bandwidth: 512 * 1024 },
        { at: '0 5 * * *', uploads: 'open' },
      ],
    });
  });

  it('defaults to the machine time zone and a soft cutoff', () => {
    const config = ws.load([...OSS_LINES, ...ONE_FOLDER, 'timetable:', '  entries:', '    - at: "0 1 * * *"', '      uploads: closed']);
    expect(config.timetable).toMatchObject({ timeZone: undefined, cutoff: 'soft', ossTrafficLimit: false });
  });

  it('reports a bad cron expression, time zone, bandwidth and entry at their place', () => {
    const error = ws.fail([
      ...OSS_LINES,
      ...ONE_FOLDER,
      'timetable:',
      '  time_zone: Mars/Olympus',
      '  cutoff: abrupt',
      '  entries:',
      '    - at: "0 25 * * *"',
      '      uploads: closed',
      '    - at: "0 0 9 * * *"',
      '      bandwidth: 2 lots',
      '    - at: "0 5 * * *"',
      '      uplods: open',
    ]);
    expect(error.message).toContain(at(10, 14, 'timetable.time_zone: unknown time zone "Mars/Olympus"'));
    expect(error.message).toContain(at(11, 11, 'timetable.cutoff: expected one of soft, hard, got "abrupt"'));
    expect(error.message).toContain(at(13, 11, 'timetable.entries[0].at: cron expression "0 25 * * *": bad hour field "25"'));
    expect(error.message).toContain(at(15, 11, 'timetable.entries[1].at: cron expression "0 0 9 * * *" has a seconds field'));
    expect(error.message).toContain(at(16, 18, 'timetable.entries[1].bandwidth: expected bytes per second like 2MiB'));
    expect(error.message).toContain('timetable.entries[2]: an entry sets uploads (open or closed), bandwidth, or both');
    expect(error.message).toContain(at(18, 7, 'timetable.entries[2].uplods: unknown key (did you mean "uploads"?)'));
  });

  it('refuses a bandwidth too low to be meant and an empty entry list', () => {
    const low = ws.fail([...OSS_LINES, ...ONE_FOLDER, 'timetable:', '  entries:', '    - { at: "0 9 * * *", bandwidth: 2KiB }']);
    expect(low.message).toContain('timetable.entries[0].bandwidth: "2KiB" is below the minimum of 16KiB per second');
    const empty = ws.fail([...OSS_LINES, ...ONE_FOLDER, 'timetable:', '  cutoff: soft']);
    expect(empty.message).toContain('timetable.entries: expected a list of entries');
  });
});
