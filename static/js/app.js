/* Alliance Explorer: the network, panels, timeline and reader, kept in step with the URL.
 *
 * The pages work without this file (every control is a link or a GET form);
 * with it, the view updates in place and every change is pushed to the URL,
 * so reload, back/forward and shared links restore the same view.
 */
(function () {
  "use strict";

  var FILTER_KEYS = ["at", "from", "to", "types", "blocs", "source", "focus", "depth", "min_confidence",
                     "min_sources", "voice", "speaker", "dataset", "include_isolated"];
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
    refreshExportLinks(params);
  }

  /* Download links export what is shown: keep their filters in step with the URL. */
  function refreshExportLinks(params) {
    var filterQuery = query(pick(params, FILTER_KEYS));
    document.querySelectorAll("a[data-export]").forEach(function (link) {
      link.href = new URL(link.href, window.location.href).pathname + filterQuery;
    });
  }

  /* A <details data-menu> closes on Escape, on a click outside it, and once a link in it is chosen. */
  function closeMenus(event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      var inside = event.type === "click" && menu.contains(event.target);
      if (event.type === "keydown" ? event.key === "Escape" : !inside || event.target.closest("a")) {
        menu.open = false;
        if (event.type === "keydown" && menu.contains(document.activeElement)) { menu.querySelector("summary").focus(); }
      }
    });
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

  /* The explorer page updates in place; elsewhere (the analysis page) the
   * network is a figure: controls navigate and clicks open the explorer. */
  function isLive() { return Boolean(explorer && panelSlot()); }

  function showSelection(selection, focus) {
    markTimelineSelection(selection);
    if (!explorer || !explorer.network) { return; }
    var network = explorer.network;
    network.unselectAll();
    if (!selection) { return; }
    var kind = selection.split(":")[0], id = selection.slice(kind.length + 1);
    if (kind === "actor" && explorer.nodes.get(id)) {
      network.selectNodes([id]);
      // A large network repaints slowly: moving to the actor in one step, not in an animation's 24.
      if (focus) { network.focus(id, { scale: network.getScale(), animation: explorer.large ? false : { duration: 400 } }); }
    } else if (kind === "relation" && explorer.edges.get(id)) {
      network.selectEdges([id]);
    }
  }

  /* Select a record: the panel, the URL, the network (moved to it unless it was clicked there). */
  function select(kind, id, clicked) {
    var params = currentParams();
    params.set("select", kind + ":" + id);
    pushParams(params, true);
    showSelection(kind + ":" + id, !clicked);
    return loadPanel(kind, id, params).then(function () {
      // Where the panel sits under the chart (the timeline page on most screens), bring it into view.
      var slot = panelSlot();
      if (slot && slot.getBoundingClientRect().top > window.innerHeight - 80) { slot.scrollIntoView({ block: "start" }); }
    });
  }

  /* Bring a vis DataSet to ``items``, touching only what changed (a large network has thousands of
     items, and each one vis-network re-creates costs). A changed item is replaced whole, so that an
     option it no longer has (a halo, a label size) does not linger. ``drawn`` holds each item's JSON. */
  function replaceData(dataset, drawn, items) {
    var fresh = {}, changed = [], stale = [];
    items.forEach(function (item) {
      var text = JSON.stringify(item);
      fresh[item.id] = text;
      if (drawn[item.id] !== text) { changed.push(item); }
    });
    Object.keys(drawn).forEach(function (id) {
      if (fresh[id] !== drawn[id]) { stale.push(id); }
    });
    dataset.remove(stale);
    dataset.add(changed);
    return fresh;
  }

  function drawnItems(items) {
    var drawn = {};
    items.forEach(function (item) { drawn[item.id] = JSON.stringify(item); });
    return drawn;
  }

  function updateSummary(meta) {
    var summary = document.querySelector("[data-testid=network-summary]");
    if (!summary) { return; }
    summary.querySelector("[data-count=nodes]").textContent = meta.node_count;
    summary.querySelector("[data-count=edges]").textContent = meta.edge_count;
    var partial = summary.querySelector("[data-drawn]");
    if (partial) {
      partial.hidden = meta.drawn_edge_count >= meta.edge_count;
      partial.querySelector("[data-count=drawn]").textContent = meta.drawn_edge_count;
    }
    var undated = summary.querySelector("[data-undated]");
    if (undated) {
      undated.hidden = !(meta.filter && meta.filter.at && meta.undated_count);
      undated.querySelector("[data-count=undated]").textContent = meta.undated_count;
    }
  }

  /* Apply a whole view state in place: network, timeline, panel, URL. */
  function applyParams(params, push, keepPanel) {
    pushParams(params, push);
    var filterQuery = query(pick(params, FILTER_KEYS));
    var jobs = [];
    if (explorer) {
      // Moving the slider quickly sends several requests: only the latest may draw the network.
      var ticket = explorer.ticket = (explorer.ticket || 0) + 1;
      jobs.push(fetch(explorer.url + filterQuery, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            return response.json().catch(function () { return { error: { message: "The network could not be loaded (" + response.status + ")." } }; })
              .then(function (body) { throw new Error(body.error.message); });
          }
          return response.json();
        })
        .then(function (data) {
          if (ticket !== explorer.ticket) { return; }
          var options = JSON.stringify(data.options);
          if (options !== explorer.options) {
            if (explorer.network) { explorer.network.setOptions(data.options); }
            explorer.options = options;
          }
          explorer.large = Boolean(data.meta.large);
          explorer.drawn.nodes = replaceData(explorer.nodes, explorer.drawn.nodes, data.nodes);
          explorer.drawn.edges = replaceData(explorer.edges, explorer.drawn.edges, data.edges);
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
    if (selection && !keepPanel) {
      var kind = selection.split(":")[0];
      jobs.push(loadPanel(kind, selection.slice(kind.length + 1), params));
    }
    return Promise.all(jobs).then(function () { showSelection(selection); syncForm(params); });
  }

  function showError(message) {
    var slot = panelSlot();
    if (!slot) { return; }
    slot.querySelectorAll(".error-note").forEach(function (old) { old.remove(); });
    var box = document.createElement("p");
    box.className = "error-note";
    box.setAttribute("role", "alert");
    box.textContent = message;
    slot.prepend(box);
  }

  /* A small network comes inside the page; a large one is fetched (compressed, cached on the server). */
  function initNetwork() {
    var container = document.getElementById("network");
    if (!container || !window.vis) { return; }
    var dataBlock = document.getElementById("network-data");
    if (dataBlock) { drawNetwork(container, JSON.parse(dataBlock.textContent)); return; }
    if (!container.dataset.networkUrl) { return; }
    container.setAttribute("aria-busy", "true");
    fetch(container.dataset.networkUrl + query(pick(currentParams(), FILTER_KEYS)), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("The network could not be loaded (" + response.status + ")."); }
        return response.json();
      })
      .then(function (data) { container.removeAttribute("aria-busy"); drawNetwork(container, data); })
      .catch(function (error) { container.removeAttribute("aria-busy"); showError(error.message); });
  }

  function drawNetwork(container, data) {
    // The data first, the network once the font has come: vis-network measures a label when it first
    // draws it (the server spaced the labels in the bundled font), and a network made before its data
    // would draw again for every batch added (seconds at 5,000 actors).
    var nodes = new window.vis.DataSet(data.nodes);
    var edges = new window.vis.DataSet(data.edges);
    explorer = { network: null, nodes: nodes, edges: edges, url: container.dataset.networkUrl,
                 state: currentParams().toString(), select: select, apply: applyParams,
                 options: JSON.stringify(data.options), large: Boolean(data.meta.large),
                 drawn: { nodes: drawnItems(data.nodes), edges: drawnItems(data.edges) } };
    window.explorer = explorer;
    var font = data.options.nodes.font;
    var fontLoaded = document.fonts ? document.fonts.load(font.size + "px " + font.face,
      data.nodes.map(function (node) { return node.label; }).join(" ")) : Promise.resolve();
    fontLoaded.catch(function () {}).then(function () {
      // The options of the latest view (a newer one may have come meanwhile, and changed the data).
      var network = new window.vis.Network(container, { nodes: nodes, edges: edges }, JSON.parse(explorer.options));
      explorer.network = network;
      network.once("afterDrawing", function () {
        network.fit({ animation: false });
        container.dataset.ready = "true";
        showSelection(currentParams().get("select"));
      });
      network.redraw();
      listen(container, network);
    });
  }

  function listen(container, network) {
    network.on("click", function (event) {
      var kind = event.nodes.length ? "actor" : event.edges.length ? "relation" : null;
      if (!kind) { return; }
      var id = kind === "actor" ? event.nodes[0] : event.edges[0];
      if (isLive()) { select(kind, id, true); return; }
      var params = pick(currentParams(), FILTER_KEYS);
      params.set("select", kind + ":" + id);
      window.location.assign("/" + query(params));
    });
    network.on("hoverNode", function () { container.classList.add("is-pointing"); });
    network.on("blurNode", function () { container.classList.remove("is-pointing"); });
    network.on("hoverEdge", function () { container.classList.add("is-pointing"); });
    network.on("blurEdge", function () { container.classList.remove("is-pointing"); });
  }

  /* ------------------------------------------------------- forms and links */

  function formParams(form) {
    var params = currentParams();
    ["types", "blocs", "min_confidence", "min_sources", "voice", "speaker", "source", "focus", "depth", "q"]
      .forEach(function (k) { params.delete(k); });
    var data = new FormData(form);
    var multi = {};
    data.forEach(function (value, key) {
      if (!value) { return; }
      if (key === "types" || key === "blocs" || key === "voice") { (multi[key] = multi[key] || []).push(value); }
      else { params.set(key, value); }
    });
    Object.keys(multi).forEach(function (key) { params.set(key, multi[key].join(",")); });
    if (!params.get("focus")) { params.delete("depth"); }
    return params;
  }

  /* The time bar follows the URL's date, however it changed (Play, the slider, back and forward). */
  function syncTimeBar(params) {
    var at = params.get("at") || "";
    var box = document.getElementById("as-of-date");
    if (box && document.activeElement !== box) { box.value = at; }
    var slider = document.getElementById("as-of-slider");
    if (slider) {
      var months = slider.dataset.months.split(",");
      var index = at ? months.indexOf(at.slice(0, 7)) : months.length - 1;
      if (index < 0) { index = at < months[0] ? 0 : months.length - 1; }
      slider.value = String(index);
      slider.setAttribute("aria-valuetext", at || "all time");
    }
    var clear = document.querySelector("[data-testid=as-of-clear]");
    if (clear) { clear.classList.toggle("is-active", !at); }
  }

  /* Play: step the date through the events (or month by month) from the one shown, redrawing in place. */
  var playing = null;
  function playStops(button) {
    var step = document.querySelector("[data-play-step]");
    if (step && step.value === "month") { return document.getElementById("as-of-slider").dataset.months.split(","); }
    return button.dataset.stopsEvent ? button.dataset.stopsEvent.split(",") : [];
  }
  function setPlaying(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.querySelector(".play-icon").textContent = on ? "❚❚" : "▶";
    button.querySelector(".play-label").textContent = on ? "Pause" : "Play";
  }
  function stopPlay() {
    if (!playing) { return; }
    window.clearTimeout(playing.timer);
    setPlaying(playing.button, false);
    playing = null;
  }
  function playStep() {
    if (!playing) { return; }
    if (playing.index >= playing.stops.length) { stopPlay(); return; }
    var at = playing.stops[playing.index];
    playing.index += 1;
    var params = currentParams();
    params.set("at", at);
    var status = document.querySelector("[data-play-status]");
    if (status) { status.textContent = "As of " + at; }
    var run = playing;
    applyParams(params, false).then(function () {
      if (playing === run) { run.timer = window.setTimeout(playStep, run.delay); }
    });
  }
  function togglePlay(button) {
    if (playing) { stopPlay(); return; }
    if (!isLive()) {
      // Away from the explorer (the timeline page) the date is a link: go to the first stop there.
      var away = playStops(button);
      if (away.length) { var p = currentParams(); p.set("at", away[0]); window.location.search = p.toString(); }
      return;
    }
    var stops = playStops(button);
    if (!stops.length) { return; }
    var current = currentParams().get("at");
    var index = current ? stops.findIndex(function (stop) { return stop > current; }) : 0;
    playing = { button: button, stops: stops, index: index < 0 ? 0 : index, timer: null,
                delay: stops.length > 24 ? 450 : 1400 };
    setPlaying(button, true);
    playStep();
  }

  function syncForm(params) {
    syncTimeBar(params);
    var form = document.getElementById("filters");
    if (!form) { return; }
    var depth = form.querySelector("[name=depth]");
    if (depth) { depth.disabled = !form.querySelector("[name=focus]").value; }
  }

  function onFilterSubmit(event) {
    var form = event.target.closest("#filters");
    if (!form || !isLive()) { return; }
    event.preventDefault();
    var params = formParams(form);
    var search = params.get("q");
    params.delete("q");
    var missing = null;
    if (search) {
      var match = findActor(search);
      if (match) { params.set("select", "actor:" + match); } else { missing = search; }
    }
    var searchError = document.getElementById("search-error");
    if (searchError) {
      searchError.textContent = missing ? "No actor is called “" + missing + "”. Try a name or alias from the list." : "";
      searchError.hidden = !missing;
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
      stopPlay();
      var months = target.dataset.months.split(",");
      var params = currentParams();
      params.set("at", months[Number(target.value)]);
      applyParams(params, true);
      return;
    }
    if (target.closest("#filters") && isLive() && target.name !== "q") {
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
    if (form.classList.contains("as-of") && isLive()) {
      event.preventDefault();
      stopPlay();
      var value = form.querySelector("[name=at]").value.trim();
      var params = currentParams();
      if (value) { params.set("at", value); } else { params.delete("at"); }
      applyParams(params, true);
    }
  }

  function onClick(event) {
    var play = event.target.closest("[data-play]");
    if (play) { togglePlay(play); return; }
    var triangle = event.target.closest("[data-triangle-nodes]");
    if (triangle) { showTriangle(triangle); return; }
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
    if (isLive() && (link.hasAttribute("data-timeline-nav") || link.classList.contains("as-of-clear"))) {
      event.preventDefault();
      var params = new URL(link.href, window.location.href).searchParams;
      var keep = currentParams();
      keep.forEach(function (value, key) { if (!params.has(key) && !(link.classList.contains("as-of-clear") && key === "at")) { params.set(key, value); } });
      applyParams(params, true);
    }
  }

  /* --------------------------------------------------------------- analysis */

  function showTriangle(button) {
    var card = button.closest("[data-testid=tension]");
    document.querySelectorAll("[data-testid=tension].is-active").forEach(function (el) { el.classList.remove("is-active"); });
    if (card) { card.classList.add("is-active"); }
    if (!explorer || !explorer.network) { return; }
    var nodes = button.dataset.triangleNodes.split(",");
    var edges = button.dataset.triangleEdges.split(",").filter(function (id) { return explorer.edges.get(id); });
    explorer.network.setSelection({ nodes: nodes, edges: edges }, { unselectAll: true, highlightEdges: false });
    explorer.network.fit({ nodes: nodes, animation: { duration: 400 } });
    var box = document.getElementById("network").getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) {
      document.getElementById("network").scrollIntoView({ block: "nearest" });
    }
    document.body.dataset.triangle = nodes.join(",");
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

  /* ------------------------------------------------------------ annotating */

  /* Character offsets of a DOM position within the article's text (the page renders the
   * source text verbatim, so these are offsets into the source). */
  function textOffset(container, node, offset) {
    var range = document.createRange();
    range.setStart(container, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function currentSelection() {
    var article = document.querySelector("[data-testid=article-text]");
    var selection = window.getSelection();
    if (!article || !selection || selection.isCollapsed || !selection.rangeCount) { return null; }
    var range = selection.getRangeAt(0);
    if (!article.contains(range.startContainer) || !article.contains(range.endContainer)) { return null; }
    var start = textOffset(article, range.startContainer, range.startOffset);
    var end = textOffset(article, range.endContainer, range.endOffset);
    var text = article.textContent;
    // A triple-click or a sloppy drag takes white space at the ends: the note is about the words.
    while (start < end && /\s/.test(text.charAt(start))) { start += 1; }
    while (end > start && /\s/.test(text.charAt(end - 1))) { end -= 1; }
    var exact = text.slice(start, end);
    if (!exact) { return null; }
    return { start: start, end: end, exact: exact, rect: range.getBoundingClientRect() };
  }

  var pendingSelection = null;

  function onSelectionEnd() {
    var button = document.getElementById("annotate-button");
    if (!button) { return; }
    var claims = document.getElementById("claim-actions");
    pendingSelection = currentSelection();
    if (!pendingSelection) {
      button.hidden = true;
      if (claims) { claims.hidden = true; }
      return;
    }
    button.hidden = false;
    // Measured now, against the margin: both move together if the page scrolls before "Annotate".
    var margin = document.getElementById("reader-margin").getBoundingClientRect();
    pendingSelection.top = Math.max(0, pendingSelection.rect.top - margin.top);
    button.style.top = pendingSelection.top + "px";
    if (claims) {
      claims.hidden = false;
      claims.style.top = (pendingSelection.top + button.offsetHeight + 6) + "px";
    }
  }

  /* Curate: the selection becomes a new relation or event, or evidence of one, in the side panel. */
  function openClaim(kind) {
    var claims = document.getElementById("claim-actions");
    if (!claims || !pendingSelection || !window.htmx) { return; }
    var url = claims.dataset[kind + "Url"] + (kind === "attach"
      ? "?start=" + pendingSelection.start + "&end=" + pendingSelection.end
      : "?passage=" + encodeURIComponent(claims.dataset.source + ":" + pendingSelection.start + "-" + pendingSelection.end));
    claims.hidden = true;
    document.getElementById("annotate-button").hidden = true;
    window.getSelection().removeAllRanges();
    window.htmx.ajax("GET", url, { target: "#panel", swap: "innerHTML" }).then(function () {
      var slot = document.getElementById("panel");
      if (slot) { slot.scrollIntoView({ block: "nearest" }); }
    });
  }

  /* A refusal htmx does not swap in (a record deleted meanwhile, a session that ended, a body too
   * large, no permission) still says why, in a notice the user cannot miss. */
  function responseMessage(xhr) {
    var text = xhr.responseText || "";
    try { return JSON.parse(text).error.message; } catch (ignored) { /* not JSON: an error page */ }
    var page = new DOMParser().parseFromString(text, "text/html").querySelector(".error-message");
    return page && page.textContent.trim() ? page.textContent.trim() : "The server refused this (" + xhr.status + ").";
  }

  function showToast(message) {
    var toast = document.getElementById("toast");
    if (!toast) {
      toast = document.createElement("div");
      toast.id = "toast";
      toast.className = "toast";
      toast.setAttribute("role", "alert");
      toast.dataset.testid = "toast";
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link-button";
      close.textContent = "Dismiss";
      close.addEventListener("click", function () { toast.hidden = true; });
      toast.appendChild(document.createElement("span"));
      toast.appendChild(close);
      document.body.appendChild(toast);
    }
    var hint = "";
    if (/CSRF|log in|login/i.test(message)) { hint = " Log in again in another tab, then save: your form is kept."; }
    toast.firstChild.textContent = message + hint;
    toast.hidden = false;
  }

  /* After a swap, the message it brings (saved, refused, undo) is scrolled into view. */
  function revealMessage(event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector) { return; }
    var message = target.querySelector("[data-testid=panel-notice], .form-error, .conflict-message, .field-error");
    if (message && message.scrollIntoView) { message.scrollIntoView({ block: "nearest" }); }
  }

  /* Select text[start:end] of the article, scroll to it, and offer what to do with it. */
  function selectSpan(start, end, scroll) {
    var article = document.querySelector("[data-testid=article-text]");
    if (!article) { return; }
    var walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    var range = document.createRange(), seen = 0, started = false;
    while (walker.nextNode()) {
      var node = walker.currentNode, length = node.data.length;
      if (!started && start < seen + length) { range.setStart(node, start - seen); started = true; }
      if (started && end <= seen + length) { range.setEnd(node, end - seen); break; }
      seen += length;
    }
    if (!started) { return; }
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    if (scroll !== false) { range.startContainer.parentElement.scrollIntoView({ block: "center" }); }
    onSelectionEnd();
  }

  /* A search hit opens the reader on its sentence (#t-START-END), selected. */
  function selectFromHash() {
    var match = /^#t-(\d+)-(\d+)$/.exec(window.location.hash);
    if (match) { selectSpan(parseInt(match[1], 10), parseInt(match[2], 10)); }
  }

  /* The keyboard in the article: arrows select sentence by sentence, Enter moves to the actions. */
  var sentenceIndex = -1;
  function onArticleKey(event) {
    var article = event.target.closest && event.target.closest("[data-testid=article-text]");
    if (!article || !article.dataset.sentences) { return; }
    var spans = article.dataset.sentences.split(" ").map(function (pair) { return pair.split("-").map(Number); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      sentenceIndex = Math.max(0, Math.min(spans.length - 1, sentenceIndex + (event.key === "ArrowDown" ? 1 : -1)));
      selectSpan(spans[sentenceIndex][0], spans[sentenceIndex][1]);
      article.focus({ preventScroll: true });
    } else if (event.key === "Enter" && pendingSelection) {
      event.preventDefault();
      var first = document.querySelector("#claim-actions:not([hidden]) button") ||
        document.querySelector("#annotate-button:not([hidden])");
      if (first) { first.focus(); }
    }
  }

  /* After an edit in the reader, its highlights follow (the new passage is marked at once). */
  /* A selection made while the refresh was on its way is kept: the new text is the same text. */
  var keptSelection = null;
  function refreshReader() {
    var reader = document.querySelector("[data-testid=reader]");
    if (!reader || !window.htmx) { return; }
    window.htmx.ajax("GET", window.location.pathname, { target: "[data-testid=reader]", select: "[data-testid=reader]", swap: "outerHTML" })
      .then(function () {
        if (keptSelection) { selectSpan(keptSelection.start, keptSelection.end, false); }
        keptSelection = null;
      });
  }
  function keepReaderSelection(event) {
    var target = event.detail && event.detail.target;
    if (target && target.matches && target.matches("[data-testid=reader]")) { keptSelection = currentSelection(); }
  }

  function openAnnotateForm() {
    var form = document.getElementById("annotate-form");
    if (!form || !pendingSelection) { return; }
    form.querySelector("[name=exact]").value = pendingSelection.exact;
    form.querySelector("[name=start]").value = pendingSelection.start;
    form.querySelector("[name=end]").value = pendingSelection.end;
    form.querySelector("[data-testid=annotate-quote]").textContent = "“" + pendingSelection.exact + "”";
    form.style.top = pendingSelection.top + "px";
    form.hidden = false;
    document.getElementById("annotate-button").hidden = true;
    form.querySelector("textarea").focus();
  }

  /* Each margin note beside the first words it is about; notes never overlap. */
  function layoutMargin() {
    var list = document.getElementById("margin-notes");
    var article = document.querySelector("[data-testid=article-text]");
    if (!list || !article || window.matchMedia("(max-width: 1100px)").matches) {
      if (list) { list.classList.remove("is-placed"); list.style.height = ""; }
      return;
    }
    list.classList.add("is-placed");
    var origin = list.getBoundingClientRect().top;
    var bottom = 0;
    Array.prototype.forEach.call(list.children, function (note) {
      var span = article.querySelector('.noted[data-notes~="' + note.dataset.note + '"]');
      var wanted = span ? span.getBoundingClientRect().top - origin : bottom;
      var top = Math.max(wanted, bottom);
      note.style.top = top + "px";
      bottom = top + note.offsetHeight + 8;
    });
    list.style.height = bottom + "px";
  }

  function showNote(id) {
    document.querySelectorAll(".noted.is-active, .note.is-active").forEach(function (el) { el.classList.remove("is-active"); });
    document.querySelectorAll('.noted[data-notes~="' + id + '"]').forEach(function (el) { el.classList.add("is-active"); });
    var note = document.getElementById("note-" + id);
    if (note) { note.classList.add("is-active"); }
  }

  function onNotedClick(event) {
    var span = event.target.closest(".noted[data-notes]");
    if (span && !event.target.closest("a, mark")) { showNote(span.dataset.notes.split(" ")[0]); }
  }

  function flashNote() {
    var match = /^#note-([0-9a-f-]+)$/.exec(window.location.hash);
    if (!match) { return; }
    showNote(match[1]);
    var span = document.querySelector('.noted[data-notes~="' + match[1] + '"]');
    if (span) { span.scrollIntoView({ block: "center" }); }
  }

  /* ------------------------------------------------------------------ start */

  function start() {
    document.documentElement.dataset.app = "ready";  // for tests: the listeners below are in place
    initNetwork();
    syncForm(currentParams());
    flashPassage();
    layoutMargin();
    flashNote();
    selectFromHash();
    window.addEventListener("resize", layoutMargin);
    document.addEventListener("mouseup", function () { window.setTimeout(onSelectionEnd, 0); });
    document.addEventListener("keyup", function (event) { if (event.shiftKey) { onSelectionEnd(); } });
    document.addEventListener("click", onNotedClick);
    document.addEventListener("click", function (event) {
      if (event.target.closest("#annotate-button")) { openAnnotateForm(); }
      var claim = event.target.closest("[data-claim]");
      if (claim) { openClaim(claim.dataset.claim); }
      if (event.target.closest("[data-clear-panel]")) {
        var form = event.target.closest("#record-edit");
        if (form) { form.remove(); }
      }
      if (event.target.closest("[data-annotate-cancel]")) { document.getElementById("annotate-form").hidden = true; }
    });
    document.body.addEventListener("htmx:afterSettle", layoutMargin);
    // An edit was saved (the panel that answered shows it): redraw the network and the timeline.
    document.body.addEventListener("records-changed", function (event) {
      // A delete or a merge says which record the URL should now select ("" for none).
      var detail = event.detail || {};
      if (isLive()) {
        var params = currentParams();
        if (typeof detail.select === "string") {
          if (detail.select) { params.set("select", detail.select); } else { params.delete("select"); }
        }
        applyParams(params, false, true);
      }
      refreshReader();
    });
    // A new alias: the reader marks its mentions (the candidates slot already shows the new list).
    document.body.addEventListener("mentions-changed", refreshReader);
    document.body.addEventListener("htmx:responseError", function (event) {
      if (event.detail && event.detail.xhr) { showToast(responseMessage(event.detail.xhr)); }
    });
    document.body.addEventListener("htmx:afterSwap", revealMessage);
    document.body.addEventListener("htmx:beforeSwap", keepReaderSelection);
    document.addEventListener("click", onClick, true);
    document.addEventListener("click", onReaderClick);
    document.addEventListener("keydown", onKeydown);
    document.addEventListener("change", onChange);
    document.addEventListener("input", onInput);
    document.addEventListener("submit", onSubmit);
    document.addEventListener("click", closeMenus);
    document.addEventListener("keydown", closeMenus);
    window.addEventListener("popstate", function () {
      if (isLive()) { applyParams(currentParams(), false); return; }
      var selection = currentParams().get("select");
      if (selection && panelSlot()) {
        var kind = selection.split(":")[0];
        loadPanel(kind, selection.slice(kind.length + 1), currentParams());
      }
    });
    window.addEventListener("hashchange", flashPassage);
    window.addEventListener("hashchange", flashNote);
    window.addEventListener("hashchange", selectFromHash);
    document.addEventListener("keydown", onArticleKey);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
