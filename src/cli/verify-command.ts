import { verifyFolders } from '../daemon/verify/verify-all.js';
import { MISMATCH_KINDS, type FindingKind, type FolderVerification } from '../daemon/verify/verify-folder.js';
import { parseSample } from '../lib/sample.js';
import { terminalSafe as safe } from '../lib/terminal-text.js';
import { withStoreAndStorage } from './command-logger.js';
import { findFolder, loadInspectConfig, parseCommandArgs, UsageError } from './args.js';

const VERIFY_HELP = `usage: oss-sync verify [--config FILE] [--folder NAME] [--checksum] [--deep] [--sample N|P%] [--json] [--requeue]

Checks that the bucket holds what the state database says was uploaded, against the local tree:
one listing per folder prefix (1,000 keys a request), no request per object.
  LOST           recorded as uploaded, the object is gone
  DIFFERENT      the object's size or ETag is not what was uploaded
  pending        a local file not uploaded yet (new, changed, queued or failed)
  remote-only    an object with no local file (normal in a keep folder)
  --checksum     also read every uploaded file and compare its CRC-64 with the object's
                 (HEAD, in parallel): REPLACED (the object's content changed) and LOCAL-DIFFERS
                 (the file's content changed under the same size and mtime: bit rot?)
  --deep         read the objects back and check their bytes by CRC-64 as they stream: DAMAGED
  --sample N|P%  with --checksum or --deep: check N files (or P% of them) at random, not all
  --requeue      queue LOST, DIFFERENT, REPLACED, DAMAGED and locally changed files for upload (safe while
                 the daemon runs, which picks them up within seconds); LOCAL-DIFFERS is never
                 requeued, as that would overwrite the good copy on OSS
  --json         one JSON document for scripts
Exit codes: 0 all well, 1 a mismatch (or a folder could not be checked), 2 bad usage or configuration.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, VERIFY_HELP, {
    folder: { type: 'string' },
    checksum: { type: 'boolean' },
    deep: { type: 'boolean' },
    sample: { type: 'string' },
    requeue: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!args) return 0;
  const { values } = args;
  const sample = values.sample === undefined ? undefined : parseSample(values.sample);
  if (values.sample !== undefined && !sample)
    throw new UsageError(`--sample: expected a number of files (100) or a percentage (1%, 0.5%), got '${values.sample}'`);
  if (sample && !values.checksum && !values.deep)
    throw new UsageError('--sample applies to --checksum or --deep (the listing is always compared whole)');
  const config = loadInspectConfig(values.config);
  const folders = values.folder !== undefined ? [findFolder(config.folders, values.folder)] : config.folders;
  const options = { checksum: values.checksum === true, deep: values.deep === true, sample, requeue: values.requeue === true };
  const verified = await withStoreAndStorage(config, (store, { storage }) => verifyFolders(config, folders, { store, storage }, options));
  const { ok, mismatches, folders: results, errors } = verified;
  if (values.json) process.stdout.write(`${JSON.stringify({ ok, mismatches, folders: results, errors }, null, 2)}\n`);
  else process.stdout.write(formatReport(results, errors, values.checksum === true || values.deep === true));
  return ok ? 0 : 1;
}

/** Every kind, in the order the summary line counts them; a mismatch is shown in capitals. */
const KINDS: readonly FindingKind[] = ['lost', 'different', 'replaced', 'damaged', 'local-differs', 'pending', 'remote-only'];
const label = (kind: FindingKind): string => (MISMATCH_KINDS.has(kind) ? kind.toUpperCase() : kind);

function formatReport(results: FolderVerification[], errors: Array<{ folder: string; error: string }>, checksum: boolean): string {
  const lines: string[] = [];
  for (const r of results) {
    const count = (k: FindingKind) => r.findings.filter((f) => f.kind === k).length;
    const parts = KINDS.filter((k) => count(k) > 0).map((k) => `${count(k)} ${label(k)}`);
    const checked = checksum ? `, ${r.checksummed} checked by CRC-64` : '';
    const versions = r.versions ? `, ${r.versions.noncurrent} noncurrent version(s), ${r.versions.deleteMarkers} delete marker(s)` : '';
    lines.push(
      `${r.folder} (oss://${r.bucket}/${r.prefix}): ${r.objects} object(s)${versions}, ${r.localFiles} local file(s): ${r.ok} ok${checked}${parts.length ? `, ${parts.join(', ')}` : ''}`,
    );
    // Names and errors are written by others: shown escaped (terminal-text.ts); --json keeps them exact.
    for (const f of r.findings) lines.push(`  ${label(f.kind).padEnd(13)} ${safe(f.relPath)}: ${safe(f.detail)}`);
    for (const e of r.walkErrors) lines.push(`  unreadable    ${safe(e)}`);
    if (r.requeued !== undefined) lines.push(`  ${r.requeued} file(s) queued again for upload`);
  }
  for (const e of errors) lines.push(`${e.folder}: NOT CHECKED: ${safe(e.error)}`);
  const mismatches = results.reduce((n, r) => n + r.findings.filter((f) => MISMATCH_KINDS.has(f.kind)).length, 0);
  lines.push(
    mismatches === 0 && errors.length === 0
      ? 'verify: all well'
      : `verify: ${mismatches} mismatch(es)${errors.length ? `, ${errors.length} folder(s) not checked` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}
