/**
 * Returns a function that runs `run` on the next turn of the event loop, once however often it was
 * called before then: work asked for many times in one tick (a burst of events) is done in one go.
 * A call made while `run` runs (or after) schedules the next turn's run.
 */
export function coalesce(run: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false; // before run(): what run() asks for is one more turn, not lost
      run();
    });
  };
}
