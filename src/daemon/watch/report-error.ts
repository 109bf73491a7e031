/** Emits 'error' when someone listens; otherwise a process warning (an unheard 'error' would throw). */
interface ErrorEmitter {
  listenerCount(event: 'error'): number;
  emit(event: 'error', error: Error): boolean;
}

export function reportError(emitter: ErrorEmitter, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
  else process.emitWarning(error);
}
