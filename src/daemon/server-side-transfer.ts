import type { FolderConfig } from '../config/index.js';
import type { FileRow, Observation, StateStore } from '../store/index.js';
import type { ObjectStorage } from '../uploader/index.js';
import { Adoption } from './adoption.js';
import { renameMemoryMs } from './delete-guard.js';
import type { Logger } from '../lib/logger.js';
import { RenameDetector } from './rename-detector.js';

export interface ServerSideTransferOptions {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  settleMs: number;
}

/**
 * A file OSS may already hold without an upload from us: at its own key (adoption, at start-up), or
 * at the key of a file that vanished with its identity (a rename or move: a server-side copy, asked
 * by the worker before it uploads a file with no verified object recorded).
 */
export class ServerSideTransfer {
  private readonly adoption: Adoption;
  private readonly renames: RenameDetector;

  constructor(o: ServerSideTransferOptions) {
    this.adoption = new Adoption(o);
    this.renames = new RenameDetector({ ...o, windowMs: () => renameMemoryMs(o.settleMs) });
  }

  /** Before a folder's start-up walk: one listing of its prefix when the store knows none of its files. */
  listFolder(folder: FolderConfig): Promise<boolean> | undefined {
    return this.adoption.listFolder(folder);
  }

  /** During that walk: the batch's new files the listing holds are recorded; returns the others, to queue. */
  adoptWalked(folder: FolderConfig, walked: Observation[]): Promise<Observation[]> {
    return this.adoption.adoptWalked(folder, walked);
  }

  /** After that walk, before the folder's queue is worked on: what the listing holds is recorded, not uploaded. */
  adoptQueued(folder: FolderConfig): Promise<void> {
    return this.adoption.adoptQueued(folder);
  }

  /** True when the row was recorded as verified without an upload (a rename's server-side copy). */
  run(row: FileRow, folder: FolderConfig): Promise<boolean> {
    return this.renames.tryCopy(row, folder);
  }
}
