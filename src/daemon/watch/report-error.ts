import type { EventEmitter } from 'node:events';

/** Emits 'error' when someone listens; otherwise a process warning (an unheard 'error' would throw). */
export function reportError(emitter: EventEmitter, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
  else process.emitWarning(error);
}
