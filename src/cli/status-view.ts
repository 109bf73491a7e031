import { terminalSafe as safe } from '../lib/terminal-text.js';
import type { StatusSnapshot } from './status-snapshot.js';

/**
 * Renders a status snapshot for a person: a header, a table per folder, then what is moving or stuck.
 * Every text that comes from the database, a file name or an error passes through safe(): a crafted
 * file name must not drive the terminal (--json keeps the exact text).
 */
export function renderStatus(s: StatusSnapshot): string {
  const out: string[] = [];
  const d = s.daemon;
  out.push(
    !d.running
      ? 'daemon: not running'
      : d.pid === null
        ? `daemon: none registered, but another process holds the lock ${safe(s.stateDb)}.lock (a daemon starting or stopping, or another program)`
        : `daemon: running (pid ${d.pid}, up ${duration(d.uptimeSeconds ?? 0)}${d.version ? `, v${safe(d.version)}` : ''})`,
  );
  if (s.credentials) {
    const c = s.credentials;
    out.push(
      `credentials: ${safe(c.provider)}` +
        (c.expiresAt ? `, expire ${c.expiresAt}` : ', do not expire') +
        (c.refreshedAt ? `, last refreshed ${c.refreshedAt}` : '') +
        (c.lastError ? ` (refresh failing: ${safe(c.lastError)})` : ''),
    );
  }
  const versioning = Object.entries(s.versioning ?? {});
  if (versioning.length > 0) out.push(`versioning: ${versioning.map(([bucket, state]) => `${safe(bucket)} ${safe(state)}`).join(', ')}`);
  if (!s.database.exists) {
    out.push(`state:  ${safe(s.stateDb)} does not exist yet (the daemon has not run with this config)`);
  } else {
    out.push(
      `state:  ${safe(s.stateDb)} (${s.database.healthy ? 'healthy' : `DAMAGED: ${safe(s.database.problems.slice(0, 3).join('; '))}`})`,
    );
  }
  out.push('');
  const rows = s.folders.map((f) => [
    safe(f.folder),
    String(f.queued),
    String(f.uploading),
    String(f.verified),
    f.failed > 0 ? `${f.failed} !` : '0',
    !f.inConfig
      ? 'not in the config (kept for its return; not in the totals)'
      : f.mode
        ? `${safe(f.mode)}${f.note ? ` (${safe(f.note)})` : ''}`
        : d.running
          ? '-'
          : 'stopped',
  ]);
  out.push(...table(['FOLDER', 'QUEUED', 'UPLOADING', 'UPLOADED', 'FAILED', 'WATCH'], rows, (i) => i > 0 && i < 5));
  const t = s.totals;
  out.push('');
  out.push(
    `total: ${t.queued} queued, ${t.uploading} uploading (${bytes(t.queuedBytes)} to send), ${t.uploaded} uploaded (${bytes(t.uploadedBytes)}), ` +
      `${t.failed} failed${t.retrying > 0 ? `, ${t.retrying} waiting to retry` : ''}${t.deleting > 0 ? `, ${t.deleting} remote deletes pending` : ''}`,
  );
  if (s.uploading.length > 0) {
    out.push('', d.running ? 'uploading:' : 'interrupted (they resume at the next start):');
    for (const u of s.uploading) {
      const rate = u.bytesPerSecond !== null ? `  ${bytes(u.bytesPerSecond)}/s` : '';
      out.push(`  ${safe(`${u.folder}/${u.relPath}`)}  ${u.percent.toFixed(1)}%  ${bytes(u.bytesDone)} of ${bytes(u.size)}${rate}`);
    }
  }
  const failed = s.problems.filter((p) => !p.retrying);
  const retrying = s.problems.filter((p) => p.retrying);
  if (failed.length > 0) {
    out.push('', `failed (run 'oss-sync retry' once the cause is fixed):`);
    for (const p of failed)
      out.push(`  ${safe(`${p.folder}/${p.relPath}`)}  after ${p.attempts} attempt(s): ${safe(p.lastError ?? 'unknown error')}`);
    if (t.failed > failed.length)
      out.push(`  ... and ${t.failed - failed.length} more (\`oss-sync status --json\` lists the first ${s.problems.length} problems)`);
  }
  if (s.heldDeletes) {
    const h = s.heldDeletes;
    out.push('', `remote deletes paused: ${h.count} (release them with 'oss-sync retry --deletes', or raise the folder's max_deletes):`);
    for (const d of h.first) out.push(`  ${safe(`${d.folder}/${d.relPath}`)}  ${safe(d.reason)}`);
    if (h.count > h.first.length) out.push(`  ... and ${h.count - h.first.length} more`);
  }
  if (retrying.length > 0) {
    out.push('', 'retrying:');
    for (const p of retrying) out.push(`  ${safe(`${p.folder}/${p.relPath}`)}  attempt ${p.attempts}: ${safe(p.lastError ?? '')}`);
  }
  return `${out.join('\n')}\n`;
}

/** Columns padded to their widest cell, two spaces apart; those `right` names aligned right (counts). */
export function table(header: string[], rows: string[][], right: (column: number) => boolean = () => false): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}
