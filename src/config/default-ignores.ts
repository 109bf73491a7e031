/** Editor and download leftovers that are never worth backing up; applied to every folder. */
export const DEFAULT_IGNORES: readonly string[] = Object.freeze(['*.tmp', '*.part', '*.swp', '~*', '.#*']);
