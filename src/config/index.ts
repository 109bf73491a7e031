/** Public surface of the configuration module. */
export { loadConfig, parseConfig, DEFAULTS } from './parse-config.js';
export type { ParseOptions } from './parse-config.js';
export { ConfigError, formatIssue } from './config-error.js';
export type { ConfigIssue } from './config-error.js';
export { redactedConfig, REDACTED } from './redact.js';
export { defaultStateDbPath } from './state-db-path.js';
export { canonicalPath } from './paths.js';
export { parseSize, parseDuration } from './units.js';
export { observeSecrets } from './observe-section.js';
export { DELETE_POLICIES, LOG_LEVELS, STORAGE_CLASSES, WATCHERS } from './types.js';
export type {
  Config,
  CutoffMode,
  DeletePolicy,
  FolderConfig,
  HttpConfig,
  ListenAddress,
  LogLevel,
  NotifyConfig,
  OssConfig,
  StorageClass,
  TimetableConfig,
  TimetableEntry,
  WatcherKind,
} from './types.js';
