/** Include/exclude/ignore glob lists: picomatch syntax, relative to the watched folder. */
import picomatch from 'picomatch';
import { InvalidValue } from './config-error.js';
import type { SectionReader } from './section-reader.js';

function checkGlob(glob: string): void {
  if (glob.startsWith('/')) throw new InvalidValue(`glob "${glob}" is absolute; globs are relative to the folder`);
  if (glob.split('/').includes('..')) throw new InvalidValue(`glob "${glob}" leaves the folder with ".."`);
  try {
    picomatch.makeRe(glob, { strictBrackets: true });
  } catch (error) {
    throw new InvalidValue(`glob "${glob}" is not valid: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The list at key, each entry checked; [] when absent. */
export function readGlobs(section: SectionReader, key: string): string[] {
  const globs = section.stringList(key) ?? [];
  return (
    section.parsed(key, () => {
      globs.forEach(checkGlob);
      return globs;
    }) ?? []
  );
}
