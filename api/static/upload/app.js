// Inlet upload page. No framework, no inline script (CSP script-src 'self').
// The link token is the URL fragment: browsers never send it to a server, so it
// never reaches an access log; it goes to the API only in the Authorization header.
// Everything that comes from a file or the server is rendered with textContent
// (shared/dom.js), and what a stranger wrote is shortened first.
import { $, el, formatBytes, short } from '../shared/dom.js';

const PARALLEL = 3;
const MAX_ATTEMPTS = 6;
const MAX_BACKOFF_MS = 30000;
const PREVIEWABLE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/bmp', 'image/avif']);
const RETRYABLE = new Set([429, 502, 503, 504]);
const PROBLEMS = {
  expired: ['This link has expired',
    'It can no longer be used to send photos. Ask the person who sent it to you for a new link.'],
  revoked: ['This link has been withdrawn',
    'Its owner switched it off, so it no longer accepts photos. Ask them for a new link if you still need to send some.'],
  usedup: ['This link has received all the photos it accepts',
    'Nothing more can be sent through it. Ask the person who sent it for another link if you have more photos.'],
  invalid: ['This link is not valid',
    'The address may be incomplete: open the whole link you received, or ask the person who sent it for a new one.'],
};
const NOT_SENT = {
  expired: 'Not sent: the link expired.',
  revoked: 'Not sent: the link was withdrawn.',
  usedup: 'Not sent: the link accepts no more photos.',
  invalid: 'Not sent: the link is not valid.',
};

const token = decodeURIComponent(location.hash.slice(1));
const uploadsUrl = new URL('../v1/uploads', location.href).href;
const sender = senderId();

let info = null;        // GET /v1/uploads/self
let infoAt = 0;         // performance.now() when info arrived
let linkProblem = null; // one of PROBLEMS' keys
let active = 0;
let nextId = 1;
const entries = [];
const speed = { samples: [] };
const sleepers = new Set();

// ---------- formatting ----------

function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} day${d > 1 ? 's' : ''} ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

function extensionOf(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

function announce(text) {
  $('announce').textContent = text;
}

// ---------- waiting that a wake-up (screen back on, network back) can cut short ----------

function sleep(ms) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); sleepers.delete(done); resolve(); };
    const timer = setTimeout(done, ms);
    sleepers.add(done);
  });
}

function wakeAll() {
  [...sleepers].forEach((done) => done());
}

function retryAfterMs(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(120, Math.max(0, seconds)) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.min(120000, Math.max(0, date - Date.now()));
}

function backoffMs(attempt, retryAfter) {
  if (retryAfter !== null) return retryAfter;
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * base / 2;
}

// ---------- who is sending ----------

// A link is shared by many people; each sees only what they sent. The server tells
// senders apart by an id this browser makes once per link (128 random bits) and keeps
// in localStorage: another browser, profile or device is another sender. The link's
// id (the token's subject) names it, so the token itself is never stored.
function senderId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const fresh = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const link = linkId();
  if (!link) return fresh;
  const key = `inlet-sender:${link}`;
  try {
    const kept = localStorage.getItem(key);
    if (kept && /^[A-Za-z0-9_-]{22,64}$/.test(kept)) return kept;
    localStorage.setItem(key, fresh);
  } catch (err) {
    // No storage (blocked, or a private window that refuses it): this page load only.
  }
  return fresh;
}

function linkId() {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const sub = JSON.parse(atob(payload)).sub;
    return typeof sub === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(sub) ? sub : null;
  } catch (err) {
    return null;
  }
}

// ---------- the link ----------

function problemKind(status, body) {
  const type = (body && body.type) || '';
  if (status === 410 && type.endsWith('/link-revoked')) return 'revoked';
  if (status === 410) return 'expired';
  if (status === 401 || (status === 403 && type.endsWith('/forbidden'))) return 'invalid';
  return null;
}

async function request(method, url, body) {
  const headers = { Authorization: `Bearer ${token}`, 'X-Inlet-Sender': sender, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    const resp = await fetch(url, {
      method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try { json = await resp.json(); } catch (err) { json = null; }
    return { status: resp.status, body: json, retryAfter: retryAfterMs(resp.headers.get('Retry-After')) };
  } catch (err) {
    return { status: 0, body: null, retryAfter: null };
  }
}

async function loadLink() {
  if (!token) { setProblem('invalid'); return; }
  const result = await request('GET', `${uploadsUrl}/self`);
  const kind = problemKind(result.status, result.body);
  if (kind) { setProblem(kind); return; }
  if (result.status !== 200 || !result.body) {
    $('link-status').textContent = 'Cannot reach the server right now; trying again…';
    await sleep(backoffMs(2, result.retryAfter));
    loadLink();
    return;
  }
  info = result.body;
  infoAt = performance.now();
  renderLink();
  renderHistory();
  followPending();
}

function secondsLeft() {
  return info ? info.expires_in - (performance.now() - infoAt) / 1000 : 0;
}

function remainingCount() {
  if (!info || info.remaining === null) return null;
  return info.remaining;
}

// Bytes the link still takes (its byte quota); null when it has no byte limit.
function remainingBytes() {
  if (!info || info.remaining_bytes === null || info.remaining_bytes === undefined) return null;
  return info.remaining_bytes;
}

function tooLargeForWhatIsLeft(size, left) {
  const amount = left === undefined ? '' : ` (${formatBytes(Math.max(0, left))})`;
  return `Not sent: it is ${formatBytes(size)}, too large for what this link has left${amount}.`;
}

function renderLink() {
  if (!info || linkProblem) return;
  $('link-status').textContent = 'Add the photos you want to send. They are sent as soon as you add them.';
  $('link-facts').hidden = false;
  $('picker').hidden = false;
  $('received').hidden = false;
  const names = info.accepted.formats.map((f) => f.name).join(', ');
  $('limits').textContent = `${names}; up to ${formatBytes(info.max_image_bytes)} each.`;
  const accept = [...info.accepted.extensions, ...info.accepted.mime_types].join(',');
  $('choose').setAttribute('accept', accept);
  tick();
  const remaining = remainingCount();
  if (remaining === 0 || remainingBytes() === 0) setProblem('usedup');
}

function tick() {
  if (!info) return;
  const left = secondsLeft();
  $('time-left').textContent = left > 0 ? fmtDuration(left) : 'none';
  const remaining = remainingCount();
  $('remaining').textContent = remaining === null ? 'no limit' : String(remaining);
  const bytesLeft = remainingBytes();
  $('space-left').textContent = bytesLeft === null ? 'no limit' : formatBytes(bytesLeft);
  if (left <= 0 && !linkProblem) setProblem('expired');
}

function setProblem(kind) {
  if (linkProblem === kind) return;
  linkProblem = kind;
  const [title, text] = PROBLEMS[kind];
  $('problem-title').textContent = title;
  $('problem-text').textContent = text;
  $('link-problem').hidden = false;
  $('link-problem').dataset.kind = kind;
  $('link-status').hidden = true;
  $('picker').hidden = true;
  if (kind !== 'invalid' && info) $('received').hidden = false;
  entries.forEach((entry) => {
    if (['queued', 'waiting', 'failed', 'hashing', 'checking'].includes(entry.state)) {
      setState(entry, 'stopped', NOT_SENT[kind]);
    }
  });
  wakeAll();
}

// ---------- history: what this sender has sent through the link ----------

// The server's verdict on photos sent from this page, once it has checked them.
function updateRows() {
  const byId = new Map(info.uploads.map((u) => [u.id, u]));
  entries.forEach((entry) => {
    const upload = entry.imageId && byId.get(entry.imageId);
    if (!upload || !['stored', 'duplicate'].includes(entry.state)) return;
    if (upload.state === 'rejected') {
      entry.ui.state.textContent = `Rejected by the server: ${short(upload.reason || 'not a valid image', 300)}`;
      entry.ui.row.dataset.verdict = 'rejected';
    } else if (upload.state === 'ready') {
      entry.ui.state.textContent = entry.state === 'duplicate' ? 'Already here: nothing to send.' : 'Stored.';
      entry.ui.row.dataset.verdict = 'ready';
    }
  });
}

function renderHistory() {
  if (!info) return;
  updateRows();
  const list = $('history');
  list.replaceChildren();
  const uploads = [...info.uploads].reverse();
  $('received-empty').hidden = uploads.length > 0;
  uploads.forEach((u) => {
    const item = el('li', 'history-item');
    item.append(el('span', 'name', u.filename || '(no name)'));
    item.append(el('span', `badge ${u.state === 'rejected' ? 'rejected' : (u.duplicate ? 'duplicate' : u.state)}`, historyLabel(u)));
    if (u.state === 'rejected' && u.reason) item.append(el('span', 'reason', short(u.reason, 300)));
    const when = new Date(u.uploaded_at);
    item.append(el('span', 'when', when.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })));
    const id = el('code', 'image-id', u.id.slice(0, 12));
    id.title = u.id;
    item.append(id);
    list.append(item);
  });
}

// What a link holder reads for each received upload; the server verifies each new
// photo after it is stored, so "checking" turns into "received" or "rejected".
function historyLabel(u) {
  if (u.state === 'rejected') return 'rejected';
  if (u.state === 'pending') return 'checking…';
  return u.duplicate ? 'already here' : 'received';
}

// While the server is still checking photos, ask again now and then.
let pendingTimer = null;
function followPending() {
  clearTimeout(pendingTimer);
  if (info && info.uploads.some((u) => u.state === 'pending')) pendingTimer = setTimeout(loadLink, 3000);
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadLink, 400);
}

// ---------- adding files ----------

function precheck(file) {
  const accepted = info.accepted;
  const ext = extensionOf(file.name);
  const typeOk = accepted.extensions.includes(ext) || accepted.mime_types.includes((file.type || '').toLowerCase());
  if (!typeOk) {
    const names = accepted.formats.map((f) => f.name).join(', ');
    const what = ext ? `a “${ext}” file` : 'a file without a photo extension';
    return `Not sent: this is ${what}, not a photo format this link accepts (${names}).`;
  }
  if (file.size === 0) return 'Not sent: the file is empty.';
  if (file.size > info.max_image_bytes) {
    return `Not sent: it is ${formatBytes(file.size)}; this link accepts photos up to ${formatBytes(info.max_image_bytes)}.`;
  }
  const pending = entries.filter((e) => ['queued', 'hashing', 'checking', 'sending', 'verifying', 'waiting'].includes(e.state));
  const remaining = remainingCount();
  if (remaining !== null && pending.length >= remaining) {
    return `Not sent: this link accepts only ${remaining} more photo${remaining === 1 ? '' : 's'}.`;
  }
  const bytesLeft = remainingBytes();
  if (bytesLeft !== null) {
    const left = bytesLeft - pending.reduce((sum, e) => sum + e.size, 0);
    if (file.size > left) return tooLargeForWhatIsLeft(file.size, left);
  }
  return null;
}

function addFiles(files) {
  if (!info || linkProblem) return;
  const list = [...files].filter((f) => !f.name.startsWith('.'));
  if (!list.length) return;
  $('sending').hidden = false;
  list.forEach((file) => {
    const entry = { id: nextId++, file, name: file.name, size: file.size, sent: 0, attempt: 0, sha: null, byHashDone: false };
    entries.push(entry);
    $('files').append(renderEntry(entry));
    const refusal = precheck(file);
    if (refusal) setState(entry, 'refused', refusal);
    else setState(entry, 'queued', 'Waiting…');
  });
  announce(`${list.length} file${list.length === 1 ? '' : 's'} added.`);
  pump();
  renderOverall();
}

async function filesFromDrop(items) {
  const roots = [...items].map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (roots.some((r) => r === null)) return [...items].map((i) => i.getAsFile()).filter(Boolean);
  const out = [];
  const walk = async (node) => {
    if (node.isFile) {
      out.push(await new Promise((resolve, reject) => node.file(resolve, reject)));
    } else if (node.isDirectory) {
      const reader = node.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const root of roots) await walk(root);
  return out;
}

// ---------- one row per file ----------

function renderEntry(entry) {
  const row = el('li', 'file');
  row.dataset.entry = String(entry.id);
  const ext = extensionOf(entry.name).slice(1).toUpperCase() || 'FILE';
  const tile = el('div', 'tile', ext);
  tile.setAttribute('aria-hidden', 'true');
  if (PREVIEWABLE.has(entry.file.type)) {
    const img = el('img', 'preview');
    img.alt = '';
    img.loading = 'lazy';
    img.decoding = 'async';
    img.addEventListener('error', () => { img.remove(); });
    img.src = URL.createObjectURL(entry.file);
    tile.append(img);
  }
  const body = el('div', 'file-body');
  const head = el('div', 'file-head');
  head.append(el('span', 'name', entry.name), el('span', 'size', formatBytes(entry.size)));
  const bar = el('div', 'bar small');
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-label', `Progress of ${entry.name}`);
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.setAttribute('aria-valuenow', '0');
  bar.append(el('div', 'fill'));
  const state = el('p', 'state');
  const id = el('code', 'image-id');
  const retry = el('button', 'button retry', 'Retry');
  retry.type = 'button';
  retry.hidden = true;
  retry.setAttribute('aria-label', `Retry ${entry.name}`);
  retry.addEventListener('click', () => {
    entry.attempt = 0;
    setState(entry, 'queued', 'Waiting…');
    pump();
  });
  body.append(head, bar, state, id, retry);
  row.append(tile, body);
  entry.ui = { row, bar, state, id, retry };
  return row;
}

function setState(entry, state, text) {
  entry.state = state;
  entry.ui.row.dataset.state = state;
  entry.ui.state.textContent = text;
  entry.ui.retry.hidden = state !== 'failed';
  if (['stored', 'duplicate'].includes(state)) setProgress(entry, 100);
  renderOverall();
}

function setProgress(entry, percent) {
  const value = Math.round(percent);
  entry.ui.bar.setAttribute('aria-valuenow', String(value));
  entry.ui.bar.firstChild.style.width = `${value}%`;
}

function renderOverall() {
  const live = entries.filter((e) => !['refused', 'stopped'].includes(e.state));
  const total = live.reduce((sum, e) => sum + e.size, 0);
  const done = live.reduce((sum, e) => sum + (['stored', 'duplicate'].includes(e.state) ? e.size : Math.min(e.sent, e.size)), 0);
  const finished = live.filter((e) => ['stored', 'duplicate'].includes(e.state)).length;
  const percent = total ? (100 * done) / total : 0;
  const bar = $('overall-bar');
  bar.setAttribute('aria-valuenow', String(Math.round(percent)));
  bar.firstChild.style.width = `${percent}%`;
  const parts = [`${finished} of ${live.length} photo${live.length === 1 ? '' : 's'} done`, `${formatBytes(done)} of ${formatBytes(total)}`];
  const rate = currentSpeed();
  const busy = live.some((e) => e.state === 'sending');
  if (busy && rate > 0) parts.push(`${formatBytes(rate)}/s`, `about ${fmtDuration((total - done) / rate)} left`);
  $('overall-text').textContent = parts.join(' · ');
}

function noteBytes(delta) {
  const now = performance.now();
  speed.samples.push([now, delta]);
  while (speed.samples.length && now - speed.samples[0][0] > 5000) speed.samples.shift();
}

function currentSpeed() {
  if (speed.samples.length < 2) return 0;
  const span = (performance.now() - speed.samples[0][0]) / 1000;
  const bytes = speed.samples.reduce((sum, s) => sum + s[1], 0);
  return span > 0.2 ? bytes / span : 0;
}

// ---------- sending ----------

function pump() {
  while (active < PARALLEL && !linkProblem) {
    const entry = entries.find((e) => e.state === 'queued');
    if (!entry) return;
    active += 1;
    process(entry).catch((err) => {
      setState(entry, 'failed', `Failed: ${err && err.message ? err.message : err}`);
    }).finally(() => {
      active -= 1;
      pump();
    });
  }
}

async function sha256(file) {
  if (!(window.crypto && crypto.subtle)) return null; // not a secure context: send bytes
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function process(entry) {
  if (!entry.byHashDone) {
    setState(entry, 'hashing', 'Checking whether it is already here…');
    if (entry.sha === null) entry.sha = await sha256(entry.file);
    if (entry.sha) {
      const item = await withRetries(entry, () => request('POST', uploadsUrl, { images: [{ sha256: entry.sha, filename: entry.name }] }));
      if (!item) return;
      if (!(item.error && item.error.status === 404)) { finish(entry, item); return; }
    }
    entry.byHashDone = true;
  }
  setState(entry, 'sending', 'Sending…');
  const item = await withRetries(entry, () => sendBytes(entry));
  if (item) finish(entry, item);
}

// The per-file answer, after retrying what can be retried; null when the file stopped.
async function withRetries(entry, send) {
  for (;;) {
    if (linkProblem) { setState(entry, 'stopped', NOT_SENT[linkProblem]); return null; }
    entry.attempt += 1;
    const result = await send();
    const kind = problemKind(result.status, result.body);
    if (kind) { setProblem(kind); return null; }
    const item = result.body && Array.isArray(result.body.images) ? result.body.images[0] : null;
    if (item) { entry.attempt = 0; return item; }
    const retryable = result.status === 0 || RETRYABLE.has(result.status);
    if (!retryable || entry.attempt >= MAX_ATTEMPTS) {
      const reason = result.status === 0 ? 'the connection failed' : (result.body && result.body.detail) || `the server answered ${result.status}`;
      setState(entry, 'failed', `Failed: ${reason}. Press Retry to try again.`);
      return null;
    }
    await waitBeforeRetry(entry, result);
  }
}

async function waitBeforeRetry(entry, result) {
  const why = result.status === 0 ? 'Connection lost' : 'The server is busy';
  const until = performance.now() + backoffMs(entry.attempt, result.retryAfter);
  const resume = entry.state === 'hashing' ? 'hashing' : 'sending';
  const label = () => `${why}; trying again in ${fmtDuration(Math.max(0, (until - performance.now()) / 1000))}…`;
  entry.sent = 0;
  setProgress(entry, 0);
  setState(entry, 'waiting', label());
  const seen = wakeups;
  while (performance.now() < until && !linkProblem && wakeups === seen) {
    await sleep(Math.min(1000, until - performance.now()));
    entry.ui.state.textContent = label();
  }
  if (!linkProblem) setState(entry, resume, 'Trying again…');
}

let wakeups = 0;
function wake() {
  wakeups += 1;
  wakeAll();
}

function sendBytes(entry) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append('images', entry.file, entry.name);
    xhr.open('POST', uploadsUrl);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('X-Inlet-Sender', sender);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'text';
    entry.sent = 0;
    xhr.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable) return;
      const sent = Math.round((event.loaded / event.total) * entry.size);
      noteBytes(Math.max(0, sent - entry.sent));
      entry.sent = sent;
      setProgress(entry, (99 * event.loaded) / event.total);
      if (event.loaded >= event.total) setState(entry, 'verifying', 'Sent; the server is checking the photo…');
      else if (entry.state === 'sending') entry.ui.state.textContent = `Sending… ${Math.floor((100 * event.loaded) / event.total)} %`;
      renderOverall();
    });
    const fail = () => resolve({ status: 0, body: null, retryAfter: null });
    xhr.addEventListener('error', fail);
    xhr.addEventListener('abort', fail);
    xhr.addEventListener('timeout', fail);
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      resolve({ status: xhr.status, body, retryAfter: retryAfterMs(xhr.getResponseHeader('Retry-After')) });
    });
    xhr.send(form);
  });
}

function finish(entry, item) {
  if (item.id) {
    const duplicate = Boolean(item.duplicate);
    const checking = item.state === 'pending' ? ' The server is checking it…' : '';
    setState(entry, duplicate ? 'duplicate' : 'stored', duplicate ? `Already here: nothing to send.${checking}` : `Stored.${checking}`);
    entry.imageId = item.id;
    entry.ui.id.textContent = `id ${item.id.slice(0, 12)}…`;
    entry.ui.id.title = item.id;
    entry.ui.id.dataset.id = item.id;
    announce(`${entry.name}: ${duplicate ? 'already here' : 'stored'}.`);
    if (info && info.remaining !== null) info.remaining = Math.max(0, info.remaining - 1);
    if (remainingBytes() !== null) info.remaining_bytes = Math.max(0, info.remaining_bytes - entry.size);
    tick();
    refreshSoon();
    return;
  }
  const error = item.error || {};
  if (error.status === 403) {
    // The quota refused it: with photos still left to send, its bytes did not fit.
    const tooLarge = remainingBytes() !== null && remainingCount() !== 0;
    setState(entry, 'refused', tooLarge ? tooLargeForWhatIsLeft(entry.size) : 'Not sent: this link accepts no more photos.');
    refreshSoon();
  } else {
    setState(entry, 'refused', `Refused by the server: ${error.detail || 'no reason given'}`);
  }
  announce(`${entry.name}: refused.`);
}

// ---------- wiring ----------

function bindPicker() {
  const pairs = [['choose-button', 'choose'], ['camera-button', 'camera'], ['folder-button', 'folder']];
  pairs.forEach(([button, input]) => {
    $(button).addEventListener('click', () => $(input).click());
    $(input).addEventListener('change', () => { addFiles($(input).files); $(input).value = ''; });
  });
  if (!('webkitdirectory' in document.createElement('input'))) $('folder-button').hidden = true;
  const drop = $('drop');
  ['dragenter', 'dragover'].forEach((type) => drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('over');
  }));
  ['dragleave', 'drop'].forEach((type) => drop.addEventListener(type, () => drop.classList.remove('over')));
  drop.addEventListener('drop', async (event) => {
    event.preventDefault();
    addFiles(await filesFromDrop(event.dataTransfer.items));
  });
  // A file dropped next to the zone must not make the browser leave the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

function bindLifecycle() {
  // Back from a locked screen or a lost network: check the link, retry at once.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') { loadLink(); wake(); pump(); }
  });
  window.addEventListener('online', () => { wake(); pump(); });
  window.addEventListener('hashchange', () => location.reload());
  window.addEventListener('beforeunload', (event) => {
    if (entries.some((e) => ['queued', 'hashing', 'sending', 'verifying', 'waiting'].includes(e.state))) {
      event.preventDefault();
    }
  });
  setInterval(() => { tick(); renderOverall(); }, 1000);
}

bindPicker();
bindLifecycle();
loadLink();
