import { PermanentError } from './errors.js';

/** OSS limits: part numbers 1..10,000; every part but the last at least 100 KiB, at most 5 GiB. */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 100 * 1024;
const MAX_PART_SIZE = 5 * 1024 ** 3;
const MiB = 1024 * 1024;

export interface PlannedPart {
  partNumber: number;
  /** Byte offset in the file. */
  start: number;
  size: number;
}

/**
 * The part size to use for a file: the requested one, raised to at least 100 KiB and, when the file
 * would need more than 10,000 parts, to the next whole MiB that fits it in 10,000.
 */
export function choosePartSize(fileSize: number, requested: number): number {
  let partSize = Math.max(Math.floor(requested), MIN_PART_SIZE);
  if (Math.ceil(fileSize / partSize) > MAX_PARTS) partSize = Math.ceil(fileSize / MAX_PARTS / MiB) * MiB;
  if (partSize > MAX_PART_SIZE) {
    throw new PermanentError(`a file of ${fileSize} bytes does not fit in ${MAX_PARTS} parts of at most 5 GiB`);
  }
  return partSize;
}

/** The parts of a file of fileSize bytes cut at partSize (the last one may be shorter). */
export function planParts(fileSize: number, partSize: number): PlannedPart[] {
  const parts: PlannedPart[] = [];
  for (let start = 0, partNumber = 1; start < fileSize; start += partSize, partNumber++) {
    parts.push({ partNumber, start, size: Math.min(partSize, fileSize - start) });
  }
  return parts;
}
