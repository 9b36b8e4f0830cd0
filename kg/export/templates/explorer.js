/* paperkg explorer: a first view that reads, filters, and a panel that follows a thread.
 *
 * The canvas draws a chosen part of the graph (vis-network): the filters choose which of the
 * drawable entities (and, when asked, papers) are on it, and every change is laid out again,
 * then the physics stops. Labels keep one size on screen, larger for entities in more papers,
 * and a label that would overlap one of a higher-ranked entity is hidden (the top ones are
 * nudged apart once the layout settles). The panel shows records from `kgSource` (the page's
 * data, or kg serve's API); every string from the input reaches the DOM through textContent,
 * never as HTML, and links are only ever http(s). window.kgView is the page's API (the tests
 * use it). */
(function () {
  "use strict";

  const marks = { start: performance.now() };  // when each stage of the start was done
  const readJSON = (id) => JSON.parse(document.getElementById(id).textContent);
  const D = readJSON("kg-data");
  const options = readJSON("kg-options");
  marks.parsed = performance.now();
  const source = D.api ? kgSource.remote(D) : kgSource.local(D);
  marks.indexed = performance.now();
  const { tex, texText } = kgTex;
  const $ = (id) => document.getElementById(id);
  const container = $("network");
  const FIRST_VIEW = 150;  // entities at most in the first view
  const PAPERS_MAX = 800;  // papers drawn at most
  const TOP_NUDGED = 40;  // labels moved apart after a layout (lower ones are hidden instead)
  const LEAVES_FROM = 150;  // with more nodes than this, one-line nodes sit out of the physics
  const PAPERS_SHOWN = 60;  // papers listed in an entity's panel before "show all"
  const NEIGHBOURS_SHOWN = 8;  // neighbours per type before "more"
  const CO_DRAWN = 3;  // co-occurrence lines drawn per entity (its strongest)
  const REL_DRAWN = 4;  // relation lines drawn per entity when papers are not (its strongest)

  /* ---------- styles, from the data (types) and the relation-kind table ---------- */
  const typeStyle = {};
  for (const [t, colour, shape] of D.types) typeStyle[t] = { colour, shape };
  const paperStyle = { colour: D.paper[0], shape: D.paper[1] };
  const kinds = {};
  for (const [name, scope, label, inverse, style] of D.kinds) kinds[name] = { name, scope, label, inverse, style };
  const styleOf = (info) => (!info ? { colour: "#888888", shape: "dot" } : info.kind === "paper" ? paperStyle
    : typeStyle[info.t] || { colour: "#888888", shape: "dot" });
  const info = (id) => source.info(id);
  const shownLabel = (id) => tex((info(id) || { l: id }).l);
  const plural = (n, one, many) => n.toLocaleString() + " " + (n === 1 ? one : many || one + "s");
  const safeHref = (url) => (/^https?:\/\//i.test(url || "") ? url : "");
  const monthName = (m) => String(Math.floor(m / 12)) + "-" + String((m % 12) + 1).padStart(2, "0");
  const paperMonth = (d) => {
    const m = /^(\d{4})(?:-(\d{2}))?/.exec(d || "");
    return m ? +m[1] * 12 + (m[2] ? +m[2] - 1 : 0) : null;
  };

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
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) e.append(c);
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
  const iconOf = (id, size) => {
    const st = styleOf(info(id));
    return shapeIcon(st.shape, info(id) && info(id).kind === "paper" ? "#e6e1dc" : st.colour, size);
  };
  function lineIcon(style) {
    const s = svgEl("svg", { viewBox: "0 0 34 12", width: 34, height: 12, class: "shape" });
    const colour = (style.color && style.color.color) || "#999";
    const line = svgEl("line", { x1: 1, y1: 6, x2: 29, y2: 6, stroke: colour,
      "stroke-width": Math.max(1.2, style.width || 1.5), "stroke-opacity": Math.max(0.6, (style.color || {}).opacity || 1) });
    if (style.dashes) line.setAttribute("stroke-dasharray", (Array.isArray(style.dashes) ? style.dashes : [3, 3]).join(" "));
    s.append(line);
    if (style.arrows && style.arrows.to && style.arrows.to.enabled) {
      s.append(svgEl("polygon", { points: "33,6 26,2 26,10", fill: colour }));
    }
    return s;
  }
  /* `text` as readable text (TeX converted) with the [start, end) spans of the stored text
   * wrapped in <mark>; spans: {start, end, entity?}. */
  function highlighted(text, spans, onEntity) {
    const shown = texText(text || "");
    const out = document.createDocumentFragment();
    let at = 0;
    const sorted = spans.map((sp) => Object.assign({}, sp, { start: shown.start(sp.start), end: shown.end(sp.end) }))
      .sort((a, b) => a.start - b.start || b.end - a.end);
    for (const sp of sorted) {
      if (sp.start < at || sp.end <= sp.start || sp.end > shown.text.length) continue;
      out.append(shown.text.slice(at, sp.start));
      const mark = el("mark", { text: shown.text.slice(sp.start, sp.end) });
      const e = sp.entity && info(sp.entity);
      if (e) {
        const colour = styleOf(e).colour;
        mark.className = "entity";
        mark.title = e.t + ": " + tex(e.l);
        mark.dataset.entity = sp.entity;
        mark.style.background = colour + "38";
        mark.style.borderBottomColor = colour;
        if (onEntity) mark.addEventListener("click", () => onEntity(sp.entity));
      }
      out.append(mark);
      at = sp.end;
    }
    out.append(shown.text.slice(at));
    return out;
  }
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 2200);
  }

  /* ---------- the network ---------- */
  const groups = {};
  for (const [t, colour, shape] of D.types) {
    groups[t] = { shape, color: { background: colour, border: colour,
      highlight: { background: colour, border: "#222222" }, hover: { background: colour, border: "#222222" } } };
  }
  groups.Paper = { shape: paperStyle.shape, borderWidth: 1.5, font: { color: "#6b6259" },
    color: { background: "#e6e1dc", border: "#8c8178", highlight: { background: paperStyle.colour, border: "#222222" },
      hover: { background: paperStyle.colour, border: "#222222" } } };
  options.groups = groups;
  options.physics.enabled = false;
  const nodes = new vis.DataSet();
  const edges = new vis.DataSet();
  const network = new vis.Network(container, { nodes, edges }, options);
  const E = source.E;
  const entityIndex = new Map(E.map((e) => [e.id, e.i]));
  let maxCount = 1;
  for (let i = 0; i < source.drawable; i++) maxCount = Math.max(maxCount, E[i].n);

  const state = {
    hiddenTypes: new Set(), hiddenKinds: new Set(), minPapers: 1, from: null, to: null,
    radius: 0, aroundId: null, aroundSet: null, showPapers: false,
  };
  const api = {
    network, nodes, edges, data: D, source, state, tex, texText, marks, ready: false, layouts: 0,
    stabilisedMs: null, focused: null, panelNode: null, moving: false, busy: 0,
  };
  window.kgView = api;
  window.network = network;

  /* A seeded random number generator (mulberry32): the same page lays out the same way. */
  let seed = 7;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /* The first view: entities in 2+ papers, or as many of the top ones as read well. */
  function firstView() {
    if (D.focus && info(D.focus)) return { min: 1, papers: true };
    const atLeast = (t) => { let c = 0; for (let i = 0; i < source.drawable; i++) if (E[i].n >= t) c++; return c; };
    if (atLeast(2) < 10) return { min: 1, papers: source.mode === "file" && D.P.length + source.drawable <= FIRST_VIEW };
    let t = 2;
    while (atLeast(t) > FIRST_VIEW) t++;
    return { min: t, papers: false };
  }

  /* ---------- what is on the canvas ---------- */
  const months = D.months;
  const dateActive = () => months && (state.from > months[0] || state.to < months[1]);
  function countInRange(i) {
    if (!dateActive()) return E[i].n;
    let c = 0;
    for (const [m, k] of D.H[i] || []) if (m >= state.from && m <= state.to) c += k;
    return c;
  }
  function visibleEntities() {
    const out = [];
    for (let i = 0; i < source.drawable; i++) {
      const e = E[i];
      if (state.hiddenTypes.has(e.t)) continue;
      if (state.aroundSet && !state.aroundSet.has(e.id)) continue;
      if (e.id !== state.aroundId && countInRange(i) < Math.max(1, state.minPapers)) continue;
      out.push(i);
    }
    return out;
  }
  /* The papers to draw: those of the visible entities (in the date range), the ones linked
   * to the most of them first. */
  function visiblePapers(shownIdx) {
    if (!state.showPapers || source.mode !== "file") return { papers: [], total: 0 };
    const hits = new Map();
    for (const i of shownIdx) for (const j of source.paperIndexes(i)) hits.set(j, (hits.get(j) || 0) + 1);
    let list = [...hits.keys()];
    if (dateActive()) {
      list = list.filter((j) => {
        const m = paperMonth(source.P[j].d);
        return m !== null && m >= state.from && m <= state.to;
      });
    }
    const total = list.length;
    list.sort((a, b) => hits.get(b) - hits.get(a) || a - b);
    return { papers: list.slice(0, PAPERS_MAX), total };
  }
  const fontPx = (n) => Math.max(11, Math.min(21, 11 + 2.4 * Math.log2(Math.max(1, n))));
  const sizePx = (n) => Math.min(24, 5 + 3.2 * Math.log2(Math.max(1, n)));
  const PAPER_PX = 6;

  function entityNode(i, scale) {
    const e = E[i];
    const label = tex(e.l);
    return { id: e.id, group: e.t, kind: "entity", rank: i, papers: e.n, full: label, label,
      size: sizePx(e.n) / scale, font: { size: fontPx(e.n) / scale },
      title: e.t + ": " + label + " (" + plural(e.n, "paper") + ")" };
  }
  function paperNode(j, scale, labelled) {
    const p = source.P[j];
    const title = tex(p.l);
    const short = title.length > 32 ? title.slice(0, 31).trimEnd() + "\u2026" : title;
    return { id: p.id, group: "Paper", kind: "paper", rank: 1e9 + j, papers: 0, full: labelled ? short : "",
      label: labelled ? short : "", size: PAPER_PX / scale, font: { size: 11 / scale }, title: "Paper: " + title };
  }
  const edgeStyle = (kind) => (kinds[kind] || {}).style || {};
  /* The strongest `per` of `items` at each of their two ends (items: [a, b, weight, ...]). */
  function strongest(items, per) {
    const byNode = new Map();
    for (const it of items) {
      for (const x of [it[0], it[1]]) {
        if (!byNode.has(x)) byNode.set(x, []);
        byNode.get(x).push(it);
      }
    }
    const chosen = new Set();
    for (const list of byNode.values()) {
      list.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1]);
      for (const it of list.slice(0, per)) chosen.add(it);
    }
    return [...chosen];
  }
  const statedIn = (st) => new Set(st.map((s) => s[0])).size;
  function wanted() {
    const shownIdx = visibleEntities();
    const shown = new Set(shownIdx);
    const { papers, total } = visiblePapers(shownIdx);
    const lines = [];
    const candidates = [];
    for (let r = 0; r < D.R.length; r++) {
      const [h, k, t, st] = D.R[r];
      if (shown.has(h) && shown.has(t) && !state.hiddenKinds.has(D.kinds[k][0])) {
        candidates.push([h, t, st.length ? statedIn(st) : D.R[r][4] || 1, r]);  // kg serve: a count
      }
    }
    // each entity's strongest relations (all of them when papers are drawn)
    for (const [h, t, n, r] of papers.length ? candidates : strongest(candidates, REL_DRAWN)) {
      const kind = D.kinds[D.R[r][1]][0];
      lines.push(Object.assign({ id: "r" + h + "." + D.R[r][1] + "." + t, from: E[h].id, to: E[t].id,
        relation: kind, title: tex(E[h].l) + " " + kinds[kind].label + " " + tex(E[t].l) +
          " (" + plural(n, "paper") + ")" }, edgeStyle(kind)));
    }
    if (papers.length) {
      for (const j of papers) {
        for (const i of source.paperEntities(j)) {
          if (!shown.has(i)) continue;
          const kind = source.paperIntroduces(j, i) ? "introduces" : "mentions";
          if (state.hiddenKinds.has(kind)) continue;
          lines.push(Object.assign({ id: "m" + j + "." + i, from: source.P[j].id, to: E[i].id, relation: kind }, edgeStyle(kind)));
        }
      }
    } else if (!state.hiddenKinds.has("co_occurs")) {
      const pairs = D.C.filter((c) => shown.has(c[0]) && shown.has(c[1]));
      for (const [a, b, w] of strongest(pairs, CO_DRAWN)) {
        lines.push(Object.assign({ id: "c" + a + "." + b, from: E[a].id, to: E[b].id, relation: "co_occurs",
          title: tex(E[a].l) + " and " + tex(E[b].l) + ": " + plural(w, "paper") + " together" },
        edgeStyle("co_occurs"), { width: Math.min(6, 0.6 + 0.5 * w) }));
      }
    }
    return { shownIdx, papers, papersTotal: total, lines };
  }

  /* Apply the filters: change what is drawn, then lay out what remains. */
  function sync() {
    const w = wanted();
    const scale = network.getScale() || 1;
    const want = new Map();
    for (const i of w.shownIdx) want.set(E[i].id, i);
    const paperIds = new Map(w.papers.map((j) => [source.P[j].id, j]));
    const drop = nodes.getIds().filter((id) => !want.has(id) && !paperIds.has(id));
    nodes.remove(drop);
    edges.clear();
    // new nodes start next to a drawn neighbour (or near the middle), so the layout is short
    const positions = network.getPositions();
    const near = new Map();
    for (const l of w.lines) {
      if (positions[l.from] && !positions[l.to]) near.set(l.to, positions[l.from]);
      if (positions[l.to] && !positions[l.from]) near.set(l.from, positions[l.to]);
    }
    const centre = network.getViewPosition();
    const spread = 300 / scale;
    const place = (node) => {
      if (positions[node.id]) return node;
      const p = near.get(node.id) || centre;
      const r = near.has(node.id) ? 40 / scale : spread * Math.sqrt(random());
      const a = random() * 2 * Math.PI;
      return Object.assign(node, { x: p.x + r * Math.cos(a), y: p.y + r * Math.sin(a) });
    };
    const labelledPapers = w.papers.length <= 40;
    const add = [];
    const update = [];
    for (const [id, i] of want) (positions[id] ? update : add).push(place(entityNode(i, scale)));
    for (const [id, j] of paperIds) (positions[id] ? update : add).push(place(paperNode(j, scale, labelledPapers)));
    // leaves (one line) of a big drawing sit out of the physics, in rings around their anchor
    const degree = new Map();
    for (const l of w.lines) for (const x of [l.from, l.to]) degree.set(x, (degree.get(x) || 0) + 1);
    const neighbour = new Map();
    for (const l of w.lines) { neighbour.set(l.from, l.to); neighbour.set(l.to, l.from); }
    const anchors = new Map();
    if (want.size + paperIds.size > LEAVES_FROM) {
      for (const [id, d] of degree) {
        const other = neighbour.get(id);
        if (d === 1 && (degree.get(other) > 1 || id > other)) anchors.set(id, other);
      }
    }
    const leaves = new Map();
    for (const a of anchors.values()) leaves.set(a, (leaves.get(a) || 0) + 1);
    for (const n of [...add, ...update]) {
      n.physics = !anchors.has(n.id);
      n.anchor = anchors.get(n.id) || null;
      n.mass = 1 + 0.35 * (leaves.get(n.id) || 0);
    }
    nodes.update(update);
    nodes.add(add);
    for (const l of w.lines) l.physics = !(anchors.has(l.from) || anchors.has(l.to));
    edges.add(w.lines);
    if (!marks.drawn) marks.drawn = performance.now();
    api.drawn = { entities: w.shownIdx.length, papers: w.papers.length, papersTotal: w.papersTotal, lines: w.lines.length };
    summary();
    spotlight(api.panelNode && nodes.get(api.panelNode) ? api.panelNode : null, true);
    layout();
  }

  let settleTimer = null;
  function layout() {
    const count = nodes.length;
    api.ready = false;
    document.documentElement.dataset.ready = "false";
    if (!count) {
      settled();
      return;
    }
    $("loading").hidden = false;
    network.setOptions({ physics: Object.assign({ enabled: true },
      count > 300 ? { solver: "forceAtlas2Based", forceAtlas2Based: { theta: 0.9, gravitationalConstant: -70,
        centralGravity: 0.015, springLength: 80, springConstant: 0.06, damping: 0.5, avoidOverlap: 0 } }
        : { solver: "barnesHut", barnesHut: { gravitationalConstant: -3500, centralGravity: 0.25,
          springLength: 110, springConstant: 0.04, damping: 0.35, avoidOverlap: 0.6 } }) });
    network.stabilize(count > 1000 ? 150 : 220);
    clearTimeout(settleTimer);
  }
  network.on("stabilizationProgress", (p) => {
    api.iterations = p.iterations;
    $("loading-pct").textContent = Math.round((100 * p.iterations) / p.total) + "%";
  });
  network.on("stabilizationIterationsDone", () => settled());

  /* Leaves go in a ring around their anchor. */
  function placeLeaves() {
    const rings = new Map();
    nodes.forEach((n) => {
      if (n.anchor) {
        if (!rings.has(n.anchor)) rings.set(n.anchor, []);
        rings.get(n.anchor).push(n.id);
      }
    });
    const centres = network.getPositions([...rings.keys()]);
    for (const [anchor, leaves] of rings) {
      const c = centres[anchor];
      if (!c) continue;
      const body = network.body.nodes;
      const r = Math.max(3 * body[anchor].options.size, (leaves.length * 3.2 * body[anchor].options.size) / (2 * Math.PI));
      leaves.forEach((id, k) => {
        const a = (2 * Math.PI * k) / leaves.length + 0.4;
        if (body[id]) {
          body[id].x = c.x + r * Math.cos(a);
          body[id].y = c.y + r * Math.sin(a);
        }
      });
    }
  }
  /* Stretch the layout to the canvas's shape (a wide canvas gets a wide layout). */
  function stretch() {
    const ids = nodes.getIds();
    if (ids.length < 3) return;
    const body = network.body.nodes;
    const xs = ids.map((id) => body[id].x);
    const ys = ids.map((id) => body[id].y);
    const w = Math.max(...xs) - Math.min(...xs);
    const h = Math.max(...ys) - Math.min(...ys);
    const target = container.clientWidth / Math.max(1, container.clientHeight);
    if (!w || !h) return;
    const fx = Math.min(1.8, Math.max(1, target / (w / h)));
    const fy = Math.min(1.8, Math.max(1, (w / h) / target));
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    for (const id of ids) {
      body[id].x = cx + (body[id].x - cx) * fx;
      body[id].y = cy + (body[id].y - cy) * fy;
    }
  }
  function settled() {
    network.setOptions({ physics: { enabled: false } });
    stretch();
    placeLeaves();
    fitAndLabel();
    $("loading").hidden = true;
    api.layouts += 1;
    api.ready = true;
    if (api.stabilisedMs === null) api.stabilisedMs = marks.ready = performance.now();
    document.documentElement.dataset.ready = "true";
    if (api.panelNode && nodes.get(api.panelNode)) network.selectNodes([api.panelNode], true);
  }

  /* ---------- labels: one size on screen, no overlaps ---------- */
  const measure = document.createElement("canvas").getContext("2d");
  const widths = new Map();
  function textWidth(text) {  // at a font size of 100
    let w = widths.get(text);
    if (w === undefined) {
      measure.font = "100px " + options.nodes.font.face;
      w = measure.measureText(text).width;
      widths.set(text, w);
    }
    return w;
  }
  /* The box of a node's label (as vis-network draws it: centred under the shape) and of its
   * shape, in canvas units, for a font of `size` canvas units. */
  function boxes(id, text) {
    const n = network.body.nodes[id];
    const r = n.options.size;
    const size = n.options.font.size;
    const w = (textWidth(text) * size) / 100 + size * 0.5;  // a little room beside the words
    const top = n.y + r + 4 + size / 2;
    return {
      label: { left: n.x - w / 2, right: n.x + w / 2, top, bottom: top + size },
      shape: { left: n.x - r, right: n.x + r, top: n.y - r, bottom: n.y + r },
    };
  }
  const overlap = (a, b, pad) => a.left < b.right + pad && b.left < a.right + pad && a.top < b.bottom + pad && b.top < a.bottom + pad;
  const union = (a, b) => ({ left: Math.min(a.left, b.left), right: Math.max(a.right, b.right),
    top: Math.min(a.top, b.top), bottom: Math.max(a.bottom, b.bottom) });
  /* Labelled nodes, the most important first: the spotlit node and what it leads to, then
   * the rest, each by papers. */
  const priority = (n) => (n.id === spotlit ? -2e9 : spotlitNear && spotlitNear.has(n.id) ? n.rank - 1e9 : n.rank);
  const ranked = () => nodes.get({ filter: (n) => !!n.full }).sort((a, b) => priority(a) - priority(b));

  /* Font and node sizes for the current zoom: labels keep their size on screen; with
   * `shapes`, nodes are set to their size on screen too (after a layout). */
  function sizeForScale(shapes) {
    const scale = network.getScale();
    const updates = [];
    nodes.forEach((n) => {
      const px = n.kind === "paper" ? 11 : fontPx(n.papers);
      const u = { id: n.id, font: Object.assign({}, n.font, { size: px / scale }) };
      if (shapes) u.size = (n.kind === "paper" ? PAPER_PX : sizePx(n.papers)) / scale;
      updates.push(u);
    });
    nodes.update(updates);
  }
  /* Move the top labelled nodes apart until their shapes and labels do not overlap: each
   * overlapping pair is pushed apart along its shorter overlap, the lower-ranked node the
   * more; true if any moved. */
  function nudge() {
    const top = ranked().slice(0, TOP_NUDGED);
    const scale = network.getScale();
    const pad = 5 / scale;
    const body = network.body.nodes;
    const box = top.map((n) => {
      const b = boxes(n.id, n.full);
      return union(b.label, b.shape);
    });
    const shift = (k, dx, dy) => {
      const node = body[top[k].id];
      node.x += dx;
      node.y += dy;
      const b = box[k];
      box[k] = { left: b.left + dx, right: b.right + dx, top: b.top + dy, bottom: b.bottom + dy };
    };
    let moved = false;
    let pass = 0;
    for (; pass < 400; pass++) {
      let any = false;
      for (let j = 1; j < top.length; j++) {
        for (let i = 0; i < j; i++) {
          const a = box[i];
          const b = box[j];
          if (!overlap(a, b, pad)) continue;
          const ox = Math.min(a.right, b.right) - Math.max(a.left, b.left) + pad;
          const oy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) + pad;
          const sx = (b.left + b.right) >= (a.left + a.right) ? 1 : -1;
          const sy = (b.top + b.bottom) >= (a.top + a.bottom) ? 1 : -1;
          const share = i < 5 ? 0.1 : 0.4;  // how much of the move the higher-ranked one makes
          const dx = ox < oy ? sx * (ox + pad / 4) : 0;  // all the way apart, and a little more
          const dy = ox < oy ? 0 : sy * (oy + pad / 4);
          shift(i, -dx * share, -dy * share);
          shift(j, dx * (1 - share), dy * (1 - share));
          any = moved = true;
        }
      }
      if (!any) break;
    }
    api.nudgePasses = pass;
    return moved;
  }
  /* Spread the drawing when its labels would cover too much of it. */
  function spread() {
    const list = ranked().slice(0, TOP_NUDGED);
    if (list.length < 3) return;
    const body = network.body.nodes;
    let area = 0;
    const xs = [];
    const ys = [];
    for (const n of list) {
      const b = union(boxes(n.id, n.full).label, boxes(n.id, n.full).shape);
      area += (b.right - b.left) * (b.bottom - b.top);
      xs.push(body[n.id].x);
      ys.push(body[n.id].y);
    }
    const w = Math.max(...xs) - Math.min(...xs);
    const h = Math.max(...ys) - Math.min(...ys);
    const f = Math.min(2.5, Math.sqrt(area / (0.22 * Math.max(1, w * h))));
    if (f <= 1) return;
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
    const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    nodes.forEach((n) => {
      const b = body[n.id];
      b.x = cx + (b.x - cx) * f;
      b.y = cy + (b.y - cy) * f;
    });
  }
  /* Show a label only where it overlaps no label (and no shape) of a higher-ranked node. */
  function hideCollidingLabels() {
    const scale = network.getScale();
    const pad = 2 / scale;
    const taken = [];
    const updates = [];
    for (const n of ranked()) {
      const b = boxes(n.id, n.full);
      const ok = !taken.some((t) => overlap(t, b.label, pad));
      taken.push(b.shape);
      if (ok) taken.push(b.label);
      const label = ok ? n.full : "";
      if (n.label !== label) updates.push({ id: n.id, label });
    }
    if (updates.length) nodes.update(updates);
    api.labelsShown = taken.length;
  }
  /* Zoom and pan so that every node and its label is in view (vis-network's fit() leaves
   * labels out). With `resize`, labels (and shapes) are then sized for the new zoom, which
   * changes their extent, so it is done twice. */
  function fitAll(resize) {
    for (let round = 0; round < (resize ? 2 : 1); round++) {
      let l = Infinity;
      let r = -Infinity;
      let t = Infinity;
      let b = -Infinity;
      nodes.forEach((n) => {
        const bx = boxes(n.id, n.full || "");
        const u = n.full ? union(bx.label, bx.shape) : bx.shape;
        l = Math.min(l, u.left);
        r = Math.max(r, u.right);
        t = Math.min(t, u.top);
        b = Math.max(b, u.bottom);
      });
      if (l === Infinity) return;
      const scale = Math.min(1.2, 0.96 * Math.min(container.clientWidth / Math.max(1, r - l),
        container.clientHeight / Math.max(1, b - t)));
      network.moveTo({ position: { x: (l + r) / 2, y: (t + b) / 2 }, scale, animation: false });
      if (resize) sizeForScale(true);
    }
  }
  /* After a layout: size for the zoom, spread a crowded drawing, move the top labels apart
   * (again after each fit, until nothing moves), then hide the labels that still collide. */
  function fitAndLabel() {
    network.fit({ animation: false });
    sizeForScale(true);
    spread();
    let moved = true;
    for (let round = 0; round < 4 && moved; round++) {
      fitAll(true);
      moved = nudge();
    }
    if (moved) fitAll(false);  // the sizes stay those the labels were moved apart at
    hideCollidingLabels();
    network.redraw();
  }
  let zoomTimer = null;
  network.on("zoom", () => {
    clearTimeout(zoomTimer);
    zoomTimer = setTimeout(() => { sizeForScale(false); hideCollidingLabels(); }, 120);
  });
  network.on("dragEnd", (p) => { if (p.nodes.length) hideCollidingLabels(); });

  /* ---------- spotlight and focus ---------- */
  const FONT = { paper: "#6b6259", entity: "#23201d", faded: "rgba(90,90,90,0.15)" };
  let spotlit = null;
  let spotlitNear = null;
  function spotlight(id, force) {
    if (id === spotlit && !force) return;
    spotlit = api.spotlit = id;
    let keep = null;
    if (id !== null) {
      keep = new Set([id]);
      for (const e of edges.get()) {
        if (e.from === id) keep.add(e.to);
        if (e.to === id) keep.add(e.from);
      }
      for (const x of spotlight.near || []) keep.add(x);
    }
    const on = (n) => !keep || keep.has(n);
    const nodeUpdates = [];
    nodes.forEach((n) => nodeUpdates.push({ id: n.id, opacity: on(n.id) ? 1 : 0.15,
      font: Object.assign({}, n.font, { color: on(n.id) ? FONT[n.kind === "paper" ? "paper" : "entity"] : FONT.faded }) }));
    nodes.update(nodeUpdates);
    const edgeUpdates = [];
    edges.forEach((e) => {
      const colour = edgeStyle(e.relation).color || { color: "#999999", opacity: 0.5 };
      edgeUpdates.push({ id: e.id, color: { color: colour.color,
        opacity: on(e.from) && on(e.to) ? colour.opacity : 0.05 } });
    });
    edges.update(edgeUpdates);
    spotlitNear = keep;
    if (api.ready) hideCollidingLabels();  // its label and its neighbours' come first
  }
  api.spotlight = spotlight;
  /* Centre the node in the canvas (the panel has its own column, so this is in view). */
  function focusNode(id, animate) {
    api.focused = id;
    if (!nodes.get(id)) {
      network.unselectAll();
      return false;
    }
    network.redraw();  // the canvas takes its size now, should the panel just have opened
    network.selectNodes([id], true);
    network.moveTo({ position: network.getPositions([id])[id], scale: network.getScale(),
      animation: animate === false ? false : { duration: 400, easingFunction: "easeInOutQuad" } });
    if (animate !== false) {
      api.moving = true;
      network.once("animationFinished", () => { api.moving = false; });
    }
    return true;
  }
  api.focus = focusNode;

  /* ---------- sidebar: title, legend, filters ---------- */
  document.title = D.title || document.title;
  $("title").textContent = D.title || "paperkg explorer";
  for (const [box, text] of [[$("note"), D.note], [$("missing"), D.missing]]) {
    if (text) {
      box.textContent = text;
      box.hidden = false;
    }
  }
  const drawableByType = {};
  for (let i = 0; i < source.drawable; i++) drawableByType[E[i].t] = (drawableByType[E[i].t] || 0) + 1;
  for (const [type, colour, shape] of D.types) {
    const box = el("input", { type: "checkbox", dataset: { type } });
    box.checked = true;
    box.addEventListener("change", () => api.setTypeVisible(type, box.checked));
    $("legend-types").append(el("li", null, el("label", null, box, shapeIcon(shape, colour), type,
      el("span", { class: "count", text: (drawableByType[type] || 0).toLocaleString() }))));
  }
  const kindNames = { mentions: "paper mentions entity", introduces: "paper introduces entity",
    co_occurs: "in the same papers (strongest)" };
  const kindsDrawn = new Set(D.R.map((r) => D.kinds[r[1]][0]));
  if (D.C.length) kindsDrawn.add("co_occurs");
  if (source.mode === "file" && D.P.length) { kindsDrawn.add("mentions"); kindsDrawn.add("introduces"); }
  for (const [name] of D.kinds) {
    if (!kindsDrawn.has(name)) continue;
    const box = el("input", { type: "checkbox", dataset: { kind: name } });
    box.checked = true;
    box.addEventListener("change", () => api.setKindVisible(name, box.checked));
    const count = D.R.filter((r) => D.kinds[r[1]][0] === name).length;
    $("legend-edges").append(el("li", null, el("label", null, box, lineIcon(edgeStyle(name)),
      kindNames[name] || kinds[name].label, count ? el("span", { class: "count", text: count.toLocaleString() }) : null)));
  }
  const slider = $("min-papers");
  slider.max = Math.max(2, Math.min(maxCount, 50));
  slider.addEventListener("input", () => api.setMinPapers(+slider.value));
  const from = $("date-from");
  const to = $("date-to");
  if (months) {
    for (const r of [from, to]) { r.min = months[0]; r.max = months[1]; }
    from.value = months[0];
    to.value = months[1];
    state.from = months[0];
    state.to = months[1];
    from.addEventListener("input", () => api.setDates(+from.value, Math.max(+from.value, +to.value)));
    to.addEventListener("input", () => api.setDates(Math.min(+from.value, +to.value), +to.value));
  } else {
    $("dates").hidden = true;
    $("no-dates").hidden = false;
  }
  const radios = [...document.querySelectorAll('input[name="radius"]')];
  for (const r of radios) r.addEventListener("change", () => { if (r.checked) api.setAround(state.aroundId || api.panelEntity, +r.value); });
  const showPapers = $("show-papers");
  if (source.mode !== "file" || !D.P.length) {
    showPapers.disabled = true;
    $("show-papers-label").textContent = source.mode === "file" ? "Draw the papers (none in this page)"
      : "Draw the papers (listed in the panel)";
  }
  showPapers.addEventListener("change", () => api.setShowPapers(showPapers.checked));
  function syncControls() {
    slider.value = state.minPapers;
    $("min-papers-value").textContent = state.minPapers;
    showPapers.checked = state.showPapers;
    if (months) {
      from.value = state.from;
      to.value = state.to;
      $("date-from-value").textContent = monthName(state.from);
      $("date-to-value").textContent = monthName(state.to);
    }
    const target = state.aroundId || api.panelEntity;
    $("around-label").textContent = target ? shownLabel(target) : "the selected entity";
    for (const r of radios) {
      r.checked = +r.value === state.radius;
      r.disabled = !target && +r.value > 0;
    }
  }
  function summary() {
    const d = api.drawn;
    const parts = ["Showing " + plural(d.entities, "entity", "entities") + " of " + E.length.toLocaleString() +
      (E.length < D.total.entities ? " in this page (" + D.total.entities.toLocaleString() + " in the graph)" : "")];
    const why = [];
    if (state.minPapers > 1) why.push("seen in " + state.minPapers + "+ papers" + (dateActive() ? " in the dates" : ""));
    if (dateActive()) why.push("from " + monthName(state.from) + " to " + monthName(state.to));
    if (state.hiddenTypes.size) why.push("not " + [...state.hiddenTypes].join(", "));
    if (state.aroundSet) why.push("within " + plural(state.radius, "step") + " of " + shownLabel(state.aroundId));
    if (why.length) parts[0] += " (" + why.join("; ") + ")";
    if (d.papers) {
      parts.push(plural(d.papers, "paper") + " drawn" + (d.papersTotal > d.papers ? " of " + d.papersTotal.toLocaleString() : ""));
    } else {
      parts.push("papers folded into their entities (" + D.total.papers.toLocaleString() + ")");
    }
    const hidden = source.drawable - d.entities;
    if (hidden > 0) parts.push(plural(hidden, "entity", "entities") + " hidden by the filters");
    if (E.length > source.drawable || D.total.entities > source.drawable) {
      parts.push((D.total.entities - source.drawable).toLocaleString() + " too rare to draw (search finds them)");
    }
    $("summary").textContent = parts.join(" \u00b7 ") + ".";
    api.summary = $("summary").textContent;
  }

  api.setTypeVisible = (type, on) => {
    if (on) state.hiddenTypes.delete(type); else state.hiddenTypes.add(type);
    sync();
  };
  api.setKindVisible = (kind, on) => {
    if (on) state.hiddenKinds.delete(kind); else state.hiddenKinds.add(kind);
    sync();
  };
  api.setMinPapers = (n) => {
    state.minPapers = Math.max(1, Math.round(n));
    syncControls();
    sync();
  };
  api.setDates = (a, b) => {
    if (!months) return;
    state.from = Math.max(months[0], Math.min(a, months[1]));
    state.to = Math.max(state.from, Math.min(b, months[1]));
    syncControls();
    sync();
  };
  api.setShowPapers = (on) => {
    state.showPapers = !!on;
    syncControls();
    sync();
  };
  /* Only the entities within `radius` shared-paper steps of `id` (0: everything). */
  api.setAround = async (id, radius) => {
    if (!id || !radius) {
      state.radius = 0;
      state.aroundId = null;
      state.aroundSet = null;
    } else {
      api.busy += 1;
      try {
        state.aroundSet = await source.around(id, radius);
      } finally {
        api.busy -= 1;
      }
      state.radius = radius;
      state.aroundId = id;
      if (state.minPapers > 1) state.minPapers = 1;
    }
    syncControls();
    sync();
  };

  /* ---------- search ---------- */
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
      const x = info(id);
      const meta = x && x.kind === "entity" ? x.t + " \u00b7 " + plural(x.n, "paper") : "paper";
      const label = shownLabel(id) + (r.alias && r.text !== (x || {}).l ? " (" + tex(r.text) + ")" : "");
      suggestions.append(el("li", {
        role: "option", class: i === active ? "active" : "", dataset: { node: id },
        onmousedown: (ev) => { ev.preventDefault(); choose(id); },
      }, iconOf(id, 12), el("span", { class: "s-label", text: label }),
      el("span", { class: "s-meta", text: nodes.get(id) ? meta : meta + " \u00b7 not drawn" })));
    });
    suggestions.hidden = false;
  }
  function choose(id) {
    go(id);
    input.value = shownLabel(id);
    suggestions.hidden = true;
  }
  let searchTurn = 0;
  let searching = Promise.resolve();  // the latest search (kg serve answers them later)
  input.addEventListener("input", () => {
    const turn = ++searchTurn;
    searching = (source.searchNow ? Promise.resolve(source.searchNow(input.value))
      : source.search(input.value).catch(() => [])).then((found) => {
      if (turn !== searchTurn) return;
      results = found;
      active = -1;
      renderSuggestions();
      if (results.length && results[0].score < 1 && nodes.get(results[0].id)) focusNode(results[0].id);
    });
  });
  input.addEventListener("keydown", async (ev) => {
    if (ev.key === "Enter") await searching;
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

  /* ---------- lists out: copy (tab-separated) and CSV ---------- */
  const csvCell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const toCSV = (rows) => rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
  const toTSV = (rows) => rows.map((r) => r.map((v) => String(v === null || v === undefined ? "" : v).replace(/[\t\r\n]+/g, " ")).join("\t")).join("\n") + "\n";
  const slug = (s) => tex(s).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").slice(0, 60) || "list";
  async function copyRows(rows) {
    const text = toTSV(rows);
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = el("textarea", { style: { position: "fixed", left: "-9999px" } });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    api.copied = text;
    toast("Copied " + plural(rows.length - 1, "row") + " (tab-separated)");
  }
  function saveCSV(rows, name) {
    const text = toCSV(rows);
    const url = URL.createObjectURL(new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" }));
    const a = el("a", { href: url, download: name + ".csv" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    api.saved = { name: name + ".csv", text };
  }
  /* A section heading with Copy and CSV buttons for `rows()` (header first). */
  function heading(text, rows, name) {
    return el("h3", null, text, rows ? el("span", { class: "tools" },
      el("button", { type: "button", class: "small", "data-action": "copy", title: "Copy as tab-separated text",
        onclick: () => copyRows(rows()) }, "Copy"),
      el("button", { type: "button", class: "small", "data-action": "csv", title: "Save as a CSV file",
        onclick: () => saveCSV(rows(), name) }, "CSV")) : null);
  }

  /* ---------- side panel ---------- */
  const panel = $("panel");
  const body = $("panel-body");
  const back = $("panel-back");
  const trail = [];
  function go(id) {
    openPanel(id);
    focusNode(id);
  }
  const entityButton = (id, extra) => el("button", { type: "button", class: "link entity", dataset: { entity: id },
    title: info(id) ? info(id).t + ": " + shownLabel(id) : id, onclick: () => go(id) }, iconOf(id, 11), shownLabel(id), extra || null);
  const paperButton = (id) => el("button", { type: "button", class: "link open", dataset: { paper: id },
    onclick: () => go(id) }, shownLabel(id));
  function missingNote(missing) {
    if (!missing) return null;
    return el("div", { class: "missing" }, missing[0] + " ", missing[1].length ? "To see them: " : "",
      missing[1].map((c, i) => [i ? " or " : "", el("code", { text: c })]));
  }
  /* One line per sentence, its mentions marked. */
  function evidenceList(ev) {
    return el("ul", { class: "evidence" }, ev.map((s) => el("li", null,
      highlighted(s.s, s.m.map(([a, b]) => ({ start: a, end: b }))))));
  }
  /* A list that shows `first` items, and the rest on request. */
  function moreList(tag, props, items, first, render, moreText) {
    const list = el(tag, props);
    const addItems = (a, b) => { for (const it of items.slice(a, b)) list.append(render(it)); };
    addItems(0, first);
    const more = items.length > first ? el("button", { type: "button", class: "more",
      text: moreText(items.length - first), onclick: () => { addItems(first, items.length); more.remove(); } }) : null;
    return [list, more];
  }

  let openTurn = 0;
  async function openPanel(id, fromHistory) {
    const turn = ++openTurn;
    if (!fromHistory && api.panelNode && api.panelNode !== id && !panel.hidden) trail.push(api.panelNode);
    api.panelNode = id;
    const x = info(id);
    api.panelEntity = x && x.kind === "entity" ? id : api.panelEntity;
    panel.hidden = false;
    panel.dataset.node = id;
    panel.dataset.loaded = "false";
    back.disabled = !trail.length;
    syncControls();
    let view;
    api.busy += 1;
    try {
      const isPaper = x ? x.kind === "paper" : id.startsWith("paper/");
      const record = isPaper ? await source.paper(id) : await source.entity(id);
      if (turn !== openTurn) return;
      api.record = record;
      view = !record ? el("p", { text: "Nothing known about this node." }) : isPaper ? paperView(record) : entityView(record);
      spotlight.near = record ? isPaper ? record.ents.map((e) => e.e)
        : [...record.papers.map((p) => p.p), ...record.neighbours.map((nb) => nb.e)] : [];
    } catch (err) {
      if (turn !== openTurn) return;
      view = el("p", { class: "hint", text: "Could not load it: " + err.message });
    } finally {
      api.busy -= 1;
    }
    body.replaceChildren(view);
    body.scrollTop = 0;
    panel.dataset.loaded = "true";
    if (nodes.get(id)) spotlight(id, true);
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
    spotlight.near = null;
    spotlight(null);
    network.redraw();
  });
  function notDrawnHint(id) {
    if (nodes.get(id)) return null;
    const i = entityIndex.get(id);
    const x = info(id);
    const text = x && x.kind === "paper" ? (state.showPapers ? "Not drawn: outside the filters, or past the "
      + PAPERS_MAX + " papers drawn at most." : "Papers are folded into their entities: tick \u201cDraw the papers\u201d to draw them.")
      : i !== undefined && i < source.drawable ? "Hidden by the current filters."
        : "Not drawn: too rare for the canvas at this size (the note on the left says where the cut fell).";
    return el("p", { class: "hint", text });
  }
  function extLink(url) {
    const href = safeHref(url);
    return href ? el("a", { href, class: "ext", target: "_blank", rel: "noopener noreferrer",
      text: "paper page \u2197", title: href }) : null;
  }
  const relBadge = (r) => el("span", { class: "rel " + r, text: r === "introduces" ? "introduces" : "mentions" });

  /* The entity panel: one renderer per section, over the record (see source.js). */
  const ENTITY_SECTIONS = [entityHeader, relationsSection, resultsSection, neighboursSection, papersSection];
  function entityView(r) {
    return el("div", { class: "entity-view", dataset: { node: r.id } }, ENTITY_SECTIONS.map((section) => section(r)));
  }
  function entityHeader(r) {
    const st = styleOf({ kind: "entity", t: r.t });
    const intro = r.papers.filter((p) => p.r === "introduces").length;
    return [
      el("h2", null, shapeIcon(st.shape, st.colour, 18), el("span", { class: "label", text: tex(r.l) })),
      el("p", { class: "meta" }, el("span", { class: "badge", style: { background: st.colour }, text: r.t }),
        " seen in " + plural(r.n, "paper") + (intro ? ", introduced by " + intro : "")),
      r.a.length ? el("div", null, el("h3", { text: "Also written" }),
        el("div", { class: "chips" }, r.a.map((a) => el("span", { class: "chip", text: tex(a) })))) : null,
      notDrawnHint(r.id),
    ];
  }
  /* Typed relations, grouped by what they say from this entity's side: the table's label for
   * outgoing edges ("evaluated on"), its inverse for incoming ones ("used by"). */
  function relationGroups(r) {
    const groupsOf = new Map();
    for (const rel of r.relations) {
      const kind = kinds[rel.k];
      if (!kind) continue;
      const name = rel.d === "out" ? kind.label : kind.inverse;
      if (!groupsOf.has(name)) groupsOf.set(name, { name, kind: rel.k, items: new Map() });
      const g = groupsOf.get(name);
      if (!g.items.has(rel.e)) g.items.set(rel.e, []);
      g.items.get(rel.e).push(...rel.st);
    }
    const order = Object.keys(kinds);
    return [...groupsOf.values()].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.name.localeCompare(b.name));
  }
  function relationsSection(r) {
    const groupsList = relationGroups(r);
    if (!groupsList.length) return null;
    const rows = () => {
      const out = [["relation", "entity", "type", "paper", "sentence"]];
      for (const g of groupsList) {
        for (const [e, sts] of g.items) {
          for (const s of sts) out.push([g.name, tex(info(e).l), info(e).t, tex((info(s.p) || { l: s.p }).l), s.s ? tex(s.s) : ""]);
        }
      }
      return out;
    };
    return el("section", { class: "relations" }, heading("Relations stated in the papers", rows, slug(r.l) + "-relations"),
      groupsList.map((g) => {
        const style = edgeStyle(g.kind);
        return el("div", { class: "rel-group", dataset: { relation: g.name, kind: g.kind } },
          el("h4", { class: "group" }, lineIcon(style), g.name, el("span", { class: "n", text: "(" + g.items.size + ")" })),
          el("ul", { class: "items" }, [...g.items].map(([e, sts]) => {
            const papers = new Set(sts.map((s) => s.p));
            return el("li", { dataset: { entity: e } },
              el("div", { class: "item" }, entityButton(e),
                papers.size ? el("span", { class: "count meta", text: plural(papers.size, "paper") }) : null),
              el("ul", { class: "evidence" }, sts.map((s) => el("li", null,
                s.s ? highlighted(s.s, []) : el("span", { class: "meta", text: "(sentence not in this page) " }),
                el("span", { class: "from" }, " \u2014 ", paperButton(s.p))))));
          })));
      }));
  }
  /* The numbers papers report (a result of, on, measured by, relative to: the result-scope
   * kinds of the table, in its order), each with its sentence and paper. */
  const resultRoles = Object.values(kinds).filter((k) => k.scope === "result").map((k) => k.name);
  function resultsSection(r, title) {
    const found = r.results || [];
    if (!found.length) return null;
    const rows = () => [["value", "kind", ...resultRoles.map((k) => kinds[k].label), "paper", "sentence"],
      ...found.map((x) => {
        const of = Object.fromEntries(x.roles);
        return [x.v, x.k, ...resultRoles.map((k) => (of[k] ? tex(info(of[k]).l) : "")),
          tex((info(x.p) || { l: x.p }).l), x.ev ? tex(x.ev.s) : ""];
      })];
    return el("section", { class: "results" },
      heading((title || "Results reported") + " (" + found.length + ")", rows, slug(r.l) + "-results"),
      el("ul", { class: "items" }, found.map((x) => el("li", { dataset: { paper: x.p, value: x.v } },
        el("div", { class: "item" }, el("strong", { text: x.v }),
          el("span", { class: "meta", text: x.k }),
          el("span", null, resultRoles.filter((k) => x.roles.some(([role]) => role === k)).map((k) =>
            el("span", { class: "role", dataset: { role: k } }, " " + kinds[k].label + " ",
              ...x.roles.filter(([role]) => role === k).map(([, e]) => entityButton(e)))))),
        el("ul", { class: "evidence" }, el("li", null,
          x.ev ? highlighted(x.ev.s, x.ev.m.map(([a, b]) => ({ start: a, end: b }))) : "",
          r.id === x.p ? null : el("span", { class: "from" }, " \u2014 ", paperButton(x.p))))))));
  }
  /* Everything seen in the same papers, by type, with counts and the papers behind each. */
  function neighboursSection(r) {
    if (!r.neighbours.length) return null;
    const byType = new Map();
    for (const nb of r.neighbours) {
      const t = (info(nb.e) || {}).t || "";
      if (!byType.has(t)) byType.set(t, []);
      byType.get(t).push(nb);
    }
    const types = D.types.map((t) => t[0]).filter((t) => byType.has(t));
    const rows = () => {
      const out = [["type", "entity", "papers together", "papers of the entity"]];
      for (const t of types) for (const nb of byType.get(t)) out.push([t, tex(info(nb.e).l), nb.n, info(nb.e).n]);
      return out;
    };
    return el("section", { class: "neighbours" },
      heading("Around this entity: in the same papers", rows, slug(r.l) + "-neighbours"),
      types.map((t) => {
        const list = byType.get(t);
        const total = (r.totals || {})[t] || list.length;
        const [ul, more] = moreList("ul", { class: "items" }, list, NEIGHBOURS_SHOWN, (nb) => neighbourItem(r.id, nb),
          (k) => "Show " + k + " more");
        return el("div", { class: "type-group", dataset: { type: t } },
          el("h4", { class: "group" }, shapeIcon(typeStyle[t].shape, typeStyle[t].colour, 12), t,
            el("span", { class: "n", text: "(" + total.toLocaleString() + ")" })), ul, more,
          total > list.length ? el("p", { class: "meta", text: (total - list.length).toLocaleString() + " more, each in fewer papers together" }) : null);
      }));
  }
  function neighbourItem(id, nb) {
    const li = el("li", { dataset: { entity: nb.e, n: nb.n } });
    let sub = null;
    const toggle = el("button", { type: "button", class: "link count", title: "The papers that mention both",
      text: plural(nb.n, "paper") + " \u25b8", onclick: async () => {
        if (sub) {
          sub.remove();
          sub = null;
          return;
        }
        sub = el("ul", { class: "sub shared" }, el("li", { class: "meta", text: "\u2026" }));
        li.append(sub);
        const list = sub;
        try {
          const papers = await source.shared(id, nb.e);
          list.replaceChildren(...papers.map((p) => el("li", { dataset: { paper: p } }, paperButton(p),
            info(p) && info(p).d ? el("span", { class: "meta", text: " " + info(p).d }) : null)));
        } catch (err) {
          list.replaceChildren(el("li", { class: "hint", text: "Could not load them: " + err.message }));
        }
      } });
    li.append(el("div", { class: "item" }, entityButton(nb.e), toggle));
    return li;
  }
  function papersSection(r) {
    const rows = () => [["title", "date", "link", "relation", "evidence"], ...r.papers.map((p) => {
      const x = info(p.p) || { l: p.p };
      return [tex(x.l), x.d || "", safeHref(x.u), p.r, (p.ev || []).map((s) => tex(s.s)).join(" | ")];
    })];
    const [list, more] = moreList("ol", { class: "papers" }, r.papers, PAPERS_SHOWN, (p) => {
      const x = info(p.p) || { l: p.p };
      return el("li", { dataset: { paper: p.p } },
        el("div", null, paperButton(p.p), relBadge(p.r), extLink(x.u)),
        p.ev ? evidenceList(p.ev) : null);
    }, (k) => "Show all " + r.papers.length + " papers");
    const inPage = r.papers.length < r.n ? " (" + r.papers.length.toLocaleString() + " listed)" : "";
    return el("section", { class: "papers-section" },
      heading("Papers (" + r.n.toLocaleString() + ")" + inPage, rows, slug(r.l) + "-papers"),
      missingNote(r.missing), list, more);
  }

  const PAPER_SECTIONS = [paperHeader, paperRelations, (r) => resultsSection(r, "Results it reports"),
    paperEntities];
  function paperView(r) {
    return el("div", { class: "paper-view", dataset: { node: r.id } }, PAPER_SECTIONS.map((section) => section(r)));
  }
  function paperHeader(r) {
    const spans = { title: [], abstract: [] };
    for (const x of r.ents) for (const [f, a, b] of x.sp) if (spans[f]) spans[f].push({ start: a, end: b, entity: x.e });
    const authors = r.au.length > 8 ? r.au.slice(0, 8).join(", ") + " et al." : r.au.join(", ");
    return [
      el("h2", null, el("span", { class: "label" }, highlighted(r.l, spans.title, go))),
      el("p", { class: "meta" }, el("span", { class: "badge", style: { background: "#8c8178" }, text: "Paper" }),
        r.d ? " " + r.d : "", authors ? " \u00b7 " + authors : ""),
      r.u ? el("p", null, extLink(r.u)) : null,
      notDrawnHint(r.id),
      el("h3", { text: "Abstract" }),
      r.a != null ? el("p", { class: "abstract" }, highlighted(r.a, spans.abstract, go)) : missingNote(r.missing),
    ];
  }
  function paperRelations(r) {
    if (!r.relations.length) return null;
    const rows = () => [["head", "relation", "tail", "sentence"], ...r.relations.map((x) =>
      [tex(info(x.h).l), kinds[x.k].label, tex(info(x.t).l), x.s ? tex(x.s) : ""])];
    return el("section", { class: "relations" }, heading("Relations it states", rows, slug(r.l) + "-relations"),
      el("ul", { class: "items" }, r.relations.map((x) => el("li", { dataset: { kind: x.k } },
        el("div", { class: "item" }, entityButton(x.h), el("span", { class: "meta", text: kinds[x.k].label }), entityButton(x.t)),
        x.s ? el("ul", { class: "evidence" }, el("li", null, highlighted(x.s, []))) : null))));
  }
  function paperEntities(r) {
    if (!r.ents.length) return el("p", { class: "meta", text: "No entities found in this paper." });
    const byType = new Map();
    for (const x of r.ents) {
      const t = (info(x.e) || {}).t;
      if (!byType.has(t)) byType.set(t, []);
      byType.get(t).push(x);
    }
    const rows = () => [["type", "entity", "introduced"], ...r.ents.map((x) => [info(x.e).t, tex(info(x.e).l), x.r === "introduces" ? "yes" : ""])];
    return el("section", { class: "paper-entities" }, heading("Entities", rows, slug(r.l) + "-entities"),
      D.types.filter(([t]) => byType.has(t)).map(([t, colour, shape]) =>
        el("div", null, el("h4", { class: "group" }, t, el("span", { class: "n", text: "(" + byType.get(t).length + ")" })),
          el("div", { class: "chips" }, byType.get(t)
            .sort((a, b) => shownLabel(a.e).localeCompare(shownLabel(b.e)))
            .map((x) => el("button", { type: "button", class: "chip", dataset: { entity: x.e },
              title: x.r === "introduces" ? "introduced by this paper" : "mentioned",
              onclick: () => go(x.e) }, shapeIcon(shape, colour, 11), shownLabel(x.e) + (x.r === "introduces" ? " \u2605" : "")))))));
  }

  /* ---------- events, start ---------- */
  network.on("click", (params) => {
    if (params.nodes.length) {
      api.focused = params.nodes[0];
      openPanel(params.nodes[0]);
      focusNode(params.nodes[0]);
    } else if (panel.hidden) {
      spotlight(null);
    }
  });
  container.addEventListener("mouseleave", () => {
    const tip = container.querySelector("div.vis-tooltip");
    if (tip) tip.style.visibility = "hidden";
  });

  const first = firstView();
  slider.max = Math.max(2, Math.min(maxCount, Math.max(50, 2 * first.min)));
  state.minPapers = first.min;
  state.showPapers = first.papers && !showPapers.disabled;
  if (D.focus && info(D.focus) && D.radius) {
    api.panelEntity = D.focus;
    state.aroundId = D.focus;
    state.radius = D.radius;
    source.around(D.focus, D.radius).then((set) => { state.aroundSet = set; syncControls(); sync(); });
  } else {
    syncControls();
    sync();
  }
  if (D.focus && info(D.focus)) {
    openPanel(D.focus);
    network.once("stabilizationIterationsDone", () => network.selectNodes([D.focus], true));
  }
})();
