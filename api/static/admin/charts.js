// Statistics screen: Chart.js (vendor/chart.umd.min.js) draws; labels that came
// from uploads are shortened, and the lists under the charts use textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const charts = {};
  const COLORS = ["#1f5fbf", "#2e9d5b", "#d98c1f", "#8e44ad", "#c0392b", "#16a2b8", "#7f8c8d", "#b5651d"];
  let linksLoaded = false;

  function short(text, max) {
    const s = String(text == null ? "" : text);
    return s.length > max ? s.slice(0, max - 1) + "…" : s;
  }
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    charts[id] = new Chart($(id), config);
  }

  function fillList(list, rows) {
    list.replaceChildren();
    for (const text of rows) {
      const li = document.createElement("li");
      li.textContent = text;
      list.append(li);
    }
  }

  function cameraName(c) { return [c.make, c.model].filter(Boolean).join(" "); }

  function render(stats, tz) {
    const t = stats.totals;
    const scope = $("stats-scope").value ? " through this link" : " in all";
    $("totals").textContent = t.images + " images, " + t.uploads + " uploads" + scope;
    $("days-tz").textContent = tz;
    const days = stats.uploads_per_day;
    draw("chart-days", {
      type: "bar",
      data: { labels: days.map((d) => d.date.slice(5)), datasets: [{ label: "Uploads", data: days.map((d) => d.count), backgroundColor: COLORS[0] }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    const formats = stats.formats;
    $("top-format").textContent = stats.most_popular_format ? short(stats.most_popular_format.format, 20) : "none yet";
    draw("chart-formats", {
      type: "doughnut",
      data: { labels: formats.map((f) => short(f.format, 20)), datasets: [{ data: formats.map((f) => f.count), backgroundColor: COLORS }] },
      options: { plugins: { legend: { position: "right" } } },
    });
    fillList($("formats-list"), formats.map((f) => short(f.format, 20) + ": " + f.count));
    const cameras = stats.top_cameras;
    draw("chart-cameras", {
      type: "bar",
      data: { labels: cameras.map((c) => short(cameraName(c), 32)), datasets: [{ label: "Images", data: cameras.map((c) => c.count), backgroundColor: COLORS[1] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    fillList($("cameras-list"), cameras.map((c) => short(cameraName(c), 80) + ": " + c.count));
    $("unknown-camera").textContent = stats.unknown_camera;
  }

  async function fillScopes(api, selected) {
    const select = $("stats-scope");
    if (!linksLoaded) {
      const page = await api("/v1/links?limit=100");
      for (const link of page.links) {
        const option = document.createElement("option");
        option.value = link.id;
        option.textContent = short(link.label || "(no label) " + link.id.slice(0, 8), 50);
        select.append(option);
      }
      linksLoaded = true;
    }
    if (selected && ![...select.options].some((o) => o.value === selected)) {
      const option = document.createElement("option");
      option.value = selected;
      option.textContent = "link " + selected.slice(0, 8);
      select.append(option);
    }
    select.value = selected || "";
  }

  function fillZones() {
    const list = $("zones");
    if (list.children.length || !Intl.supportedValuesOf) return;
    for (const zone of Intl.supportedValuesOf("timeZone")) {
      const option = document.createElement("option");
      option.value = zone;
      list.append(option);
    }
  }

  async function load(api) {
    const tz = $("tz").value.trim() || browserZone();
    const scope = $("stats-scope").value;
    const query = "?tz=" + encodeURIComponent(tz) + (scope ? "&link_id=" + encodeURIComponent(scope) : "");
    render(await api("/v1/stats" + query), tz);
  }

  let currentApi = null;
  async function open(api, linkId) {
    currentApi = api;
    linksLoaded = false;
    $("stats-scope").replaceChildren(new Option("all links", ""));
    fillZones();
    if (!$("tz").value) $("tz").value = browserZone();
    await fillScopes(api, linkId);
    await load(api);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = $("stats-form");
    $("stats-scope").addEventListener("change", () => form.requestSubmit());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (currentApi) load(currentApi).catch((err) => {
        const box = $("message");
        box.textContent = err.message;
        box.className = "message";
        box.hidden = false;
      });
    });
  });

  window.InletStats = { open, charts };
})();
