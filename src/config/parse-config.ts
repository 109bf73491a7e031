/** Turns config text into a validated Config, or throws one ConfigError listing every problem. */
import { constants as bufferConstants } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, describeValue, InvalidValue } from './config-error.js';
import { checkCronExpression } from './cron-schedule.js';
import { envRefsIn } from './env-refs.js';
import { assignFolderNames, checkFolderOverlaps, checkPartsFitMemory, warnAboutStateDb } from './folder-checks.js';
import { PART_SIZE_LIMITS, readFolder, readGlobs } from './folder-section.js';
import type { FolderDefaults, ReadFolder } from './folder-section.js';
import { IssueSink } from './issue-sink.js';
import { TEMP_FILE_GLOBS } from '../lib/path-globs.js';
import { readHttpSection, readNotifySection } from './observe-section.js';
import { readOssSection } from './oss-section.js';
import { defaultStateDbPath, resolveConfigPath } from './paths.js';
import { SectionReader } from './section-reader.js';
import { readTimetable } from './timetable-section.js';
import { LOG_LEVELS, WATCHERS } from './types.js';
import type { Config, OssConfig } from './types.js';
import { readYamlSource } from './yaml-source.js';
import { parseSample, type Sample } from '../lib/sample.js';

export const DEFAULTS = {
  logLevel: 'info',
  concurrency: { files: 4, smallFiles: 128, partsPerFile: 8, memoryBytes: 256 * 2 ** 20 },
  partSize: 8 * 2 ** 20,
  multipartThreshold: 8 * 2 ** 20,
  settleMs: 2000,
  rescanIntervalMs: 30_000,
  reconcileSchedule: '0 * * * *',
  cleanupSchedule: '30 3 * * *',
  cleanupOlderThanMs: 7 * 86_400_000,
  verifySample: { percent: 1 } as Sample,
  watcher: 'auto',
  maxAttempts: 10,
  shutdownGraceMs: 10_000,
} as const;

/** Values of reconcile_schedule that mean "reconcile at start-up only". */
const SCHEDULE_OFF = new Set<unknown>([false, 'off', 'never']);

function readSchedule(
  root: SectionReader,
  key: 'reconcile_schedule' | 'cleanup_schedule' | 'verify_schedule',
  fallback: string | null,
): string | null {
  const raw = root.raw(key);
  if (raw === undefined) return fallback;
  if (raw === null) return null;
  const schedule = root.parsed(key, (value) => (SCHEDULE_OFF.has(value) ? null : checkCronExpression(value)));
  return schedule === undefined ? fallback : schedule;
}

/** The share of files a scheduled verify checks by CRC-64 (default 1%); 'off': the listing only. */
function readVerifySample(root: SectionReader): Sample | null {
  const sample = root.parsed('verify_sample', (value) => {
    if (SCHEDULE_OFF.has(value)) return null;
    const parsed = parseSample(String(value));
    if (!parsed) throw new InvalidValue(`expected a number of files (100), a percentage (1%) or off, got ${describeValue(value)}`);
    return parsed;
  });
  return sample === undefined ? DEFAULTS.verifySample : sample;
}

/** Younger uploads may be starting right now (Initiate answered, the ID not yet recorded); `cleanup --older-than` keeps it too. */
export const CLEANUP_MIN_AGE_MS = 3_600_000;

function readStateDb(root: SectionReader, baseDir: string): string {
  const explicit = root.string('state_db');
  if (explicit !== undefined) return resolveConfigPath(explicit, baseDir, root.env);
  const fallback = defaultStateDbPath(root.env, process.getuid?.());
  if (fallback !== undefined) return fallback;
  root.sink.atKey('state_db', 'missing: no default location (HOME and XDG_STATE_HOME are unset); set state_db');
  return '';
}

function readFolders(root: SectionReader, defaults: FolderDefaults): ReadFolder[] {
  if (!root.has('folders')) {
    root.sink.atKey('folders', 'missing: list at least one folder to watch under folders:');
    return [];
  }
  const folders = root.list('folders', 'expected a list of at least one folder (each with path and bucket)');
  return folders.map((folder) => readFolder(folder, defaults));
}

function readConcurrency(root: SectionReader): Config['concurrency'] {
  const section = root.section('concurrency');
  const concurrency = {
    files: section?.integer('files', 1, 256) ?? DEFAULTS.concurrency.files,
    smallFiles: section?.integer('small_files', 1, 1024) ?? DEFAULTS.concurrency.smallFiles,
    partsPerFile: section?.integer('parts_per_file', 1, 64) ?? DEFAULTS.concurrency.partsPerFile,
    memoryBytes: section?.size('memory', { min: PART_SIZE_LIMITS.min }) ?? DEFAULTS.concurrency.memoryBytes,
  };
  section?.reportUnknownKeys();
  return concurrency;
}

function buildConfig(root: SectionReader, sourcePath: string, options: ParseOptions): Config {
  const baseDir = dirname(sourcePath);
  const ossSection = root.section('oss');
  if (!root.has('oss')) root.sink.atKey('oss', 'missing: the oss: section (endpoint and credentials)');
  const oss = ossSection ? readOssSection(ossSection, baseDir) : {};
  const partSize = root.size('part_size', PART_SIZE_LIMITS) ?? DEFAULTS.partSize;
  const watcher = root.oneOf('watcher', WATCHERS) ?? DEFAULTS.watcher;
  const stateDb = readStateDb(root, baseDir);
  const config: Config = {
    sourcePath,
    oss: oss as OssConfig,
    stateDb,
    logLevel: root.oneOf('log_level', LOG_LEVELS) ?? DEFAULTS.logLevel,
    concurrency: readConcurrency(root),
    partSize,
    // Below it a file goes up in one PutObject from one buffer: at most OSS's 5 GiB and Node's buffer limit.
    multipartThreshold:
      root.size('multipart_threshold', { min: PART_SIZE_LIMITS.min, max: Math.min(PART_SIZE_LIMITS.max, bufferConstants.MAX_LENGTH) }) ??
      DEFAULTS.multipartThreshold,
    settleMs: root.duration('settle_time') ?? DEFAULTS.settleMs,
    rescanIntervalMs: root.duration('rescan_interval') ?? DEFAULTS.rescanIntervalMs,
    reconcileSchedule: readSchedule(root, 'reconcile_schedule', DEFAULTS.reconcileSchedule),
    cleanupSchedule: readSchedule(root, 'cleanup_schedule', DEFAULTS.cleanupSchedule),
    verifySchedule: readSchedule(root, 'verify_schedule', null),
    verifySample: readVerifySample(root),
    cleanupOlderThanMs: root.duration('cleanup_older_than', { min: CLEANUP_MIN_AGE_MS }) ?? DEFAULTS.cleanupOlderThanMs,
    watcher,
    maxAttempts: root.integer('max_attempts', 1, 1000) ?? DEFAULTS.maxAttempts,
    shutdownGraceMs: root.duration('shutdown_grace') ?? DEFAULTS.shutdownGraceMs,
    ignore: [...TEMP_FILE_GLOBS, ...readGlobs(root, 'ignore')],
    folders: [],
    http: readHttpSection(root, baseDir),
    notify: readNotifySection(root),
    timetable: readTimetable(root),
    warnings: root.sink.warnings,
  };
  const checkFolders = options.purpose !== 'inspect';
  const folders = readFolders(root, { partSize, watcher, baseDir, checkFolders, mayBeMissing: options.mayBeMissing });
  root.reportUnknownKeys();
  config.folders = assignFolderNames(folders, root.sink);
  checkFolderOverlaps(folders, root.sink);
  checkPartsFitMemory(folders, config.concurrency.memoryBytes, root.has('part_size'), root.sink);
  if (stateDb !== '') warnAboutStateDb(stateDb, config.folders, root.sink);
  return config;
}

/**
 * purpose 'inspect' is for commands that only read the state database (`status`, `retry`): an
 * operator's shell may lack the daemon's credential variables, and a folder may be unmounted.
 * Problems in the oss: section are ignored and folder paths need not exist; the rest is validated.
 */
export interface ParseOptions {
  purpose?: 'run' | 'inspect';
  /**
   * Folder paths that may be missing without an error: a reload passes the running folders', since
   * a watched directory that vanished (an unmounted disk) pauses its folder and must not block a
   * reload. At start a missing directory is an error, so that a typo is caught.
   */
  mayBeMissing?: ReadonlySet<string>;
}

export function parseConfig(text: string, sourcePath: string, env: NodeJS.ProcessEnv = process.env, options: ParseOptions = {}): Config {
  const file = resolve(sourcePath);
  const source = readYamlSource(text, file);
  const sink = new IssueSink(source, envRefsIn(text, env));
  if (source.syntaxIssues.length > 0) throw new ConfigError(sink.issues);
  const root = SectionReader.open(source.data, '', sink, env);
  const config = root && buildConfig(root, file, options);
  const issues = sink.sortedIssues().filter((i) => options.purpose !== 'inspect' || !/^oss(\.|$)/.test(i.keyPath));
  if (!config || issues.length > 0) throw new ConfigError(issues);
  return config;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env, options: ParseOptions = {}): Config {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'config file not found' : `cannot read config file (${String(error)})`;
    throw new ConfigError([{ file, keyPath: '', message: reason }]);
  }
  return parseConfig(text, file, env, options);
}
