/** The bytes written do not have the object's CRC-64: the temporary file is never renamed into place. */
export class RestoreIntegrityError extends Error {
  override readonly name = 'RestoreIntegrityError';
}

/** An Archive/ColdArchive object that OSS will not serve until it is restored there (RestoreObject). */
export class ObjectNeedsRestoreError extends Error {
  override readonly name = 'ObjectNeedsRestoreError';
  constructor(key: string) {
    super(
      `oss://${key} is in an archive storage class and must be restored on OSS first ` +
        `(--request-restore asks for it, --wait also waits; or the console, ossutil restore); run this again once it is readable`,
    );
  }
}

/** Writing here would leave the restore directory (a symlinked directory on the way). */
export class UnsafeTargetError extends Error {
  override readonly name = 'UnsafeTargetError';
}
