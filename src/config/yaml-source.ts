/**
 * Parses YAML text and remembers where every key and value sits, so validation can work on plain
 * values and still point users at `file:line:col`.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import type { ConfigIssue } from './config-error.js';

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  file: string;
  /** The document as plain JS values (maps become objects, sequences arrays). */
  data: unknown;
  /** Syntax errors (bad indentation, duplicate keys...). */
  syntaxIssues: ConfigIssue[];
  /** Where the value at keyPath starts (falls back to its key, then to the nearest located parent). */
  valuePosition(keyPath: string): Position | undefined;
  /** Where the key of keyPath is written (falls back like valuePosition). */
  keyPosition(keyPath: string): Position | undefined;
}

export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function parentPath(keyPath: string): string | undefined {
  if (keyPath === '') return undefined;
  const cut = Math.max(keyPath.lastIndexOf('.'), keyPath.lastIndexOf('['));
  return cut <= 0 ? '' : keyPath.slice(0, cut);
}

export function readYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const keys = new Map<string, Position>();
  const values = new Map<string, Position>();

  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object' || !('range' in node)) return;
    const range = (node as Node).range;
    // An empty value (`key:` with nothing after it) has a zero-width range: the key is the better spot.
    if (range && !(isScalar(node) && node.value === null && range[0] === range[1])) values.set(path, at(range[0]));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const keyPath = childPath(path, String(pair.key.value));
        if (pair.key.range) keys.set(keyPath, at(pair.key.range[0]));
        walk(pair.value, keyPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => walk(item, childPath(path, index)));
    }
  };
  walk(doc.contents, '');

  const lookup = (first: Map<string, Position>, second: Map<string, Position>, keyPath: string): Position | undefined => {
    for (let path: string | undefined = keyPath; path !== undefined; path = parentPath(path)) {
      const found = first.get(path) ?? second.get(path);
      if (found) return found;
    }
    return undefined;
  };

  const syntaxIssues: ConfigIssue[] = [...doc.errors].map((error) => ({
    file,
    ...at(error.pos[0]),
    keyPath: '',
    message: `YAML syntax: ${error.message.split('\n')[0] ?? error.message}`,
  }));

  let data: unknown;
  try {
    if (syntaxIssues.length === 0) data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias bomb: too many alias expansions.
    const message = `YAML: ${error instanceof Error ? error.message : String(error)}`;
    syntaxIssues.push({ file, line: 1, column: 1, keyPath: '', message });
  }

  return {
    file,
    data,
    syntaxIssues,
    valuePosition: (keyPath) => lookup(values, keys, keyPath),
    keyPosition: (keyPath) => lookup(keys, values, keyPath),
  };
}
