/** Every folder's parts must fit the memory budget (concurrency.memory). */
import type { ReadFolder } from './folder-section.js';
import type { IssueSink } from './issue-sink.js';
import { formatSize } from './units.js';

/**
 * Parts one upload holds in memory at the least: it waits for this many buffers from the budget
 * before it reads a part (see the uploader's MemoryBudget), so they must fit it, or it waits forever.
 */
export const MIN_PARTS_IN_FLIGHT = 1;

/**
 * Reports each folder whose part size times MIN_PARTS_IN_FLIGHT exceeds the budget, at the part_size
 * that gave the folder its size: its own, else the global one, else (the default part size) at
 * concurrency.memory.
 */
export function checkPartsFitMemory(
  folders: readonly ReadFolder[],
  memoryBytes: number,
  globalPartSizeSet: boolean,
  sink: IssueSink,
): void {
  let reportedGlobal = false;
  for (const folder of folders) {
    const need = folder.config.partSize * MIN_PARTS_IN_FLIGHT;
    if (need <= memoryBytes) continue;
    const at = folder.partSizeSet ? `${folder.keyPath}.part_size` : globalPartSizeSet ? 'part_size' : 'concurrency.memory';
    if (!folder.partSizeSet) {
      if (reportedGlobal) continue; // one report for every folder using the global size
      reportedGlobal = true;
    }
    sink.atValue(
      at,
      `parts of ${formatSize(folder.config.partSize)} (${folder.keyPath}) do not fit concurrency.memory of ${formatSize(memoryBytes)}: ` +
        `every upload holds at least ${MIN_PARTS_IN_FLIGHT} part in memory; raise concurrency.memory or lower part_size`,
    );
  }
}
