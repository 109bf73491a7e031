/**
 * Text for a person's terminal. File names, error texts and config values are written by others:
 * a crafted file name could hold ESC sequences (clear the screen, set the window title), a newline
 * followed by a forged "all good" line, or a bidi override that shows a name backwards. Every human
 * output (status, the once summary, retry, restore, verify, cleanup, the terminal log format) passes its variable parts
 * through terminalSafe(); JSON output keeps the exact text (JSON escapes control characters itself).
 */

/**
 * C0 controls (tab, newline and CR included: inside one field they would split or overwrite a
 * line), DEL, C1 controls (U+0080-U+009F: U+009B is a one-character CSI) and the Unicode bidi
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** text with every unsafe character shown as a visible escape: ESC as \x1b, U+202E as \u202e. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
