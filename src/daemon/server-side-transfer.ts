import type { FolderConfig } from '../config/index.js';
import type { FileRow, StateStore } from '../store/index.js';
import type { ObjectStorage } from '../uploader/index.js';
import { Adoption } from './adoption.js';
import { renameMemoryMs } from './delete-guard.js';
import type { Logger } from './logger.js';
import { RenameDetector } from './rename-detector.js';
import type { VerifiedBatch } from './verified-batch.js';

export interface ServerSideTransferOptions {
  store: StateStore;
  storage: ObjectStorage;
  logger: Logger;
  verified: VerifiedBatch;
  settleMs: number;
}

/**
 * A file OSS may already hold without an upload from us: at its own key (adoption), or at the key of
 * a file that vanished with its identity (a rename or move: a server-side copy). Asked by the
 * worker before it uploads a file with no verified object recorded.
 */
export class ServerSideTransfer {
  private readonly adoption: Adoption;
  private readonly renames: RenameDetector;

  constructor(o: ServerSideTransferOptions) {
    this.adoption = new Adoption(o);
    this.renames = new RenameDetector({ ...o, windowMs: () => renameMemoryMs(o.settleMs) });
  }

  /** Before a folder's start-up walk: one listing of its prefix when the store knows none of its files. */
  listFolder(folder: FolderConfig): Promise<void> {
    return this.adoption.listFolder(folder);
  }

  /** True when the row was recorded as verified without an upload. */
  async run(row: FileRow, folder: FolderConfig): Promise<boolean> {
    return (await this.adoption.tryAdopt(row, folder)) || this.renames.tryCopy(row, folder);
  }
}
