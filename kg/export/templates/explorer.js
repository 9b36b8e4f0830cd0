/* paperkg explorer: search, filters and a side panel over a vis-network graph.
 * Every string from the input reaches the DOM through textContent (or a text node), never as
 * HTML; links are only ever http(s). window.kgView is the page's API (used by the tests). */
(function () {
  "use strict";

  const readJSON = (id) => JSON.parse(document.getElementById(id).textContent);
  const D = readJSON("kg-data");
  const nodes = new vis.DataSet(readJSON("kg-nodes"));
  const edges = new vis.DataSet(readJSON("kg-edges").map((e) =>
    Object.assign({}, e, D.edgeStyles[e.relation] || {}, e.width ? { width: e.width } : {})));
  const options = readJSON("kg-options");
  /* Node and label sizes grow with the log of the number of papers, on the same scale in
   * every page (64 papers or more is the largest), rather than relative to this page. */
  options.nodes.scaling.customScalingFunction = (min, max, total, value) =>
    Math.min(1, Math.log2(Math.max(1, value)) / 6);
  const $ = (id) => document.getElementById(id);
  const container = $("network");

  /* ---------- indexes ---------- */
  const typeStyle = {};
  for (const [t, colour, shape] of D.types) typeStyle[t] = { colour, shape };
  const paperStyle = { colour: D.paper[0], shape: D.paper[1] };
  const styleOf = (id) => (D.papers[id] ? paperStyle
    : typeStyle[(D.entities[id] || {}).t] || { colour: "#888888", shape: "dot" });
  const linksOfEntity = new Map();
  const linksOfPaper = new Map();
  const push = (map, key, value) => {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(value);
  };
  for (const link of D.links) {
    push(linksOfPaper, link[0], link);
    push(linksOfEntity, link[1], link);
  }
  const labelOf = (id) => (D.entities[id] || D.papers[id] || { l: id }).l;
  const safeHref = (url) => (/^https?:\/\//i.test(url || "") ? url : "");

  /* ---------- DOM helpers (text only) ---------- */
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k === "style") Object.assign(e.style, v);
      else if (k === "dataset") Object.assign(e.dataset, v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
  }
  function polygon(n, r1, r2, rotate) {
    const pts = [];
    for (let i = 0; i < n; i++) {
      const r = i % 2 && r2 ? r2 : r1;
      const a = rotate + (2 * Math.PI * i) / n;
      pts.push((10 + r * Math.cos(a)).toFixed(1) + "," + (10 + r * Math.sin(a)).toFixed(1));
    }
    return pts.join(" ");
  }
  function shapeIcon(shape, colour, size) {
    const s = svgEl("svg", { viewBox: "0 0 20 20", width: size || 14, height: size || 14, class: "shape" });
    const up = -Math.PI / 2;
    const shapes = {
      triangle: () => svgEl("polygon", { points: polygon(3, 9.5, 0, up) }),
      triangleDown: () => svgEl("polygon", { points: polygon(3, 9.5, 0, Math.PI / 2) }),
      diamond: () => svgEl("polygon", { points: polygon(4, 9.5, 0, up) }),
      hexagon: () => svgEl("polygon", { points: polygon(6, 9.5, 0, 0) }),
      star: () => svgEl("polygon", { points: polygon(10, 9.8, 4.2, up) }),
      square: () => svgEl("rect", { x: 2.5, y: 2.5, width: 15, height: 15 }),
    };
    const shapeEl = (shapes[shape] || (() => svgEl("circle", { cx: 10, cy: 10, r: 8 })))();
    shapeEl.setAttribute("fill", colour);
    shapeEl.setAttribute("stroke", shape === "square" ? "#8c8178" : colour);
    s.append(shapeEl);
    return s;
  }
  function lineIcon(style) {
    const s = svgEl("svg", { viewBox: "0 0 34 12", width: 34, height: 12, class: "shape" });
    const colour = (style.color && style.color.color) || "#999";
    const line = svgEl("line", { x1: 1, y1: 6, x2: 29, y2: 6, stroke: colour,
      "stroke-width": Math.max(1.2, style.width || 1.5), "stroke-opacity": Math.max(0.6, (style.color || {}).opacity || 1) });
    if (style.dashes) line.setAttribute("stroke-dasharray", "3 3");
    s.append(line);
    if (style.arrows && style.arrows.to && style.arrows.to.enabled) {
      s.append(svgEl("polygon", { points: "33,6 26,2 26,10", fill: colour }));
    }
    return s;
  }
  /* `text` with the [start, end) spans wrapped in <mark>; spans: {start, end, entity?}. */
  function highlighted(text, spans, onEntity) {
    const out = document.createDocumentFragment();
    let at = 0;
    for (const sp of spans.slice().sort((a, b) => a.start - b.start || b.end - a.end)) {
      if (sp.start < at || sp.end <= sp.start || sp.end > text.length) continue;
      out.append(text.slice(at, sp.start));
      const mark = el("mark", { text: text.slice(sp.start, sp.end) });
      if (sp.entity && D.entities[sp.entity]) {
        const colour = styleOf(sp.entity).colour;
        const e = D.entities[sp.entity];
        mark.className = "entity";
        mark.title = e.t + ": " + e.l;
        mark.dataset.entity = sp.entity;
        mark.style.background = colour + "38";
        mark.style.borderBottomColor = colour;
        if (onEntity) mark.addEventListener("click", () => onEntity(sp.entity));
      }
      out.append(mark);
      at = sp.end;
    }
    out.append(text.slice(at));
    return out;
  }

  /* ---------- the network ---------- */
  const network = new vis.Network(container, { nodes, edges }, options);
  const hiddenNow = new Map();
  const state = { hiddenTypes: new Set(), minPapers: 1, showPapers: D.drawn.papers > 0 };
  const api = {
    network, nodes, edges, data: D, state, ready: false, stabilisedMs: null, focused: null,
    panelNode: null, moving: false,
  };
  window.kgView = api;
  window.network = network;

  function visibility() {
    const shown = new Map();
    nodes.forEach((n) => {
      if (n.kind !== "paper") {
        shown.set(n.id, !state.hiddenTypes.has(n.group) && (n.papers || 0) >= state.minPapers);
      }
    });
    nodes.forEach((n) => {
      if (n.kind === "paper") {
        const links = linksOfPaper.get(n.id) || [];
        shown.set(n.id, state.showPapers && (!links.length || links.some((l) => shown.get(l[1]))));
      }
    });
    return shown;
  }
  function applyFilters() {
    const shown = visibility();
    const nodeUpdates = [];
    for (const [id, on] of shown) {
      if (!!hiddenNow.get(id) === on) {
        hiddenNow.set(id, !on);
        nodeUpdates.push({ id, hidden: !on });
      }
    }
    if (nodeUpdates.length) nodes.update(nodeUpdates);
    const edgeUpdates = [];
    edges.forEach((e) => {
      const hide = !(shown.get(e.from) && shown.get(e.to));
      if (!!e.hidden !== hide) edgeUpdates.push({ id: e.id, hidden: hide });
    });
    if (edgeUpdates.length) edges.update(edgeUpdates);
    updateStatus();
  }
  const isShown = (id) => nodes.get(id) !== null && !hiddenNow.get(id);
  api.visibleNodeIds = () => nodes.getIds({ filter: (n) => !hiddenNow.get(n.id) });
  api.setTypeVisible = (type, on) => {
    if (on) state.hiddenTypes.delete(type);
    else state.hiddenTypes.add(type);
    const box = document.querySelector('input[data-type="' + CSS.escape(type) + '"]');
    if (box) box.checked = on;
    applyFilters();
  };
  api.setMinPapers = (n) => {
    state.minPapers = Math.max(1, n | 0);
    $("min-papers").value = state.minPapers;
    $("min-papers-value").textContent = state.minPapers;
    applyFilters();
  };
  api.setShowPapers = (on) => {
    state.showPapers = !!on;
    $("show-papers").checked = state.showPapers;
    applyFilters();
  };

  /* Spotlight: all but `id` and what it leads to (an entity: its papers and their entities;
   * a paper: its entities) is faded; null: nothing is. */
  const FONT = { paper: "#6b6259", entity: "#343434", faded: "rgba(90,90,90,0.13)" };
  let spotlit = null;
  function near(id) {
    const out = new Set([id]);
    for (const [pid] of linksOfEntity.get(id) || []) {
      out.add(pid);
      for (const l of linksOfPaper.get(pid) || []) out.add(l[1]);
    }
    for (const l of linksOfPaper.get(id) || []) out.add(l[1]);
    return out;
  }
  function spotlight(id) {
    if (id === spotlit) return;
    spotlit = api.spotlit = id;
    const keep = id === null ? null : near(id);
    const on = (n) => !keep || keep.has(n);
    const nodeUpdates = [];
    nodes.forEach((n) => nodeUpdates.push({ id: n.id, opacity: on(n.id) ? 1 : 0.12,
      font: { color: on(n.id) ? FONT[n.kind === "paper" ? "paper" : "entity"] : FONT.faded } }));
    nodes.update(nodeUpdates);
    const edgeUpdates = [];
    edges.forEach((e) => {
      const colour = (D.edgeStyles[e.relation] || {}).color || { color: "#999999", opacity: 0.5 };
      edgeUpdates.push({ id: e.id, color: { color: colour.color,
        opacity: on(e.from) && on(e.to) ? colour.opacity : 0.06 } });
    });
    edges.update(edgeUpdates);
  }
  api.spotlight = spotlight;

  function focusNode(id) {
    api.focused = id;
    if (!isShown(id)) {
      network.unselectAll();
      return false;
    }
    network.selectNodes([id], true);
    spotlight(id);
    const panelEl = $("panel");
    network.focus(id, {  // centred in the part of the canvas the side panel leaves free
      scale: Math.max(network.getScale(), 0.6),
      offset: { x: panelEl.hidden ? 0 : -panelEl.offsetWidth / 2, y: 0 },
      animation: { duration: 450, easingFunction: "easeInOutQuad" },
    });
    // moving until the view arrives (tests wait for it); set after focus(), which ends any
    // earlier animation and so fires its listener
    api.moving = true;
    network.once("animationFinished", () => { api.moving = false; });
    return true;
  }
  api.focus = focusNode;

  /* ---------- sidebar: title, legend, filters, status ---------- */
  document.title = D.title || document.title;
  $("title").textContent = D.title || "paperkg explorer";
  if (D.note) {
    $("note").textContent = D.note;
    $("note").hidden = false;
  }
  const drawnByType = {};
  let maxPapers = 1;
  nodes.forEach((n) => {
    drawnByType[n.group] = (drawnByType[n.group] || 0) + 1;
    if (n.kind !== "paper") maxPapers = Math.max(maxPapers, n.papers || 0);
  });
  for (const [type, colour, shape] of D.types) {
    const box = el("input", { type: "checkbox", checked: true, dataset: { type } });
    box.checked = true;
    box.addEventListener("change", () => api.setTypeVisible(type, box.checked));
    $("legend-types").append(el("li", null, el("label", null, box, shapeIcon(shape, colour), type,
      el("span", { class: "count", text: (drawnByType[type] || 0).toLocaleString() }))));
  }
  $("legend-types").append(el("li", null, el("label", null, shapeIcon(paperStyle.shape, "#e6e1dc"),
    "Paper", el("span", { class: "count", text: (D.drawn.papers || 0).toLocaleString() }))));
  const relationNames = { introduces: "paper introduces entity", mentions: "paper mentions entity",
    co_occurs: "seen in the same papers" };
  for (const rel of D.relations) {
    $("legend-edges").append(el("li", null, lineIcon(D.edgeStyles[rel] || {}), relationNames[rel] || rel));
  }
  const slider = $("min-papers");
  slider.max = maxPapers;
  slider.disabled = maxPapers <= 1;
  slider.addEventListener("input", () => api.setMinPapers(+slider.value));
  const showPapers = $("show-papers");
  showPapers.checked = state.showPapers;
  if (!D.drawn.papers) {
    showPapers.disabled = true;
    $("show-papers-label").textContent = "Show paper nodes (not drawn at this size)";
  }
  showPapers.addEventListener("change", () => api.setShowPapers(showPapers.checked));
  function updateStatus() {
    const total = nodes.length;
    const shown = total - [...hiddenNow.values()].filter(Boolean).length;
    const nPapers = Object.keys(D.papers).length;
    const nEntities = Object.keys(D.entities).length;
    $("status").textContent = "Showing " + shown.toLocaleString() + " of " + total.toLocaleString() +
      " drawn nodes (" + nPapers.toLocaleString() + " papers, " + nEntities.toLocaleString() +
      " entities in this page).";
  }

  /* ---------- search ---------- */
  const index = [];
  for (const [id, e] of Object.entries(D.entities)) {
    index.push({ id, key: e.l.toLowerCase(), text: e.l, alias: false, n: e.n });
    for (const a of e.a) index.push({ id, key: a.toLowerCase(), text: a, alias: true, n: e.n });
  }
  for (const [id, p] of Object.entries(D.papers)) {
    index.push({ id, key: p.l.toLowerCase(), text: p.l, alias: false, n: -1, paper: true });
  }
  /* Best matches of q among labels and aliases: exact, then prefix, then word start, then
   * anywhere; entities before papers; more papers first. */
  function search(q, limit) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    const best = new Map();
    for (const it of index) {
      const i = it.key.indexOf(q);
      if (i < 0) continue;
      let score = it.key === q ? 0 : i === 0 ? 1 : /[^\p{L}\p{N}]/u.test(it.key[i - 1]) ? 2 : 3;
      score += (it.alias ? 0.5 : 0) + (it.paper ? 4 : 0);
      const prev = best.get(it.id);
      if (!prev || score < prev.score) best.set(it.id, { id: it.id, score, match: it });
    }
    return [...best.values()]
      .sort((a, b) => a.score - b.score || b.match.n - a.match.n || a.match.text.localeCompare(b.match.text))
      .slice(0, limit || 12);
  }
  api.search = search;
  const input = $("search");
  const suggestions = $("suggestions");
  let results = [];
  let active = -1;
  function renderSuggestions() {
    suggestions.replaceChildren();
    if (!input.value.trim()) {
      suggestions.hidden = true;
      return;
    }
    if (!results.length) suggestions.append(el("li", { class: "s-none", text: "No match" }));
    results.forEach((r, i) => {
      const id = r.id;
      const e = D.entities[id];
      const st = styleOf(id);
      const meta = e ? e.t + " \u00b7 " + e.n + " paper" + (e.n === 1 ? "" : "s") : "paper";
      const label = labelOf(id) + (r.match.alias && r.match.text !== labelOf(id) ? " (" + r.match.text + ")" : "");
      suggestions.append(el("li", {
        role: "option", class: i === active ? "active" : "", dataset: { node: id },
        onmousedown: (ev) => { ev.preventDefault(); choose(id); },
      }, shapeIcon(st.shape, st.colour, 12), el("span", { class: "s-label", text: label }),
      el("span", { class: "s-meta", text: isShown(id) ? meta : meta + " \u00b7 not drawn" })));
    });
    suggestions.hidden = false;
  }
  function choose(id) {
    openPanel(id);
    focusNode(id);
    input.value = labelOf(id);
    suggestions.hidden = true;
  }
  input.addEventListener("input", () => {
    results = search(input.value);
    active = -1;
    renderSuggestions();
    if (results.length && results[0].score < 1) focusNode(results[0].id);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (!results.length) return;
      active = (active + (ev.key === "ArrowDown" ? 1 : results.length - 1 + (active < 0 ? 1 : 0))) % results.length;
      renderSuggestions();
    } else if (ev.key === "Enter") {
      const r = results[active >= 0 ? active : 0];
      if (r) choose(r.id);
    } else if (ev.key === "Escape") {
      suggestions.hidden = true;
    }
  });
  input.addEventListener("blur", () => { suggestions.hidden = true; });
  input.addEventListener("focus", () => { if (input.value.trim()) renderSuggestions(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "/" && document.activeElement !== input) {
      ev.preventDefault();
      input.focus();
      input.select();
    }
  });

  /* ---------- side panel ---------- */
  const panel = $("panel");
  const body = $("panel-body");
  const back = $("panel-back");
  const trail = [];
  function go(id) {
    openPanel(id);
    focusNode(id);
  }
  function openPanel(id, fromHistory) {
    if (!fromHistory && api.panelNode && api.panelNode !== id && !panel.hidden) trail.push(api.panelNode);
    api.panelNode = id;
    const view = D.entities[id] ? entityView(id) : D.papers[id] ? paperView(id)
      : el("p", { text: "Nothing known about this node." });
    body.replaceChildren(view);
    body.scrollTop = 0;
    panel.hidden = false;
    panel.dataset.node = id;
    if (nodes.get(id)) spotlight(id);
    back.disabled = !trail.length;
  }
  api.open = openPanel;
  back.addEventListener("click", () => {
    const id = trail.pop();
    if (id) {
      openPanel(id, true);
      focusNode(id);
    }
  });
  $("panel-close").addEventListener("click", () => {
    panel.hidden = true;
    trail.length = 0;
    api.panelNode = null;
    network.unselectAll();
    spotlight(null);
  });
  function notShownHint(id) {
    if (isShown(id)) return null;
    return el("p", { class: "hint", text: nodes.get(id) ? "Hidden by the current filters."
      : "Not drawn on this page (see the note on the left)." });
  }
  /* A link to the paper's own page (http or https only), opened in a new tab. */
  function extLink(url) {
    const href = safeHref(url);
    return href ? el("a", { href, class: "ext", target: "_blank", rel: "noopener noreferrer",
      text: "paper page \u2197", title: href }) : null;
  }
  function relBadge(rel) {
    return el("span", { class: "rel " + rel, text: rel === "introduces" ? "introduces" : "mentions" });
  }
  /* One line per distinct sentence, with every mention in it marked. */
  function evidenceList(paper, evs) {
    const sentences = new Map();
    for (const ev of evs) {
      let key, text, span;
      if (ev.length === 5) {
        const field = ev[0] === "title" ? paper.l : paper.a;
        text = field.slice(ev[3], ev[4]);
        key = ev[0] + ":" + ev[3] + ":" + ev[4];
        span = { start: ev[1] - ev[3], end: ev[2] - ev[3] };
      } else {
        text = ev[1];
        key = "s:" + text;
        const i = ev[2] ? text.indexOf(ev[2]) : -1;
        span = i >= 0 ? { start: i, end: i + ev[2].length } : null;
      }
      if (!sentences.has(key)) sentences.set(key, { text, spans: [] });
      if (span) sentences.get(key).spans.push(span);
    }
    return el("ul", { class: "evidence" },
      [...sentences.values()].map((s) => el("li", null, highlighted(s.text, s.spans))));
  }
  const PAPERS_SHOWN = 60;
  function entityView(id) {
    const e = D.entities[id];
    const st = styleOf(id);
    const rank = (l) => (l[2] === "introduces" ? 0 : 1);
    const links = (linksOfEntity.get(id) || []).slice()
      .sort((a, b) => rank(a) - rank(b) || labelOf(a[0]).localeCompare(labelOf(b[0])));
    const papersList = el("ol", { class: "papers" });
    const addItems = (from, to) => {
      for (const [pid, , rel, evs] of links.slice(from, to)) {
        const p = D.papers[pid];
        papersList.append(el("li", { dataset: { paper: pid } },
          el("div", null,
            el("a", { href: "#", class: "open", text: p.l, onclick: (ev) => { ev.preventDefault(); go(pid); } }),
            relBadge(rel), extLink(p.u)),
          evidenceList(p, evs)));
      }
    };
    addItems(0, PAPERS_SHOWN);
    const more = links.length > PAPERS_SHOWN ? el("button", { class: "more", type: "button",
      text: "Show all " + links.length + " papers",
      onclick: () => { addItems(PAPERS_SHOWN, links.length); more.remove(); } }) : null;
    const count = e.n + " paper" + (e.n === 1 ? "" : "s") +
      (links.length < e.n ? " (" + links.length + " in this page)" : "");
    return el("div", { class: "entity-view", dataset: { node: id } },
      el("h2", null, shapeIcon(st.shape, st.colour, 18), el("span", { class: "label", text: e.l })),
      el("p", { class: "meta" }, el("span", { class: "badge", style: { background: st.colour }, text: e.t }),
        " seen in " + count),
      e.a.length ? el("div", null, el("h3", { text: "Also written" }),
        el("div", { class: "chips" }, e.a.map((a) => el("span", { class: "chip", text: a })))) : null,
      notShownHint(id),
      el("h3", { text: "Papers (" + links.length + ")" }),
      papersList, more);
  }
  function paperView(id) {
    const p = D.papers[id];
    const links = linksOfPaper.get(id) || [];
    const spans = { title: [], abstract: [] };
    for (const [, eid, , evs] of links) {
      for (const ev of evs) {
        if (ev.length === 5) {
          if (spans[ev[0]]) spans[ev[0]].push({ start: ev[1], end: ev[2], entity: eid });
        } else if (ev[2]) {
          const i = p.a.indexOf(ev[2]);
          if (i >= 0) spans.abstract.push({ start: i, end: i + ev[2].length, entity: eid });
        }
      }
    }
    const authors = p.au.length > 8 ? p.au.slice(0, 8).join(", ") + " et al." : p.au.join(", ");
    const byType = new Map();
    for (const [, eid, rel] of links) push(byType, (D.entities[eid] || {}).t, [eid, rel]);
    const groups = D.types.filter(([t]) => byType.has(t)).map(([t, colour, shape]) =>
      el("div", null, el("h3", null, t + " (" + byType.get(t).length + ")"),
        el("div", { class: "chips" }, byType.get(t)
          .sort((a, b) => labelOf(a[0]).localeCompare(labelOf(b[0])))
          .map(([eid, rel]) => el("button", { type: "button", class: "chip", dataset: { entity: eid },
            title: rel === "introduces" ? "introduced by this paper" : "mentioned",
            onclick: () => go(eid) }, shapeIcon(shape, colour, 11), labelOf(eid) + (rel === "introduces" ? " \u2605" : ""))))));
    return el("div", { class: "paper-view", dataset: { node: id } },
      el("h2", null, el("span", { class: "label" }, highlighted(p.l, spans.title, go))),
      el("p", { class: "meta" }, el("span", { class: "badge", style: { background: "#8c8178" }, text: "Paper" }),
        p.d ? " " + p.d : "", authors ? " \u00b7 " + authors : ""),
      p.u ? el("p", null, extLink(p.u)) : null,
      notShownHint(id),
      el("h3", { text: "Abstract" }),
      el("p", { class: "abstract" }, highlighted(p.a, spans.abstract, go)),
      groups.length ? groups : el("p", { class: "meta", text: "No entities found in this paper." }));
  }

  /* ---------- events, layout ---------- */
  network.on("click", (params) => {
    if (params.nodes.length) {
      api.focused = params.nodes[0];
      openPanel(params.nodes[0]);
    } else if (panel.hidden) {
      spotlight(null);
    }
  });
  network.on("doubleClick", (params) => { if (params.nodes.length) focusNode(params.nodes[0]); });
  network.on("stabilizationProgress", (p) => {
    api.iterations = p.iterations;
    $("loading-pct").textContent = Math.round((100 * p.iterations) / p.total) + "%";
  });
  /* Leaves (nodes with one line, out of the physics) go in a ring around their anchor. */
  function placeLeaves() {
    const rings = new Map();
    nodes.forEach((n) => { if (n.anchor !== undefined) push(rings, n.anchor, n.id); });
    const centres = network.getPositions([...rings.keys()]);
    for (const [anchor, leaves] of rings) {
      const c = centres[anchor];
      if (!c) continue;
      const r = Math.max(60, (leaves.length * 26) / (2 * Math.PI));
      leaves.forEach((id, i) => {
        const a = (2 * Math.PI * i) / leaves.length + 0.4;
        const body = network.body.nodes[id];
        if (body) {
          body.x = c.x + r * Math.cos(a);
          body.y = c.y + r * Math.sin(a);
        }
      });
    }
  }
  function settled() {
    if (api.ready) return;
    network.setOptions({ physics: { enabled: false } });
    placeLeaves();
    network.fit();
    let scale = Math.min(network.getScale(), 0.75);  // a small graph stays at a readable size
    let offset = 0;
    if (D.focus && (D.entities[D.focus] || D.papers[D.focus])) {
      openPanel(D.focus);
      network.selectNodes([D.focus], true);
      const width = container.clientWidth;  // fit the graph beside the panel
      offset = -$("panel").offsetWidth / 2;
      scale = Math.min(scale, network.getScale() * (width + 2 * offset) / width);
    }
    network.moveTo({ position: network.getViewPosition(), scale, offset: { x: offset, y: 0 } });
    $("loading").hidden = true;
    api.ready = true;
    api.stabilisedMs = performance.now();
    document.documentElement.dataset.ready = "true";
  }
  network.once("stabilizationIterationsDone", settled);
  if (!nodes.length) settled();
  applyFilters();
})();
