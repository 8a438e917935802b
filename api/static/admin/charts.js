// Statistics screen: Chart.js (vendor/chart.umd.min.js, a classic script that defines
// Chart) draws; labels that came from uploads are shortened, and the lists under the
// charts use textContent.
import { $, short } from '../shared/dom.js';

const charts = {};
const COLORS = ['#1f5fbf', '#2e9d5b', '#d98c1f', '#8e44ad', '#c0392b', '#16a2b8', '#7f8c8d', '#b5651d'];
let linksLoaded = false;
let currentApi = null;

function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; }
}

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
  charts[id] = new window.Chart($(id), config);
}

function fillList(list, rows) {
  list.replaceChildren();
  for (const text of rows) {
    const li = document.createElement('li');
    li.textContent = text;
    list.append(li);
  }
}

function cameraName(c) { return [c.make, c.model].filter(Boolean).join(' '); }

function render(stats, tz) {
  const t = stats.totals;
  const scope = $('stats-scope').value ? ' through this link' : ' in all';
  $('totals').textContent = `${t.images} images, ${t.uploads} uploads${scope}`;
  $('days-tz').textContent = tz;
  const days = stats.uploads_per_day;
  draw('chart-days', {
    type: 'bar',
    data: { labels: days.map((d) => d.date.slice(5)), datasets: [{ label: 'Uploads', data: days.map((d) => d.count), backgroundColor: COLORS[0] }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const formats = stats.formats;
  $('top-format').textContent = stats.most_popular_format ? short(stats.most_popular_format.format, 20) : 'none yet';
  draw('chart-formats', {
    type: 'doughnut',
    data: { labels: formats.map((f) => short(f.format, 20)), datasets: [{ data: formats.map((f) => f.count), backgroundColor: COLORS }] },
    options: { plugins: { legend: { position: 'right' } } },
  });
  fillList($('formats-list'), formats.map((f) => `${short(f.format, 20)}: ${f.count}`));
  const cameras = stats.top_cameras;
  draw('chart-cameras', {
    type: 'bar',
    data: { labels: cameras.map((c) => short(cameraName(c), 32)), datasets: [{ label: 'Images', data: cameras.map((c) => c.count), backgroundColor: COLORS[1] }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  fillList($('cameras-list'), cameras.map((c) => `${short(cameraName(c), 80)}: ${c.count}`));
  $('unknown-camera').textContent = stats.unknown_camera;
}

async function fillScopes(api, selected) {
  const select = $('stats-scope');
  if (!linksLoaded) {
    const page = await api('/v1/links?limit=100');
    for (const link of page.links) {
      const option = document.createElement('option');
      option.value = link.id;
      option.textContent = short(link.label || `(no label) ${link.id.slice(0, 8)}`, 50);
      select.append(option);
    }
    linksLoaded = true;
  }
  if (selected && ![...select.options].some((o) => o.value === selected)) {
    const option = document.createElement('option');
    option.value = selected;
    option.textContent = `link ${selected.slice(0, 8)}`;
    select.append(option);
  }
  select.value = selected || '';
}

function fillZones() {
  const list = $('zones');
  if (list.children.length || !Intl.supportedValuesOf) return;
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    const option = document.createElement('option');
    option.value = zone;
    list.append(option);
  }
}

// The statistics of the scope and time zone the form shows now.
export async function reloadStats() {
  if (!currentApi) return;
  const tz = $('tz').value.trim() || browserZone();
  const scope = $('stats-scope').value;
  const query = `?tz=${encodeURIComponent(tz)}${scope ? `&link_id=${encodeURIComponent(scope)}` : ''}`;
  render(await currentApi(`/v1/stats${query}`), tz);
}

// Opens the screen for one link (linkId) or all of them (''), asking through api.
export async function openStats(api, linkId) {
  currentApi = api;
  linksLoaded = false;
  $('stats-scope').replaceChildren(new Option('all links', ''));
  fillZones();
  if (!$('tz').value) $('tz').value = browserZone();
  await fillScopes(api, linkId);
  await reloadStats();
}
