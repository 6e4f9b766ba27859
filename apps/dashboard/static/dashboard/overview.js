// The overview's numbers and charts, from /api/v1/analytics/ (hourly buckets).
(function () {
  "use strict";
  var charts = {};
  var TERMINAL = ["succeeded", "failed", "timeout", "canceled", "abandoned"];
  var STATUS_COLOURS = {
    succeeded: "#2e9d57", failed: "#d64545", timeout: "#e07b39", canceled: "#8a8f98", abandoned: "#a04040",
    running: "#2f7fd8", requested: "#7d8ca3", scheduled: "#9aa7ba", delayed: "#b0b8c6", canceling: "#c98a1b",
    pending: "#5b9be0", paused: "#c98a1b", pausing: "#d9a54a", resuming: "#5b9be0",
  };

  function textColour() {
    return getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#666";
  }

  async function get(path) {
    var response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(path + ": " + response.status);
    return response.json();
  }

  function hourLabel(iso) {
    var d = new Date(iso);
    return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit" });
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { labels: { color: textColour(), boxWidth: 12 } } },
      scales: {
        x: { ticks: { color: textColour(), maxRotation: 0, autoSkip: true, maxTicksLimit: 8 }, grid: { display: false } },
        y: { ticks: { color: textColour(), precision: 0 }, beginAtZero: true },
      },
    }, config.options || {});
    charts[id] = new window.Chart(canvas, config);
  }

  function set(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  async function load() {
    var hours = document.getElementById("window").value;
    var q = "?hours=" + hours;
    if (document.getElementById("chart-executions")) {
      var ex = await get("/api/v1/analytics/executions/" + q);
      var t = ex.totals;
      set("stat-total", ex.total);
      set("stat-active", Object.keys(t).reduce(function (n, s) { return TERMINAL.indexOf(s) >= 0 ? n : n + t[s]; }, 0));
      set("stat-succeeded", t.succeeded || 0);
      set("stat-failed", (t.failed || 0) + (t.timeout || 0) + (t.abandoned || 0));
      set("stat-failure-rate", ex.failure_rate === null ? "–" : (ex.failure_rate * 100).toFixed(1) + " %");
      var labels = ex.buckets.map(function (b) { return hourLabel(b.hour); });
      var statuses = Object.keys(t).sort();
      draw("chart-executions", {
        type: "bar",
        data: { labels: labels, datasets: statuses.map(function (s) {
          return { label: s, backgroundColor: STATUS_COLOURS[s] || "#999",
            data: ex.buckets.map(function (b) { return b.counts[s] || 0; }) };
        }) },
        options: { scales: { x: { stacked: true, ticks: { color: textColour(), maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ticks: { color: textColour(), precision: 0 } } } },
      });
      draw("chart-failures", {
        type: "line",
        data: { labels: labels, datasets: [{ label: "failed %", borderColor: "#d64545", backgroundColor: "#d6454533", fill: true, tension: 0.2,
          data: ex.buckets.map(function (b) { return b.total ? Math.round((b.failed / b.total) * 1000) / 10 : null; }) }] },
        options: { scales: { x: { ticks: { color: textColour(), maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
          y: { beginAtZero: true, suggestedMax: 100, ticks: { color: textColour() } } } },
      });
      var busiest = await get("/api/v1/analytics/actions/" + q + "&limit=8");
      var body = document.getElementById("busiest");
      body.replaceChildren.apply(body, busiest.actions.map(function (a) {
        var tr = document.createElement("tr");
        [a.action, a.count, a.failed].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        return tr;
      }));
      if (!busiest.actions.length) body.innerHTML = '<tr class="empty"><td colspan="3">No executions in this window.</td></tr>';
    }
    if (document.getElementById("chart-events")) {
      var ev = await get("/api/v1/analytics/events/" + q);
      set("stat-events", ev.total);
      draw("chart-events", {
        type: "line",
        data: { labels: ev.buckets.map(function (b) { return hourLabel(b.hour); }),
          datasets: [{ label: "events", borderColor: "#6b5bd6", backgroundColor: "#6b5bd633", fill: true, tension: 0.2,
            data: ev.buckets.map(function (b) { return b.count; }) }] },
      });
    }
    if (document.getElementById("workers")) {
      var wk = await get("/api/v1/analytics/workers/");
      var rows = document.getElementById("workers");
      rows.replaceChildren.apply(rows, wk.workers.map(function (w) {
        var tr = document.createElement("tr");
        [w.name, w.role, (w.queues || []).join(", "), w.status, w.running,
          w.heartbeat_at ? new Date(w.heartbeat_at).toLocaleTimeString() : "—"].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        return tr;
      }));
      if (!wk.workers.length) rows.innerHTML = '<tr class="empty"><td colspan="6">No workers online.</td></tr>';
      var waiting = Object.keys(wk.queues).map(function (q) { return (q || "(none)") + ": " + wk.queues[q]; });
      set("waiting", waiting.length ? "Waiting per queue — " + waiting.join(", ") : "No executions waiting.");
    }
    document.body.dataset.overview = "loaded";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("window").addEventListener("change", load);
    document.addEventListener("attune:theme", load);
    load().catch(function (e) { console.warn(e); });
    setInterval(function () { if (!document.hidden) load().catch(function () {}); }, 30000);
  });
})();
