// Live updates. The page's #live element holds `hx-ws:connect="/ws/notifications/"`
// (htmx's WebSocket extension keeps the socket open and reconnects) and lists its
// filters in data-subscribe. Notifications are JSON, not HTML: each one is handed to
// the page as an `attune:notification` event, and the page fetches the server-rendered
// fragments it needs. Once every filter is acknowledged the page gets `attune:ready`
// (first connection) or `attune:resync` (after a reconnect: re-fetch, the API holds
// the truth).
(function () {
  "use strict";
  var Attune = (window.Attune = window.Attune || {});
  var connections = 0;
  var waiting = 0;

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  document.addEventListener("htmx:ws:after:connection", function (event) {
    var element = event.target;
    var socket = event.detail.connection.socket;
    var filters = JSON.parse(element.dataset.subscribe || "[]");
    connections += 1;
    waiting = filters.length;
    document.body.dataset.ws = "open";
    filters.forEach(function (filter) {
      socket.send(JSON.stringify({ type: "subscribe", filter: filter }));
    });
  });

  document.addEventListener("htmx:ws:close", function () {
    document.body.dataset.ws = "closed";
  });

  document.addEventListener("htmx:ws:before:message:incoming", function (event) {
    // Handled here: the extension must not swap the message into the page.
    event.detail.cancelled = true;
    event.preventDefault();
    var message;
    try {
      message = JSON.parse(event.detail.message.data);
    } catch (e) {
      return;
    }
    if (message.type === "subscribed" || (message.type === "error" && message.filter)) {
      // Every filter answered (a refused one too: the page still loads what it may).
      waiting -= 1;
      if (waiting === 0) {
        document.body.dataset.subscribed = "true";
        emit(connections > 1 ? "attune:resync" : "attune:ready", {});
      }
    } else if (message.type === "notification") {
      emit("attune:notification", message);
    }
    if (message.type === "error") {
      if (/dropped/.test(message.message || "")) emit("attune:resync", {});
      console.warn("notifications:", message.message);
    }
  });

  // Run `fn` once, `ms` after the first call since it last ran: a burst of
  // notifications costs one fetch, and a steady stream still gets one every `ms`.
  function soon(fn, ms) {
    var timer = null;
    return function () {
      if (timer === null) {
        timer = setTimeout(function () {
          timer = null;
          fn();
        }, ms);
      }
    };
  }

  async function fetchText(url) {
    var response = await fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
    if (response.status === 204) return null;
    if (!response.ok) throw new Error(url + ": " + response.status);
    return response.text();
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  // ---- the executions list ---------------------------------------------------------
  var FIRST_PAGE_ROWS = 200;

  function rowsBody() {
    return document.getElementById("execution-rows");
  }

  function firstPage() {
    return !/(^|&)before=/.test(window.location.search.slice(1));
  }

  var rowFetches = {};

  async function refreshRow(id, insert) {
    var body = rowsBody();
    var query = body.dataset.query ? "?" + body.dataset.query : "";
    var html = await fetchText("/executions/" + id + "/row/" + query);
    var existing = document.getElementById("execution-" + id);
    if (html === null) return;
    var row = fragment(html).firstElementChild;
    if (existing) {
      existing.replaceWith(row);
      return;
    }
    if (!insert) return;
    var empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    var before = Array.prototype.find.call(body.rows, function (r) {
      return Number(r.dataset.id) < id;
    });
    body.insertBefore(row, before || null);
    while (body.rows.length > FIRST_PAGE_ROWS) body.deleteRow(body.rows.length - 1);
  }

  // Changed rows are fetched in batches: a few rows one by one, a burst as one list.
  var BURST = 10;
  var changed = {};
  var flushChanged = soon(function () {
    var ids = Object.keys(changed).map(Number);
    changed = {};
    if (ids.length > BURST) {
      Attune.refreshRows().catch(function (e) { console.warn(e); });
      return;
    }
    ids.forEach(function (id) {
      // Fetches of one row are chained, so a late answer never overwrites a newer one.
      rowFetches[id] = (rowFetches[id] || Promise.resolve())
        .then(function () { return refreshRow(id, !document.getElementById("execution-" + id)); })
        .catch(function (e) { console.warn(e); });
    });
  }, 150);

  Attune.executionList = function (message) {
    if (message.notification_type !== "execution.status_changed") return;
    var id = message.entity_id;
    var existing = document.getElementById("execution-" + id);
    if (existing) {
      var badge = existing.querySelector("[data-testid=row-status]");
      if (badge) {
        badge.textContent = message.payload.status;
        badge.className = "badge s-" + message.payload.status;
      }
    } else if (!firstPage()) {
      return;
    }
    changed[id] = true;
    flushChanged();
  };

  Attune.refreshRows = async function () {
    var body = rowsBody();
    var query = body.dataset.query ? "?" + body.dataset.query : "";
    if (!firstPage()) return;
    var html = await fetchText("/executions/rows/" + query);
    if (html !== null) body.innerHTML = html;
  };

  // ---- one execution ---------------------------------------------------------------
  var TERMINAL = ["succeeded", "failed", "timeout", "canceled", "abandoned"];
  var COLOURS = {
    succeeded: "#2e9d57", failed: "#d64545", timeout: "#d64545", abandoned: "#d64545", canceled: "#8a8f98",
    canceling: "#c98a1b", running: "#2f7fd8", pending: "#2f7fd8", pausing: "#c98a1b", paused: "#c98a1b",
    resuming: "#2f7fd8", requested: "#7d8ca3", scheduled: "#7d8ca3", delayed: "#7d8ca3",
    "not started": "#c5cad3",
  };

  function graphStyle() {
    var dark = document.documentElement.dataset.theme === "dark" ||
      (!document.documentElement.dataset.theme && window.matchMedia("(prefers-color-scheme: dark)").matches);
    var style = [
      { selector: "node", style: {
        "label": "data(label)", "shape": "round-rectangle", "height": 28,
        "width": function (node) { return Math.max(60, String(node.data("label")).length * 7.5 + 24); },
        "text-valign": "center", "text-halign": "center", "font-size": 12, "color": "#fff",
        "background-color": COLOURS["not started"], "text-outline-width": 0,
      } },
      { selector: 'node[status = "not started"]', style: { "color": dark ? "#1b1f24" : "#333" } },
      { selector: "edge", style: {
        "width": 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
        "line-color": dark ? "#5c6470" : "#9aa3ad", "target-arrow-color": dark ? "#5c6470" : "#9aa3ad",
      } },
    ];
    Object.keys(COLOURS).forEach(function (status) {
      if (status !== "not started") {
        style.push({ selector: 'node[status = "' + status + '"]', style: { "background-color": COLOURS[status] } });
      }
    });
    return style;
  }

  function drawGraph(graph) {
    var container = document.getElementById("graph");
    if (!container || !window.cytoscape) return null;
    var elements = graph.nodes.map(function (n) { return { group: "nodes", data: n }; })
      .concat(graph.edges.map(function (e) { return { group: "edges", data: e }; }));
    var cy = window.cytoscape({
      container: container, elements: elements, style: graphStyle(),
      layout: { name: "dagre", rankDir: "LR", nodeSep: 20, rankSep: 50 },
      minZoom: 0.2, maxZoom: 1.5,
      userZoomingEnabled: true, boxSelectionEnabled: false, autoungrabify: true,
    });
    container.dataset.ready = "true";
    document.addEventListener("attune:theme", function () { cy.style(graphStyle()); });
    return cy;
  }

  Attune.executionPage = function (id, isWorkflow) {
    var log = document.getElementById("log");
    var last = 0;
    var loading = null;
    var queued = [];

    function append(chunk) {
      if (chunk.seq <= last) return; // already shown
      last = chunk.seq;
      var span = document.createElement("span");
      span.className = chunk.stream;
      span.textContent = chunk.data; // text, never HTML
      var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.appendChild(span);
      log.dataset.after = String(last);
      if (atBottom) log.scrollTop = log.scrollHeight;
    }

    // Load what exists after the last chunk shown, then the chunks streamed meanwhile.
    var again = false;

    function load() {
      if (loading) {
        again = true; // asked while loading: load once more after, so nothing is missed
        return loading;
      }
      var before = last;
      loading = (async function () {
        for (;;) {
          var response = await fetch("/executions/" + id + "/output/?after=" + last, { credentials: "same-origin" });
          if (!response.ok) break;
          var data = await response.json();
          if (last === 0 && data.chunks.length === 0 && (data.stdout || data.stderr)) {
            if (!log.childNodes.length) {
              [["stdout", data.stdout], ["stderr", data.stderr]].forEach(function (part) {
                if (!part[1]) return;
                var span = document.createElement("span");
                span.className = part[0];
                span.textContent = part[1];
                log.appendChild(span);
              });
            }
            break;
          }
          data.chunks.forEach(append);
          if (!data.more) break;
        }
      })().finally(function () {
        loading = null;
        var pending = queued.sort(function (a, b) { return a.seq - b.seq; });
        queued = [];
        var progressed = last > before;
        pending.forEach(function (chunk) {
          // After a load, the stored output is the truth: a gap it does not fill is real.
          if (chunk.seq === last + 1 || (!progressed && chunk.seq > last)) append(chunk);
          else if (chunk.seq > last + 1) queued.push(chunk);
        });
        log.dataset.loaded = "true";
        if (again || queued.length) {
          again = false;
          load();
        }
      });
      return loading;
    }

    var cy = null;
    var graphData = document.getElementById("graph-data");
    if (graphData) {
      cy = drawGraph(JSON.parse(graphData.textContent));
      window.cy = cy;
    }

    var refreshSummary = soon(async function () {
      try {
        var html = await fetchText("/executions/" + id + "/summary/");
        if (html === null) return;
        var parts = fragment(html);
        ["summary-head", "summary-progress"].forEach(function (name) {
          var part = parts.querySelector('[data-part="' + name + '"]');
          var target = document.getElementById(name);
          if (part && target) target.replaceChildren.apply(target, Array.prototype.slice.call(part.childNodes));
        });
      } catch (e) { console.warn(e); }
    }, 120);

    var refreshGraph = soon(async function () {
      if (!cy) return;
      var response = await fetch("/executions/" + id + "/graph/", { credentials: "same-origin" });
      if (!response.ok) return;
      var data = await response.json();
      if (!data.graph) return;
      data.graph.nodes.forEach(function (node) {
        var element = cy.getElementById(node.id);
        if (element.nonempty()) element.data({ status: node.status, runs: node.runs });
      });
    }, 120);

    // Show what exists now, even without a socket; once subscribed, load again what
    // happened meanwhile (chunks already shown are skipped by their seq).
    load();
    // Subscribed: load what happened before (the page may be older than the socket).
    document.addEventListener("attune:ready", function () {
      load();
      refreshSummary();
      refreshGraph();
    });
    document.addEventListener("attune:resync", function () {
      load();
      refreshSummary();
      refreshGraph();
    });
    document.addEventListener("attune:notification", function (event) {
      var message = event.detail;
      if (message.entity_type !== "execution") return;
      var payload = message.payload || {};
      if (message.notification_type === "execution.output" && message.entity_id === id) {
        if (loading || payload.seq > last + 1) {
          queued.push(payload);
          load();
        } else {
          append(payload);
        }
      } else if (message.notification_type === "execution.status_changed") {
        if (message.entity_id === id) {
          refreshSummary();
          if (isWorkflow) refreshGraph();
          if (TERMINAL.indexOf(payload.status) >= 0) load();
        } else if (payload.parent_id === id) {
          refreshSummary();
          refreshGraph();
        }
      }
    });
  };
})();
