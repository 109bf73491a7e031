/**
 * The status page: one HTML document with its CSS and script inline (served under a CSP nonce),
 * so it works offline and from a phone with nothing but the daemon.
 *
 * Invariant: data from the daemon (file and folder names, error messages) only ever reaches the
 * document through textContent or setAttribute on elements the script creates, never as markup.
 */

export function statusPageHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oss-sync</title>
<style nonce="${nonce}">${CSS}</style>
</head>
<body>
<header><h1>oss-sync</h1><span id="health" class="pill">…</span><span id="live" class="muted"></span></header>
<main>
<section class="wide"><h2>Folders</h2><table id="folders"><thead><tr><th>folder</th><th>mode</th><th>queued</th><th>uploading</th><th>uploaded</th><th>failed</th><th></th></tr></thead><tbody></tbody></table></section>
<section><h2>Uploading</h2><div id="transfers"></div><p id="no-transfers" class="muted">nothing uploading</p></section>
<section><h2>Throughput, last 15 minutes</h2><svg id="plot" viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label="upload rate"></svg><p id="rate" class="muted"></p></section>
<section><h2>Parked and retrying files</h2><ul id="problems"></ul><p id="no-problems" class="muted">none</p></section>
<section><h2>Recent errors</h2><ul id="errors"></ul><p id="no-errors" class="muted">none</p></section>
<section id="health-details"><h2>Health</h2><ul id="checks"></ul></section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

export function loginPageHtml(nonce: string, failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>oss-sync: sign in</title><style nonce="${nonce}">${CSS}</style></head>
<body><main><h1>oss-sync</h1>
<form method="post" action="/login"><label>Token <input name="token" type="password" autocomplete="current-password" autofocus></label>
<button type="submit">Sign in</button></form>${failed ? '<p class="bad">wrong token</p>' : ''}
</main></body></html>
`;
}

const CSS = `
:root{color-scheme:light dark;--ok:#2a7d2a;--bad:#b3261e;--warn:#a86b00;--bar:#3b82f6;--line:#8884}
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:0 12px 24px;max-width:960px;margin-inline:auto}
header{display:flex;gap:10px;align-items:center;flex-wrap:wrap;padding:10px 0;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0}h2{font-size:16px;margin:18px 0 6px}
.pill{padding:2px 10px;border-radius:12px;color:#fff;background:var(--warn)}
.pill.ok{background:var(--ok)}.pill.bad{background:var(--bad)}
.muted{color:#888}.bad{color:var(--bad)}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line)}
td.n,th.n{text-align:right}
.wide{overflow-x:auto}td{overflow-wrap:anywhere}
.transfer{margin:6px 0}.transfer .name{overflow-wrap:anywhere}
.bar{height:10px;background:var(--line);border-radius:5px;overflow:hidden}.bar>div{height:100%;background:var(--bar);width:0}
.meta{font-size:13px;color:#888}
ul{padding-left:18px;margin:4px 0}li{margin:4px 0;overflow-wrap:anywhere}
svg{width:100%;height:100px;border:1px solid var(--line);border-radius:4px}
button{font:inherit;padding:2px 8px;white-space:nowrap}
@media (max-width:560px){th:nth-child(2),td:nth-child(2){display:none}body{font-size:14px;padding:0 6px 16px}th,td{padding:4px 3px}button{padding:2px 4px}}
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function bytes(n) { if (n == null) return '?'; const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return (i ? n.toFixed(1) : n) + ' ' + u[i]; }
let token = sessionStorage.getItem('oss-sync-token') || '';
let actions = 'none';
async function act(path, body) {
  const headers = { 'content-type': 'application/json' };
  if (actions === 'token') {
    if (!token) { token = prompt('Token (http.token) to act on the daemon') || ''; if (!token) return; sessionStorage.setItem('oss-sync-token', token); }
    headers.authorization = 'Bearer ' + token;
  }
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  if (res.status === 401 || res.status === 403) { token = ''; sessionStorage.removeItem('oss-sync-token'); alert('not allowed: ' + (await res.text())); }
  else if (!res.ok) alert(await res.text());
  refresh();
}
function button(label, onClick) { const b = el('button', label); b.type = 'button'; b.addEventListener('click', onClick); return b; }
function fill(list, items, empty, make) { list.replaceChildren(...items.map(make)); empty.hidden = items.length > 0; }
function render(s) {
  actions = s.actions;
  const snap = s.status;
  const healthy = snap.database.healthy;
  const paused = Object.keys(s.paused).length;
  const h = $('health');
  h.textContent = !healthy ? 'state database failed' : paused > 0 ? paused + ' folder(s) paused' : 'healthy';
  h.className = 'pill ' + (!healthy ? 'bad' : paused > 0 ? '' : 'ok');
  $('live').textContent = 'updated ' + new Date(s.at).toLocaleTimeString();
  const tbody = $('folders').tBodies[0];
  tbody.replaceChildren(...snap.folders.filter((f) => f.inConfig).map((f) => {
    const tr = el('tr');
    tr.dataset.folder = f.folder;
    const reason = s.paused[f.folder];
    tr.append(el('td', f.folder), el('td', reason ? 'paused' : (f.mode || '-')), el('td', f.queued, 'n'), el('td', f.uploading, 'n'), el('td', f.verified, 'n'), el('td', f.failed, 'n'));
    const td = el('td');
    if (actions !== 'none') td.append(reason && reason.indexOf('operator') >= 0 ? button('resume', () => act('/api/resume', { folder: f.folder })) : reason ? '' : button('pause', () => act('/api/pause', { folder: f.folder })));
    if (reason) tr.title = reason;
    tr.append(td);
    return tr;
  }));
  fill($('transfers'), snap.uploading, $('no-transfers'), (f) => {
    const d = el('div', undefined, 'transfer');
    d.dataset.path = f.folder + '/' + f.relPath;
    const bar = el('div', undefined, 'bar'); const inner = el('div'); inner.style.width = f.percent + '%'; bar.append(inner);
    bar.setAttribute('role', 'progressbar'); bar.setAttribute('aria-valuenow', String(f.percent));
    d.append(el('div', f.folder + '/' + f.relPath, 'name'), bar,
      el('div', f.percent + '% of ' + bytes(f.size) + (f.bytesPerSecond != null ? ' at ' + bytes(f.bytesPerSecond) + '/s' : ''), 'meta'));
    return d;
  });
  fill($('problems'), snap.problems, $('no-problems'), (p) => {
    const li = el('li');
    li.dataset.path = p.folder + '/' + p.relPath;
    li.append(el('strong', p.folder + '/' + p.relPath), el('span', p.retrying ? ' retrying (attempt ' + p.attempts + '): ' : ' parked after ' + p.attempts + ' attempt(s): ', 'muted'), el('span', p.lastError || 'unknown error', 'reason'));
    if (!p.retrying && actions !== 'none') { li.append(' '); li.append(button('retry', () => act('/api/retry', { folder: p.folder, relPath: p.relPath }))); }
    return li;
  });
  fill($('errors'), s.recentErrors, $('no-errors'), (e) => el('li', new Date(e.at).toLocaleTimeString() + ' ' + e.code + (e.folder ? ' [' + e.folder + ']' : '') + ': ' + e.message));
  plot(s.history);
  const checks = [
    'state database: ' + (healthy ? 'healthy' : 'FAILED ' + snap.database.problems.join('; ')),
    'daemon: pid ' + snap.daemon.pid + ', version ' + snap.daemon.version + ', up ' + snap.daemon.uptimeSeconds + ' s',
    ...snap.folders.filter((f) => f.inConfig).map((f) => f.folder + ': ' + (s.paused[f.folder] || (f.mode === 'rescanning' ? 'watch limit reached: rescanning every interval' + (f.note ? ' (' + f.note + ')' : '') : (f.mode || 'starting')))),
    'credentials: ' + s.credentials,
  ];
  $('checks').replaceChildren(...checks.map((c) => el('li', c)));
}
function plot(history) {
  const svg = $('plot'); const ns = 'http://www.w3.org/2000/svg';
  const span = 15 * 60 * 1000; const end = Date.now();
  const max = Math.max(1, ...history.map((p) => p.bytesPerSecond));
  const pts = history.filter((p) => p.at > end - span).map((p) => ((300 * (p.at - (end - span))) / span).toFixed(1) + ',' + (78 - (76 * p.bytesPerSecond) / max).toFixed(1));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' ')); line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#3b82f6'); line.setAttribute('stroke-width', '1.5'); line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.replaceChildren(line);
  const last = history.length ? history[history.length - 1].bytesPerSecond : 0;
  $('rate').textContent = 'now ' + bytes(last) + '/s, peak ' + bytes(max === 1 ? 0 : max) + '/s';
}
async function refresh() {
  try { const res = await fetch('/api/status'); if (res.ok) render(await res.json()); } catch (e) { $('live').textContent = 'daemon unreachable'; }
}
const es = new EventSource('/events');
es.onmessage = (m) => render(JSON.parse(m.data));
es.onerror = () => { $('live').textContent = 'reconnecting…'; };
refresh();
`;
