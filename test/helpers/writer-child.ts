import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A writer (an appender, a rewriter) in a process of its own: a pause of the test's worker on a busy
 * machine must not look to the daemon like the file settling. At most one per test file at a time;
 * `stopWriter()` in afterEach kills it.
 */
let writer: ChildProcess | undefined;

/** Runs `script` (CommonJS, argv[1..] = args) until it exits by itself or stopWriter() kills it. */
export function startWriter(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
  writer = child;
  return once(child, 'exit').then(() => undefined);
}

export async function stopWriter(): Promise<void> {
  const child = writer;
  writer = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}
