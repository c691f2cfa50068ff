/* Alliance Explorer: the network, panels, timeline and reader, kept in step with the URL.
 *
 * The pages work without this file (every control is a link or a GET form);
 * with it, the view updates in place and every change is pushed to the URL,
 * so reload, back/forward and shared links restore the same view.
 */
(function () {
  "use strict";

  var FILTER_KEYS = ["at", "from", "to", "types", "blocs", "source", "focus", "depth", "min_confidence",
                     "dataset", "include_isolated"];
  var VIEW_KEYS = FILTER_KEYS.concat(["select", "group", "t_from", "t_to"]);

  function currentParams() { return new URLSearchParams(window.location.search); }

  function pick(params, keys) {
    var out = new URLSearchParams();
    keys.forEach(function (key) { var v = params.get(key); if (v) { out.set(key, v); } });
    return out;
  }

  function query(params) { var q = params.toString(); return q ? "?" + q : ""; }

  function panelSlot() { return document.getElementById("panel"); }

  function panelUrl(kind, id, params) {
    return "/" + kind + "s/" + encodeURIComponent(id) + query(pick(params, FILTER_KEYS));
  }

  function loadPanel(kind, id, params) {
    var slot = panelSlot();
    if (!slot || !window.htmx) { return Promise.resolve(); }
    return window.htmx.ajax("GET", panelUrl(kind, id, params), { target: "#panel", swap: "innerHTML" });
  }

  function pushParams(params, push) {
    var url = window.location.pathname + query(pick(params, VIEW_KEYS)) + window.location.hash;
    if (push) { window.history.pushState({}, "", url); } else { window.history.replaceState({}, "", url); }
  }

  /* ---------------------------------------------------------------- network */

  var explorer = null;

  function markTimelineSelection(selection) {
    document.querySelectorAll(".tl-item.is-selected").forEach(function (el) { el.classList.remove("is-selected"); });
    if (!selection) { return; }
    var parts = selection.split(":");
    var item = document.getElementById("tl-" + parts[0] + "-" + parts.slice(1).join(":"));
    if (item) { item.classList.add("is-selected"); }
  }

  function showSelection(selection, focus) {
    markTimelineSelection(selection);
    if (!explorer) { return; }
    var network = explorer.network;
    network.unselectAll();
    if (!selection) { return; }
    var kind = selection.split(":")[0], id = selection.slice(kind.length + 1);
    if (kind === "actor" && explorer.nodes.get(id)) {
      network.selectNodes([id]);
      if (focus) { network.focus(id, { scale: network.getScale(), animation: { duration: 400 } }); }
    } else if (kind === "relation" && explorer.edges.get(id)) {
      network.selectEdges([id]);
    }
  }

  function select(kind, id) {
    var params = currentParams();
    params.set("select", kind + ":" + id);
    pushParams(params, true);
    showSelection(kind + ":" + id, true);
    return loadPanel(kind, id, params);
  }

  function replaceData(dataset, items) {
    var keep = {};
    items.forEach(function (item) { keep[item.id] = true; });
    dataset.remove(dataset.getIds().filter(function (id) { return !keep[id]; }));
    dataset.update(items);
  }

  function updateSummary(meta) {
    var summary = document.querySelector("[data-testid=network-summary]");
    if (!summary) { return; }
    summary.querySelector("[data-count=nodes]").textContent = meta.node_count;
    summary.querySelector("[data-count=edges]").textContent = meta.edge_count;
  }

  /* Apply a whole view state in place: network, timeline, panel, URL. */
  function applyParams(params, push) {
    pushParams(params, push);
    var filterQuery = query(pick(params, FILTER_KEYS));
    var jobs = [];
    if (explorer) {
      jobs.push(fetch(explorer.url + filterQuery, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { return response.json().then(function (body) { throw new Error(body.error.message); }); }
          return response.json();
        })
        .then(function (data) {
          replaceData(explorer.nodes, data.nodes);
          replaceData(explorer.edges, data.edges);
          updateSummary(data.meta);
          explorer.state = params.toString();
          document.body.dataset.networkState = explorer.state;
        })
        .catch(function (error) { showError(error.message); }));
    }
    if (document.getElementById("timeline") && window.htmx) {
      jobs.push(window.htmx.ajax("GET", "/timeline" + query(pick(params, VIEW_KEYS)),
                                 { target: "#timeline", swap: "outerHTML" }));
    }
    var selection = params.get("select");
    if (selection) {
      var kind = selection.split(":")[0];
      jobs.push(loadPanel(kind, selection.slice(kind.length + 1), params));
    }
    return Promise.all(jobs).then(function () { showSelection(selection); syncForm(params); });
  }

  function showError(message) {
    var slot = panelSlot();
    if (!slot) { return; }
    var box = document.createElement("p");
    box.className = "error-note";
    box.setAttribute("role", "alert");
    box.textContent = message;
    slot.prepend(box);
  }

  function initNetwork() {
    var container = document.getElementById("network");
    var dataBlock = document.getElementById("network-data");
    if (!container || !dataBlock || !window.vis) { return; }
    var data = JSON.parse(dataBlock.textContent);
    var nodes = new window.vis.DataSet(data.nodes);
    var edges = new window.vis.DataSet(data.edges);
    var network = new window.vis.Network(container, { nodes: nodes, edges: edges }, data.options);
    explorer = { network: network, nodes: nodes, edges: edges, url: container.dataset.networkUrl,
                 state: currentParams().toString(), select: select, apply: applyParams };
    window.explorer = explorer;
    network.once("afterDrawing", function () {
      network.fit({ animation: false });
      container.dataset.ready = "true";
      showSelection(currentParams().get("select"));
    });
    network.on("click", function (event) {
      if (event.nodes.length) { select("actor", event.nodes[0]); }
      else if (event.edges.length) { select("relation", event.edges[0]); }
    });
    network.on("hoverNode", function () { container.classList.add("is-pointing"); });
    network.on("blurNode", function () { container.classList.remove("is-pointing"); });
    network.on("hoverEdge", function () { container.classList.add("is-pointing"); });
    network.on("blurEdge", function () { container.classList.remove("is-pointing"); });
  }

  /* ------------------------------------------------------- forms and links */

  function formParams(form) {
    var params = currentParams();
    ["types", "blocs", "min_confidence", "source", "focus", "depth", "q"].forEach(function (k) { params.delete(k); });
    var data = new FormData(form);
    var multi = {};
    data.forEach(function (value, key) {
      if (!value) { return; }
      if (key === "types" || key === "blocs") { (multi[key] = multi[key] || []).push(value); }
      else { params.set(key, value); }
    });
    Object.keys(multi).forEach(function (key) { params.set(key, multi[key].join(",")); });
    if (!params.get("focus")) { params.delete("depth"); }
    return params;
  }

  function syncForm(params) {
    var form = document.getElementById("filters");
    if (!form) { return; }
    var depth = form.querySelector("[name=depth]");
    if (depth) { depth.disabled = !form.querySelector("[name=focus]").value; }
  }

  function onFilterSubmit(event) {
    var form = event.target.closest("#filters");
    if (!form || !explorer) { return; }
    event.preventDefault();
    var params = formParams(form);
    var search = params.get("q");
    params.delete("q");
    if (search) {
      var match = findActor(search);
      if (match) { params.set("select", "actor:" + match); }
      else { showError("No actor is called “" + search + "”."); }
    }
    applyParams(params, true);
  }

  function findActor(text) {
    var wanted = text.trim().toLowerCase();
    var options = document.querySelectorAll("#actor-names option");
    var byName = {};
    if (!explorer) { return null; }
    explorer.nodes.forEach(function (node) { byName[node.label.toLowerCase()] = node.id; });
    if (byName[wanted]) { return byName[wanted]; }
    for (var i = 0; i < options.length; i += 1) {
      if (options[i].value.toLowerCase() === wanted) {
        var label = options[i].getAttribute("label") || "";
        var name = label.split(" → ")[1];
        if (name && byName[name.toLowerCase()]) { return byName[name.toLowerCase()]; }
      }
    }
    return null;
  }

  function onChange(event) {
    var target = event.target;
    if (target.id === "as-of-slider") {
      var months = target.dataset.months.split(",");
      var params = currentParams();
      params.set("at", months[Number(target.value)]);
      applyParams(params, true);
      return;
    }
    if (target.closest("#filters") && explorer && target.name !== "q") {
      syncForm(currentParams());
      applyParams(formParams(target.closest("#filters")), true);
    }
  }

  function onInput(event) {
    var target = event.target;
    if (target.id === "as-of-slider") {
      var months = target.dataset.months.split(",");
      var box = document.getElementById("as-of-date");
      if (box) { box.value = months[Number(target.value)]; }
      target.setAttribute("aria-valuetext", months[Number(target.value)]);
    }
  }

  function onSubmit(event) {
    var form = event.target;
    if (form.id === "filters") { onFilterSubmit(event); return; }
    if (form.classList.contains("as-of") && explorer) {
      event.preventDefault();
      var value = form.querySelector("[name=at]").value.trim();
      var params = currentParams();
      if (value) { params.set("at", value); } else { params.delete("at"); }
      applyParams(params, true);
    }
  }

  function onClick(event) {
    var link = event.target.closest("a");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    if (link.hasAttribute("data-select") && panelSlot()) {
      event.preventDefault();
      event.stopPropagation();
      var value = link.getAttribute("data-select");
      var kind = value.split(":")[0];
      select(kind, value.slice(kind.length + 1));
      return;
    }
    if (explorer && (link.hasAttribute("data-timeline-nav") || link.classList.contains("as-of-clear"))) {
      event.preventDefault();
      var params = new URL(link.href, window.location.href).searchParams;
      var keep = currentParams();
      keep.forEach(function (value, key) { if (!params.has(key) && !(link.classList.contains("as-of-clear") && key === "at")) { params.set(key, value); } });
      applyParams(params, true);
    }
  }

  /* ----------------------------------------------------------------- reader */

  function showSupports(mark) {
    var slot = document.getElementById("reader-supports");
    var template = document.getElementById("passage-supports");
    if (!slot || !template) { return; }
    var ids = (mark.dataset.passages || "").split(" ");
    slot.replaceChildren();
    ids.forEach(function (id) {
      var section = template.content.querySelector('[data-passage="' + id + '"]');
      if (section) { slot.appendChild(section.cloneNode(true)); }
    });
    document.querySelectorAll("mark.hl.is-active").forEach(function (m) { m.classList.remove("is-active"); });
    document.querySelectorAll("mark.hl").forEach(function (m) {
      var mine = (m.dataset.passages || "").split(" ");
      if (mine.some(function (p) { return ids.indexOf(p) !== -1; })) { m.classList.add("is-active"); }
    });
  }

  function flashPassage() {
    var match = /^#p-(\d+)$/.exec(window.location.hash);
    if (!match) { return; }
    var marks = Array.prototype.filter.call(document.querySelectorAll("mark.hl"), function (m) {
      return (m.dataset.passages || "").split(" ").indexOf(match[1]) !== -1;
    });
    if (!marks.length) { return; }
    marks.forEach(function (m) { m.classList.add("flash"); });
    marks[0].scrollIntoView({ block: "center" });
    showSupports(marks[0]);
    var only = document.querySelector('#reader-supports [data-passage="' + match[1] + '"]');
    if (only) { document.getElementById("reader-supports").replaceChildren(only); }
  }

  function onReaderClick(event) {
    if (event.target.closest("a")) { return; }
    var mark = event.target.closest("mark.hl[data-passages]");
    if (mark) { showSupports(mark); }
  }

  function onKeydown(event) {
    if ((event.key === "Enter" || event.key === " ") && event.target.matches && event.target.matches("mark.hl[data-passages]")) {
      event.preventDefault();
      showSupports(event.target);
    }
  }

  /* ------------------------------------------------------------------ start */

  function start() {
    initNetwork();
    syncForm(currentParams());
    flashPassage();
    document.addEventListener("click", onClick, true);
    document.addEventListener("click", onReaderClick);
    document.addEventListener("keydown", onKeydown);
    document.addEventListener("change", onChange);
    document.addEventListener("input", onInput);
    document.addEventListener("submit", onSubmit);
    window.addEventListener("popstate", function () {
      if (explorer) { applyParams(currentParams(), false); return; }
      var selection = currentParams().get("select");
      if (selection && panelSlot()) {
        var kind = selection.split(":")[0];
        loadPanel(kind, selection.slice(kind.length + 1), currentParams());
      }
    });
    window.addEventListener("hashchange", flashPassage);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
