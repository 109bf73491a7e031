/** Public surface of the configuration module. */
export { CLEANUP_MIN_AGE_MS, DEFAULTS, loadConfig, parseConfig } from './parse-config.js';
export { ConfigError, formatIssue } from './config-error.js';
export { canonicalPath, defaultStateDbPath, isInsideOrSame } from './paths.js';
export { parseSize, parseDuration } from './units.js';
export { checkBucket, normaliseKeyPrefix } from './oss-names.js';
export { observeSecrets } from './observe-section.js';
export type { Config, FolderConfig, HttpConfig, OssConfig, TimetableConfig, TimetableEntry } from './types.js';
