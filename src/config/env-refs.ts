/**
 * `${VAR}` (unset or empty is an error) and `${VAR:-default}` references in string values, so secrets can live in the
 * environment instead of the file. `$$` writes a literal `$`.
 */
import { InvalidValue } from './config-error.js';

const REFERENCE = /\$\$|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `${NAME}` reference of the config and the value it took from the environment. */
export interface EnvRef {
  name: string;
  value: string;
}

/**
 * The values `${VAR}` references in text take from the environment, longest first: what an error
 * message about the expanded text must not repeat (a secret's reference may sit under the wrong key).
 */
export function envRefsIn(text: string, env: NodeJS.ProcessEnv): EnvRef[] {
  const refs = new Map<string, EnvRef>();
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
    const name = match[1]!;
    const value = env[name];
    if (value !== undefined && value !== '' && !refs.has(value)) refs.set(value, { name, value });
  }
  return [...refs.values()].sort((a, b) => b.value.length - a.value.length);
}

/**
 * The one redaction every config message built from resolved values passes through: each value
 * taken from the environment (whole, or cut to 8 characters or more, as describeValue() cuts long
 * values and a unit follows digits) is shown as `${NAME}`; values shorter than minLength stay (IssueSink).
 */
export function hideEnvValues(message: string, refs: readonly EnvRef[], minLength = 1): string {
  let out = message;
  for (const { name, value } of refs) {
    if (value.length < minLength) continue;
    const shown = `\${${name}}`;
    out = out.split(value).join(shown);
    for (let cut = value.length - 1; cut >= 8; cut--) out = out.split(value.slice(0, cut)).join(shown).split(value.slice(-cut)).join(shown);
  }
  return out;
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
