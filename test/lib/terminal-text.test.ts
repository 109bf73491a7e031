import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/lib/terminal-text.js';

describe('terminalSafe', () => {
  it('shows C0, DEL, C1 and bidi controls as visible escapes, and leaves other text alone', () => {
    expect(terminalSafe('a\x1b[2Jb\x1b]0;title\x07c')).toBe('a\\x1b[2Jb\\x1b]0;title\\x07c');
    expect(terminalSafe('line\nALL GOOD\r\t\x00\x7f')).toBe('line\\x0aALL GOOD\\x0d\\x09\\x00\\x7f');
    expect(terminalSafe('\u009b2J \u0085')).toBe('\\x9b2J \\x85');
    expect(terminalSafe('\u202atxt\u202e\u2066\u2067\u2068\u2069')).toBe('\\u202atxt\\u202e\\u2066\\u2067\\u2068\\u2069');
    expect(terminalSafe('photos/été 2024/日本 \\ ok.jpg ✓')).toBe('photos/été 2024/日本 \\ ok.jpg ✓');
  });
});
