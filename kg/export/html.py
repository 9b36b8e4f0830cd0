"""HTML export: an interactive explorer of the graph, built with pyvis (vis-network).

The page is one self-contained file that makes no network request: vis-network's script is
inlined from the installed pyvis package, and the small UI (search, filters, side panel) is
plain JS from ``templates/explorer.js``. Every string that comes from the input reaches the
page only as JSON inside ``<script type="application/json">`` with ``<``, ``>`` and ``&``
escaped, and the page builds its DOM with ``textContent``; a Content-Security-Policy allows
only the page's own inline scripts (by hash) and no fetches.

A graph bigger than ``max_nodes`` is cut: the page draws the entities seen in the most papers
(with their strongest co-occurrences) and says so; `neighbourhood` gives one entity's part of
the graph for ``kg view``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from pathlib import Path

import networkx as nx
import pyvis
from pyvis.network import Network

from kg.graph import CO_OCCURS, mention_edges
from kg.model import RELATION_KINDS

TEMPLATES = Path(__file__).parent / "templates"
VIS_JS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
VIS_LICENCE = ("vis-network 9.1.2 (https://visjs.github.io/vis-network/), (c) 2011-2017 "
               "Almende B.V. and 2017-2019 visjs contributors, dual licensed Apache-2.0 or MIT; "
               "inlined from the pyvis package (BSD)")
DEFAULT_MAX_NODES = 2000
CO_OCCURS_PER_NODE = 3  # strongest co-occurrence lines drawn per entity when papers aren't drawn

# (colour, vis shape) per entity type; shapes with the label outside, so size shows paper count
TYPE_STYLES = {"Dataset": ("#4e79a7", "triangle"), "Benchmark": ("#59a14f", "star"),
               "Model": ("#e15759", "dot"), "Method": ("#f28e2b", "diamond"),
               "Task": ("#b07aa1", "hexagon"), "Metric": ("#c9a227", "triangleDown")}
EXTRA_COLOURS = ["#76b7b2", "#9c755f", "#ff9da7", "#8cd17d", "#499894", "#d37295"]
PAPER_STYLE = ("#bab0ac", "square")
#: relation -> vis edge options, from the relation-kind table; the page applies them and draws
#: the legend
EDGE_STYLES = {k.name: k.style for k in RELATION_KINDS}
PAPER_LABEL_CHARS = 32
SMALL_GRAPH = 150  # up to this many drawn nodes, every node takes part in the physics


def script_safe(json_text: str) -> str:
    """JSON text made safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survives
    (they can only occur inside JSON strings, where the escapes mean the same), so no string
    can close the element or open a comment, whatever the input says."""
    return (json_text.replace("&", "\\u0026").replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029"))


def script_json(obj) -> str:
    """`obj` as compact JSON, safe inside a ``<script>`` element (see `script_safe`)."""
    return script_safe(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def safe_url(url: str) -> str:
    """The url if it is an absolute http(s) URL, else "" (no ``javascript:`` links)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) and " " not in url else ""


def paper_link(d: dict) -> str:
    """Link to a paper's page: its url when http(s), else its arXiv abstract page, else ""."""
    return safe_url(d.get("url", "")) or (
        f"https://arxiv.org/abs/{d['arxiv']}" if d.get("arxiv") else "")


def type_styles(g: nx.MultiDiGraph) -> dict[str, tuple[str, str]]:
    """Colour and shape of every entity type in the graph (known types first, in order)."""
    found = {d.get("type", "") for _, d in g.nodes(data=True) if d.get("kind") == "entity"}
    styles = {t: s for t, s in TYPE_STYLES.items() if t in found}
    for i, t in enumerate(sorted(found - set(TYPE_STYLES))):
        styles[t] = (EXTRA_COLOURS[i % len(EXTRA_COLOURS)], "dot")
    return styles


def ranked_entities(g: nx.MultiDiGraph) -> list[str]:
    """Entity nodes, most papers first, then by label."""
    return sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "entity"),
                  key=lambda n: (-g.nodes[n].get("papers", 0),
                                 str(g.nodes[n].get("label", "")).casefold(), n))


def drawn_nodes(g: nx.MultiDiGraph, max_nodes: int = DEFAULT_MAX_NODES,
                keep: str | None = None) -> tuple[list[str], str]:
    """The nodes the page draws and, if it cannot draw them all, the sentence saying so.

    Up to `max_nodes` nodes the whole graph is drawn. Above, the `max_nodes` entities seen in
    the most papers are (always including `keep`), and no paper node."""
    shown = [n for n, k in g.nodes(data="kind") if k in ("paper", "entity")]
    if len(shown) <= max_nodes:
        return shown, ""
    ranked = ranked_entities(g)
    top = ranked[:max(1, max_nodes)]
    if keep is not None and keep not in top and keep in g:
        top[-1] = keep
    n_papers = sum(1 for _, k in g.nodes(data="kind") if k == "paper")
    least = min(g.nodes[n].get("papers", 0) for n in top)
    note = (f"Large graph: showing the {len(top):,} of {len(ranked):,} entities seen in the most "
            f"papers (each in at least {least:,}); the {n_papers:,} papers are listed in the "
            "side panel but not drawn, and lines show co-occurrence. For one entity's "
            "neighbourhood: kg view NAME -o page.html")
    return top, note


def drawn_edges(g: nx.MultiDiGraph, nodes: list[str]) -> list[tuple[str, str, str, int]]:
    """(from, to, relation, weight) of the lines to draw between `nodes`: paper -> entity edges,
    or, where no paper is drawn, each entity's strongest co-occurrences."""
    shown = set(nodes)
    edges = [(u, v, d["relation"], 1) for u, v, d in mention_edges(g)
             if u in shown and v in shown]
    if edges or any(g.nodes[n].get("kind") == "paper" for n in nodes):
        return edges
    by_node: dict[str, list[tuple[int, str, str]]] = {}
    for u, v, d in g.edges(data=True):
        if d.get("relation") == CO_OCCURS and u in shown and v in shown:
            w = int(d.get("weight", 1))
            by_node.setdefault(u, []).append((w, u, v))
            by_node.setdefault(v, []).append((w, u, v))
    chosen = set()
    for items in by_node.values():
        items.sort(key=lambda t: (-t[0], t[1], t[2]))
        chosen.update(items[:CO_OCCURS_PER_NODE])
    return [(u, v, CO_OCCURS, w) for w, u, v in sorted(chosen, key=lambda t: (t[1], t[2]))]


def leaf_anchors(nodes: list[str], lines: list[tuple]) -> dict[str, str]:
    """Drawn node -> the node it hangs from, for nodes with a single line.

    Most entities occur in one paper; the page leaves such leaves out of the physics and
    puts them in a ring around their anchor once the rest has settled, which makes the
    layout settle several times faster. In a two-node component the larger id hangs."""
    neighbours: dict[str, set[str]] = {n: set() for n in nodes}
    for u, v, *_ in lines:
        neighbours[u].add(v)
        neighbours[v].add(u)
    anchors = {}
    for n, around in neighbours.items():
        if len(around) == 1:
            (other,) = around
            if len(neighbours[other]) > 1 or n > other:
                anchors[n] = other
    return anchors


def neighbourhood(g: nx.MultiDiGraph, node: str, radius: int = 1) -> nx.MultiDiGraph:
    """The part of the graph within `radius` shared-paper steps of `node`.

    One step goes from an entity through a paper that mentions it to the other entities of
    that paper, so radius 1 is the entity, its papers and everything those papers mention.
    Co-occurrence edges between the kept entities come along."""
    if node not in g:
        raise KeyError(node)
    if radius < 0:
        raise ValueError("radius must be 0 or more")
    hops = 2 * radius if g.nodes[node].get("kind") == "entity" else 2 * radius + 1
    seen = {node}
    frontier = [node]
    for _ in range(hops):
        nxt = []
        for u in frontier:
            for a, b, d in (*g.out_edges(u, data=True), *g.in_edges(u, data=True)):
                other = b if a == u else a
                if (d.get("relation") != CO_OCCURS and other not in seen
                        and g.nodes[other].get("kind") != "result"):
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return g.subgraph(seen).copy()


def find_entities(g: nx.MultiDiGraph, name: str) -> list[str]:
    """Entities whose label or an alias is `name` (ignoring case): label matches first, then
    by number of papers."""
    key = name.strip().casefold()
    hits = []
    for n, d in g.nodes(data=True):
        if d.get("kind") != "entity":
            continue
        if str(d.get("label", "")).casefold() == key:
            hits.append((0, n))
        elif any(str(a).casefold() == key for a in d.get("aliases") or ()):
            hits.append((1, n))
    return [n for _, n in sorted(hits, key=lambda h: (h[0], -g.nodes[h[1]].get("papers", 0),
                                                      h[1]))]


def _evidence(text: str, ev: dict) -> list:
    """One occurrence as ``[field, start, end, sentence start, sentence end]`` (offsets into
    the title or abstract), or ``[field, sentence, mention]`` when the offsets don't fit."""
    field, start, end = ev.get("field", ""), ev.get("start"), ev.get("end")
    sentence, mention = ev.get("sentence") or "", ev.get("text") or ""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text) \
            and text[start:end] == mention:
        if not sentence:
            return [field, start, end, start, end]
        at = text.rfind(sentence, 0, start + len(sentence))  # the last one starting by `start`
        if at >= 0 and end <= at + len(sentence):
            return [field, start, end, at, at + len(sentence)]
    return [field, sentence or mention, mention]


def page_data(g: nx.MultiDiGraph, drawn: list[str], relations: set[str] = frozenset(),
              note: str = "", title: str = "", focus: str | None = None) -> dict:
    """What the page's search, legend and side panel need, as plain JSON-able data:
    every paper and entity of `g` (drawn or not) and the evidence of each paper -> entity
    edge; `relations` are those of the drawn lines, for the legend."""
    entities, papers = {}, {}
    for n, d in g.nodes(data=True):
        if d.get("kind") == "paper":
            papers[n] = {"l": d.get("label", ""), "a": d.get("abstract", ""),
                         "u": paper_link(d), "d": d.get("date", ""),
                         "au": list(d.get("authors") or [])}
        elif d.get("kind") == "entity":
            label = d.get("label", "")
            aliases = [a for a in dict.fromkeys(d.get("aliases") or []) if a != label]
            entities[n] = {"l": label, "t": d.get("type", ""), "a": aliases,
                           "n": d.get("papers", 0)}
    links = []
    for u, v, d in mention_edges(g):
        if u in papers and v in entities:
            p = papers[u]
            links.append([u, v, d.get("relation", "mentions"),
                          [_evidence(p["l"] if ev.get("field") == "title" else p["a"], ev)
                           for ev in d.get("evidence") or []]])
    kinds = Counter(g.nodes[n].get("kind") for n in drawn)
    return {"title": title, "note": note, "focus": focus,
            "types": [[t, c, s] for t, (c, s) in type_styles(g).items()],
            "paper": list(PAPER_STYLE), "relations": [r for r in EDGE_STYLES if r in relations],
            "edgeStyles": EDGE_STYLES, "drawn": {"papers": kinds["paper"],
                                                 "entities": kinds["entity"]},
            "entities": entities, "papers": papers, "links": links}


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def vis_options(n_nodes: int) -> dict:
    """vis-network options: groups per type, a layout that settles, then (in the page's
    script) physics off."""
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": False},
        "nodes": {"borderWidth": 1, "borderWidthSelected": 4,
                  "font": {"size": 14, "face": "system-ui, sans-serif", "strokeWidth": 3,
                           "strokeColor": "#ffffff"},
                  # sizes grow with the paper count (the page's log scale), so the main
                  # entities' labels stay readable with the whole graph in view
                  "scaling": {"min": 8, "max": 48,
                              "label": {"enabled": True, "min": 16, "max": 64,
                                        "drawThreshold": 8, "maxVisible": 26}}},
        "edges": {"smooth": False, "selectionWidth": 2, "hoverWidth": 0.5},
        "interaction": {"hover": True, "tooltipDelay": 200, "hideEdgesOnDrag": n_nodes > 1500,
                        "hideEdgesOnZoom": n_nodes > 1500, "navigationButtons": False,
                        "keyboard": False, "multiselect": False},
        # forceAtlas2 for big graphs (cheap per step; leaves sit out, see `leaf_anchors`),
        # barnesHut with overlap avoidance for a small one such as a `kg view` page
        "physics": {
            "enabled": True,
            **({"solver": "forceAtlas2Based",
                "forceAtlas2Based": {"theta": 0.9, "gravitationalConstant": -70,
                                     "centralGravity": 0.015, "springLength": 80,
                                     "springConstant": 0.06, "damping": 0.5,
                                     "avoidOverlap": 0}}
               if n_nodes > SMALL_GRAPH else
               {"solver": "barnesHut",
                "barnesHut": {"gravitationalConstant": -4000, "springLength": 120,
                              "avoidOverlap": 0.3}}),
            "maxVelocity": 60, "minVelocity": 1.5, "timestep": 0.5,
            "stabilization": {"enabled": True, "iterations": 300 if n_nodes <= 1000 else 150,
                              "updateInterval": 25, "fit": True},
        },
    }


def _network(g: nx.MultiDiGraph, drawn: list[str], lines: list[tuple[str, str, str, int]],
             styles: dict) -> Network:
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    anchors = leaf_anchors(drawn, lines) if len(drawn) > SMALL_GRAPH else {}
    leaves = Counter(anchors.values())
    for n in drawn:
        d = g.nodes[n]
        # a leaf sits out of the physics (see `leaf_anchors`); an anchor gets the mass to
        # keep its ring of leaves clear of the others
        layout = ({"physics": False, "anchor": anchors[n]} if n in anchors
                  else {"mass": round(1 + 0.35 * leaves[n], 2)} if leaves[n] else {})
        if d.get("kind") == "paper":
            title = str(d.get("label", ""))
            net.add_node(n, label=_short(title, PAPER_LABEL_CHARS), shape=PAPER_STYLE[1],
                         group="Paper", size=7, title=f"Paper: {title}", kind="paper", **layout)
        else:
            etype, label, count = d.get("type", ""), str(d.get("label", "")), d.get("papers", 0)
            net.add_node(n, label=label, shape=styles[etype][1], group=etype,
                         value=max(1, count), kind="entity", papers=count, **layout,
                         title=f"{etype}: {label} ({count} paper{'s' if count != 1 else ''})")
    for u, v, rel, weight in lines:  # styled per relation by the page, from EDGE_STYLES
        extra = {"width": round(min(6, 0.6 + 0.5 * weight), 1)} if rel == CO_OCCURS else {}
        if u in anchors or v in anchors:
            extra["physics"] = False
        net.add_edge(u, v, relation=rel, **extra)
    groups = {t: {"color": {"background": c, "border": c,
                            "highlight": {"background": c, "border": "#222222"},
                            "hover": {"background": c, "border": "#222222"}}, "shape": s}
              for t, (c, s) in styles.items()}
    colour, shape = PAPER_STYLE
    groups["Paper"] = {"color": {"background": "#e6e1dc", "border": "#8c8178",
                                 "highlight": {"background": colour, "border": "#222222"},
                                 "hover": {"background": colour, "border": "#222222"}},
                       "shape": shape, "borderWidth": 1.5,
                       "font": {"size": 11, "color": "#6b6259"}}
    net.options = {**vis_options(len(drawn)), "groups": groups}
    return net


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def to_html(g: nx.MultiDiGraph, max_nodes: int = DEFAULT_MAX_NODES, focus: str | None = None,
            title: str = "") -> str:
    """The explorer page for `g`; `focus` is a node to select and open on load."""
    drawn, note = drawn_nodes(g, max_nodes, keep=focus)
    if not title:
        kinds = Counter(k for _, k in g.nodes(data="kind"))
        title = f"paperkg: {kinds['paper']:,} papers, {kinds['entity']:,} entities"
    lines = drawn_edges(g, drawn)
    net = _network(g, drawn, lines, type_styles(g))
    net.set_template_dir(str(TEMPLATES), "explorer.html")
    vis_js = VIS_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    app_js = (TEMPLATES / "explorer.js").read_text(encoding="utf-8").replace("</script",
                                                                             "<\\/script")
    net.templateEnv.filters.update(script_json=script_json, script_safe=script_safe)
    net.templateEnv.globals.update(
        vis_js=vis_js, app_js=app_js, vis_licence=VIS_LICENCE,
        kg_data=page_data(g, drawn, {rel for *_, rel, _ in lines}, note, title, focus),
        script_hashes=" ".join(_csp_hash(s) for s in (vis_js, app_js)))
    return net.generate_html()
