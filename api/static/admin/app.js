// Inlet admin console. Everything that came from an upload (filenames, camera
// strings) is set with textContent, never as HTML, and shortened for display
// (shared/dom.js).
import { $, el, formatBytes, short } from "../shared/dom.js";
import { openStats, reloadStats } from "./charts.js";

const KEY = "inlet.admin.token";
const views = ["signin", "links", "link", "stats", "health"];
const SHOWABLE = new Set(["JPEG", "PNG", "GIF", "WEBP", "BMP"]);
const state = { linksCursor: null, uploadsCursor: null, linkId: null };

function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString();
}
// Sizes in the units the create form takes (1 MiB = 1024 KiB).
function fmtBytes(n) { return formatBytes(n, { binary: true }); }
function bytesUsed(link, unlimited) {
  return fmtBytes(link.used_bytes || 0) + (link.max_bytes == null ? unlimited : " of " + fmtBytes(link.max_bytes));
}
function badge(text) { return el("span", "badge " + text, text.replace("_", " ")); }

function say(text, info) {
  const box = $("message");
  box.textContent = text;
  box.className = info ? "message info" : "message";
  box.hidden = !text;
}

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(path, options) {
  const opts = Object.assign({ headers: {} }, options || {});
  opts.headers.Authorization = "Bearer " + sessionStorage.getItem(KEY);
  if (opts.json !== undefined) {
    opts.body = JSON.stringify(opts.json);
    opts.headers["Content-Type"] = "application/json";
  }
  let resp;
  try { resp = await fetch(path, opts); } catch (e) {
    throw new ApiError(0, "The server could not be reached. Check the connection and try again.");
  }
  const body = await resp.json().catch(() => ({}));
  if (resp.status === 401 || resp.status === 403) {
    const why = resp.status === 403 ? "This is not an admin token." : body.detail || "The token was refused.";
    signOut("Signed out: " + why + " Paste a valid admin token.");
    throw new ApiError(resp.status, why);
  }
  if (!resp.ok) throw new ApiError(resp.status, body.detail || "The server answered " + resp.status + ".");
  return body;
}

function failed(err) { if (!(err.status === 401 || err.status === 403)) say(err.message); }

function show(name) {
  for (const v of views) $("view-" + v).hidden = v !== name;
  $("nav").hidden = name === "signin";
  for (const a of document.querySelectorAll("nav a[data-view]")) {
    a.classList.toggle("current", a.dataset.view === name || (name === "link" && a.dataset.view === "links"));
  }
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  show("signin");
  say(message || "", !message);
  $("token").value = "";
  if (location.hash) history.replaceState(null, "", location.pathname);
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return;
  sessionStorage.setItem(KEY, token);
  try {
    const config = await api("/v1/console");
    showTools(config);
    say("");
    location.hash = "#links";
    route();
  } catch (err) { failed(err); }
}

function showTools(config) {
  const defaults = config.link_defaults || {};
  $("quota").placeholder = defaults.max_images == null ? "no limit" : defaults.max_images + " (default)";
  $("byte-quota").placeholder = defaults.max_bytes == null ? "no limit" : fmtBytes(defaults.max_bytes) + " (default)";
  for (const [id, url] of [["flower-link", config.flower_url], ["kibana-link", config.kibana_url]]) {
    $(id).hidden = !url;
    if (url) $(id).href = url;
  }
}

// --- links ---------------------------------------------------------------
function linkRow(link) {
  const tr = document.createElement("tr");
  const name = el("td");
  const a = el("a", null, short(link.label || "(no label)", 60));
  a.href = "#link/" + encodeURIComponent(link.id);
  a.title = link.label || link.id;
  name.append(a);
  const stateCell = el("td");
  stateCell.append(badge(link.state));
  const quota = link.max_images == null ? "" : " / " + link.max_images;
  const revoke = el("button", "button danger", "Revoke");
  revoke.type = "button";
  revoke.hidden = link.state === "revoked";
  revoke.addEventListener("click", () => revokeLink(link));
  const actions = el("td", "actions");
  actions.append(revoke);
  tr.append(name, stateCell, el("td", null, link.used + quota + " images"), el("td", "data", bytesUsed(link, "")),
    el("td", null, "expires " + when(link.expires_at)), el("td", null, "created " + when(link.created_at)), actions);
  tr.dataset.id = link.id;
  return tr;
}

async function loadLinks(more) {
  const body = $("links-table").tBodies[0];
  const query = more && state.linksCursor ? "?cursor=" + encodeURIComponent(state.linksCursor) : "";
  try {
    const page = await api("/v1/links" + query);
    if (!more) body.replaceChildren();
    for (const link of page.links) body.append(linkRow(link));
    state.linksCursor = page.next_cursor;
    $("links-more").hidden = !page.next_cursor;
    $("links-empty").hidden = body.rows.length > 0;
  } catch (err) { failed(err); }
}

function expiryBody() {
  const mode = document.querySelector("input[name=expiry]:checked").value;
  if (mode === "date") {
    const d = new Date($("expires-date").value);
    if (isNaN(d)) throw new ApiError(422, "Choose the date and time the link expires.");
    return { expires_at: d.toISOString() };
  }
  const n = Number($("duration").value);
  if (!Number.isInteger(n) || n < 1) throw new ApiError(422, "The duration must be a whole number of at least 1.");
  return { expires_in: n * Number($("unit").value) };
}

async function createLink(event) {
  event.preventDefault();
  try {
    const body = expiryBody();
    const label = $("label").value.trim();
    if (label) body.label = label;
    if ($("quota").value) body.max_images = Number($("quota").value);
    if ($("byte-quota").value) {
      const amount = Number($("byte-quota").value);
      if (!(amount > 0)) throw new ApiError(422, "The most data must be a positive number.");
      body.max_bytes = Math.round(amount * Number($("byte-unit").value));
    }
    const link = await api("/v1/links", { method: "POST", json: body });
    say("");
    showCreated(link);
    $("create-form").reset();
    loadLinks(false);
  } catch (err) { failed(err); }
}

function showCreated(link) {
  const url = link.page_url || link.url;
  $("created-label").textContent = short(link.label || "(no label)", 80);
  $("created-url").value = url;
  $("copied").textContent = "";
  drawQr($("qr"), url);
  $("created").hidden = false;
}

function drawQr(canvas, text) {
  const qr = window.qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const count = qr.getModuleCount(), margin = 4, size = count + margin * 2;
  canvas.width = canvas.height = size * 8;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#000";
  for (let r = 0; r < count; r++)
    for (let c = 0; c < count; c++)
      if (qr.isDark(r, c)) ctx.fillRect((c + margin) * 8, (r + margin) * 8, 8, 8);
  canvas.dataset.text = text;
}

async function copyUrl() {
  const input = $("created-url");
  try { await navigator.clipboard.writeText(input.value); } catch (e) {
    input.select();
    document.execCommand("copy");
  }
  $("copied").textContent = "Copied to the clipboard.";
}

async function revokeLink(link) {
  const name = link.label ? "“" + short(link.label, 60) + "”" : "this link";
  if (!window.confirm("Revoke " + name + "? Nobody can upload through it any more.")) return;
  try {
    await api("/v1/links/" + encodeURIComponent(link.id), { method: "DELETE" });
    say("Revoked " + name + ".", true);
    if (!$("view-link").hidden) openLink(link.id); else loadLinks(false);
  } catch (err) { failed(err); }
}

// --- one link ------------------------------------------------------------
function fact(list, term, value) { list.append(el("dt", null, term), el("dd", null, value)); }

async function openLink(id) {
  state.linkId = id;
  try {
    const link = await api("/v1/links/" + encodeURIComponent(id));
    $("link-title").textContent = short(link.label || "(no label)", 80);
    const facts = $("link-facts");
    facts.replaceChildren();
    const dd = el("dd");
    dd.append(badge(link.state));
    facts.append(el("dt", null, "State"), dd);
    fact(facts, "Images", link.used + (link.max_images == null ? " (no limit)" : " of " + link.max_images));
    fact(facts, "Data", bytesUsed(link, " (no limit)"));
    fact(facts, "Expires", when(link.expires_at));
    fact(facts, "Created", when(link.created_at));
    fact(facts, "Id", link.id);
    $("link-stats").href = "#stats/" + encodeURIComponent(link.id);
    const revoke = $("link-revoke");
    revoke.hidden = link.state === "revoked";
    revoke.onclick = () => revokeLink(link);
    await loadUploads(false);
  } catch (err) { failed(err); }
}

function uploadItem(up) {
  const li = el("li");
  li.dataset.image = up.image_id;
  const fmt = up.format || (up.image && up.image.format) || "";
  if (up.state !== "deleted" && SHOWABLE.has(fmt.toUpperCase())) {
    const img = el("img", "thumb");
    img.alt = short(up.filename || up.image_id, 80);
    img.loading = "lazy";
    img.src = "/v1/images/" + encodeURIComponent(up.image_id);
    img.addEventListener("error", () => img.replaceWith(el("div", "no-thumb", "No preview")));
    li.append(img);
  } else {
    li.append(el("div", "no-thumb", up.state === "deleted" ? "Deleted" : "No preview (" + (fmt || "unknown") + ")"));
  }
  const text = el("div", "upload-text");
  const name = el("div", "name", short(up.filename || "(no name)", 60));
  name.title = up.filename || "";
  const image = up.image || {};
  const camera = [image.make, image.model].filter(Boolean).join(" ");
  const status = el("p");
  status.append(badge(up.state), document.createTextNode(up.duplicate ? " duplicate" : " new"));
  text.append(name, el("p", null, when(up.uploaded_at)), status,
    el("p", null, [fmt, image.width ? image.width + "×" + image.height : ""].filter(Boolean).join(" · ")));
  const cam = el("p", "camera", "Camera: " + short(camera || "unknown", 60));
  cam.title = camera;
  // An opaque label: the same for every upload of one sender (browser or terminal).
  const sender = el("p", "sender", "Sender: " + (up.sender ? short(up.sender, 16) : "not identified"));
  text.append(cam, sender);
  li.append(text);
  return li;
}

async function loadUploads(more) {
  const list = $("uploads");
  const query = more && state.uploadsCursor ? "?cursor=" + encodeURIComponent(state.uploadsCursor) : "";
  const page = await api("/v1/links/" + encodeURIComponent(state.linkId) + "/uploads" + query);
  if (!more) list.replaceChildren();
  for (const up of page.uploads) list.append(uploadItem(up));
  state.uploadsCursor = page.next_cursor;
  $("uploads-more").hidden = !page.next_cursor;
  $("uploads-empty").hidden = list.children.length > 0;
}

// --- health --------------------------------------------------------------
async function loadHealth() {
  try {
    const resp = await fetch("/readyz");
    const body = await resp.json().catch(() => ({}));
    const ready = $("ready-state");
    ready.replaceChildren(badge(resp.ok ? "ok" : "down"));
    const checks = $("checks");
    checks.replaceChildren();
    const names = { redis: "Redis", s3: "Object store", search: "Search server" };
    for (const [name, result] of Object.entries(body.checks || {})) {
      const li = el("li", null, names[name] || name);
      li.append(badge(result));
      checks.append(li);
    }
    const failures = await api("/v1/failures");
    $("failures-total").textContent = failures.total;
    const list = $("failures");
    list.replaceChildren();
    for (const f of failures.failures) {
      const li = el("li");
      li.append(el("strong", null, short(f.task, 60)), el("span", "when", " " + when(f.failed_at) + " "),
        el("div", null, short(f.error, 300)));
      list.append(li);
    }
    $("failures-empty").hidden = failures.failures.length > 0;
  } catch (err) { failed(err); }
}

// --- routing -------------------------------------------------------------
function route() {
  if (!sessionStorage.getItem(KEY)) { show("signin"); return; }
  const [name, arg] = location.hash.replace(/^#/, "").split("/");
  say("");
  if (name === "link" && arg) { show("link"); openLink(decodeURIComponent(arg)); }
  else if (name === "stats") { show("stats"); openStats(api, arg ? decodeURIComponent(arg) : "").catch(failed); }
  else if (name === "health") { show("health"); loadHealth(); }
  else { show("links"); loadLinks(false); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut());
  $("create-form").addEventListener("submit", createLink);
  $("copy").addEventListener("click", copyUrl);
  $("print").addEventListener("click", () => window.print());
  $("links-more").addEventListener("click", () => loadLinks(true));
  $("uploads-more").addEventListener("click", () => loadUploads(true).catch(failed));
  $("expires-date").addEventListener("focus", () => { document.querySelector("input[value=date]").checked = true; });
  $("duration").addEventListener("focus", () => { document.querySelector("input[value=duration]").checked = true; });
  const statsForm = $("stats-form");
  $("stats-scope").addEventListener("change", () => statsForm.requestSubmit());
  statsForm.addEventListener("submit", (event) => {
    event.preventDefault();
    reloadStats().catch(failed);
  });
  window.addEventListener("hashchange", route);
  if (sessionStorage.getItem(KEY)) api("/v1/console").then(showTools).catch(failed);
  route();
});
