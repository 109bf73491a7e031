/**
 * `${VAR}` (unset or empty is an error) and `${VAR:-default}` references in string values, so secrets can live in the
 * environment instead of the file. `$$` writes a literal `$`.
 */
import { InvalidValue } from './invalid-value.js';

const REFERENCE = /\$\$|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The values `${VAR}` references in text take from the environment, longest first: what an error
 * message about the expanded text must not repeat (a secret's reference may sit under the wrong key).
 */
export function envValuesIn(text: string, env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    const value = env[match[1]!];
    if (value !== undefined && value !== '') values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

export function expandEnvRefs(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(REFERENCE, (whole, body: string | undefined) => {
    if (whole === '$$') return '$';
    if (body === undefined) throw new InvalidValue('unterminated "${" (write $$ for a literal "$")');
    const cut = body.indexOf(':-');
    const name = cut === -1 ? body : body.slice(0, cut);
    if (!NAME.test(name)) throw new InvalidValue(`"\${${body}}" is not a valid environment variable reference`);
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (cut !== -1) return body.slice(cut + 2);
    throw new InvalidValue(`environment variable ${name} is not set or empty (set it, or write \${${name}:-default})`);
  });
}
