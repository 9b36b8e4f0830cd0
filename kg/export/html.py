"""HTML export: an interactive explorer of the graph on vis-network (inlined from pyvis).

The page is one self-contained file that makes no network request: vis-network's script is
inlined from the installed pyvis package, and the UI (first view, filters, panel) is plain JS
from ``templates/`` (``tex.js``, ``source.js``, ``explorer.js``). Every string that comes from
the input reaches the page only as JSON inside ``<script type="application/json">`` with
``<``, ``>`` and ``&`` escaped, and the page builds its DOM with ``textContent``; a
Content-Security-Policy allows only the page's own script (by hash) and no fetches.

The page's data (`page_data`) is compact and positional, entities ranked by papers:

- ``E``: ``[id, label, type index, papers, aliases]`` per entity, the first ``drawable`` of
  them the ones the canvas may draw, with ``H``: their papers by month (for the date filter)
  and ``C``: their strongest co-occurrences ``[a, b, papers]``;
- ``P``: ``[id, title, link, date, authors, abstract]`` per paper, ``L``: each paper's entity
  indexes (``~i`` when the paper introduces it) and ``V``: the evidence of each of those links
  (``[field, start, end, sentence start, sentence end]``, field 0 title / 1 abstract, or
  ``[field, sentence, mention]`` when the offsets don't fit);
- ``R``: ``[head, kind, tail, [[paper, sentence, rule], ...]]`` per stated relation, the kind
  an index of ``kinds`` (the relation-kind table of `kg.model`, with its labels and styles),
  the sentence ``[field, start, end]`` of the paper's text, or the text itself;
- ``X``: ``[paper, value, result kind, [[role kind, entity], ...], evidence]`` per number a
  paper reports (`kg.graph.result_nodes`), the evidence as for a link (the value marked).

A graph too big for `budget` bytes loses, in turn, its abstracts and evidence sentences
("lean": the page says so and names the ``kg view`` / ``kg query`` command that shows them),
then its papers that mention the fewest drawn entities ("cut"), so the file stays small at any
corpus size. The page builds the panel's records from this data in ``source.js``; ``kg serve``
gives the same page records built from its store (`kg.explore`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import pyvis

from kg.graph import CO_OCCURS, mention_edges, relation_edges, result_nodes
from kg.model import PAPER_KINDS, RELATION_KINDS

TEMPLATES = Path(__file__).parent / "templates"
SCRIPTS = ("tex.js", "source.js", "explorer.js")  # one inline script, in this order
VIS_JS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
VIS_LICENCE = ("vis-network 9.1.2 (https://visjs.github.io/vis-network/), (c) 2011-2017 "
               "Almende B.V. and 2017-2019 visjs contributors, dual licensed Apache-2.0 or MIT; "
               "inlined from the pyvis package (BSD)")
DEFAULT_MAX_NODES = 2000  # entities the canvas may draw (the filters choose among them)
DATA_BUDGET = 23_000_000  # bytes of page data; with the scripts the page stays under 25 MB
CO_OCCURS_PER_NODE = 8  # strongest co-occurrences kept per drawable entity (the page draws 3)
AUTHORS_LEAN = 3  # authors kept per paper in a lean page

# (colour, vis shape) per entity type; shapes with the label outside, so size shows paper count
TYPE_STYLES = {"Dataset": ("#4e79a7", "triangle"), "Benchmark": ("#59a14f", "star"),
               "Model": ("#e15759", "dot"), "Method": ("#f28e2b", "diamond"),
               "Task": ("#b07aa1", "hexagon"), "Metric": ("#c9a227", "triangleDown")}
EXTRA_COLOURS = ["#76b7b2", "#9c755f", "#ff9da7", "#8cd17d", "#499894", "#d37295"]
PAPER_STYLE = ("#bab0ac", "square")


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


def type_styles(types) -> dict[str, tuple[str, str]]:
    """Colour and shape of every entity type in `types` (known types first, in order)."""
    found = set(types)
    styles = {t: s for t, s in TYPE_STYLES.items() if t in found}
    for i, t in enumerate(sorted(found - set(TYPE_STYLES))):
        styles[t] = (EXTRA_COLOURS[i % len(EXTRA_COLOURS)], "dot")
    return styles


def month(date: str) -> int | None:
    """A ``dcterms:date`` (``2024-05-01``, ``2024-05``, ``2024``) as months since year 0."""
    parts = (date or "").strip()[:7].split("-")
    try:
        year = int(parts[0])
        mon = int(parts[1]) if len(parts) > 1 and parts[1] else 1
    except ValueError:
        return None
    return year * 12 + mon - 1 if 1 <= mon <= 12 and 1000 <= year <= 9999 else None


def ranked_entities(g: nx.MultiDiGraph) -> list[str]:
    """Entity nodes, most papers first, then by label."""
    return sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "entity"),
                  key=lambda n: (-g.nodes[n].get("papers", 0),
                                 str(g.nodes[n].get("label", "")).casefold(), n))


def neighbourhood(g: nx.MultiDiGraph, node: str, radius: int = 1) -> nx.MultiDiGraph:
    """The part of the graph within `radius` shared-paper steps of `node`.

    One step goes from an entity through a paper that mentions it to the other entities of
    that paper, so radius 1 is the entity, its papers and everything those papers mention.
    Co-occurrence and relation edges between the kept entities come along."""
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
            for other in _one_hop(g, u):
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    return g.subgraph(seen).copy()


def _one_hop(g: nx.MultiDiGraph, node: str) -> list[str]:
    """A paper's entities, or an entity's papers."""
    if g.nodes[node].get("kind") == "paper":
        return [v for _, v, _ in mention_edges(g, node)]
    return [p for p, _, k in g.in_edges(node, keys=True) if k in PAPER_KINDS]


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
    the title or abstract), or ``[field, sentence, mention]`` when the offsets don't fit; the
    field is 0 for the title, 1 for the abstract."""
    field = 0 if ev.get("field") == "title" else 1
    start, end = ev.get("start"), ev.get("end")
    sentence, mention = ev.get("sentence") or "", ev.get("text") or ""
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text) \
            and text[start:end] == mention:
        if not sentence:
            return [field, start, end, start, end]
        at = text.rfind(sentence, 0, start + len(sentence))  # the last one starting by `start`
        if at >= 0 and end <= at + len(sentence):
            return [field, start, end, at, at + len(sentence)]
    return [field, sentence or mention, mention]


def _sentence_ref(title: str, abstract: str, sentence: str):
    """Where a statement's sentence is in its paper: ``[field, start, end]``, else the text."""
    for field, text in ((1, abstract), (0, title)):
        at = text.find(sentence) if sentence else -1
        if at >= 0:
            return [field, at, at + len(sentence)]
    return sentence


def page_data(g: nx.MultiDiGraph, max_nodes: int = DEFAULT_MAX_NODES, focus: str | None = None,
              radius: int | None = None, title: str = "", budget: int = DATA_BUDGET) -> dict:
    """What the page draws and shows, as plain JSON-able data (see the module's docstring),
    in `budget` bytes of JSON at most."""
    data = _full_data(g, max_nodes, focus)
    data.update(title=title or _title(g), focus=focus, radius=radius)
    if _size(data) <= budget:
        return data
    _lean(data)
    if _size(data) <= budget:
        return data
    _cut(data, budget)
    return data


def _title(g: nx.MultiDiGraph) -> str:
    kinds = Counter(k for _, k in g.nodes(data="kind"))
    return f"paperkg: {kinds['paper']:,} papers, {kinds['entity']:,} entities"


def _size(data: dict) -> int:
    return len(script_json(data).encode())


def _full_data(g: nx.MultiDiGraph, max_nodes: int, focus: str | None) -> dict:
    ents = ranked_entities(g)
    drawable = min(len(ents), max(1, max_nodes))
    if focus in g and g.nodes[focus].get("kind") == "entity" and \
            ents.index(focus) >= drawable:  # the focus is drawn, in the place of the last
        ents.remove(focus)
        ents.insert(drawable - 1, focus)
    e_index = {n: i for i, n in enumerate(ents)}
    styles = type_styles(g.nodes[n].get("type", "") for n in ents)
    t_index = {t: i for i, t in enumerate(styles)}
    entities = []
    for n in ents:
        d = g.nodes[n]
        label = str(d.get("label", ""))
        aliases = [a for a in dict.fromkeys(d.get("aliases") or []) if a != label]
        entities.append([n, label, t_index[d.get("type", "")], d.get("papers", 0), aliases])

    paper_ids = sorted(n for n, k in g.nodes(data="kind") if k == "paper")
    p_index = {n: i for i, n in enumerate(paper_ids)}
    papers, links, evidence = [], [], []
    for n in paper_ids:
        d = g.nodes[n]
        title, abstract = str(d.get("label", "")), str(d.get("abstract", ""))
        papers.append([n, title, paper_link(d), d.get("date", "") or "",
                       list(d.get("authors") or []), abstract])
        row, evs = [], []
        for _, e, ed in sorted(mention_edges(g, n), key=lambda t: e_index[t[1]]):
            row.append(~e_index[e] if ed.get("relation") == "introduces" else e_index[e])
            evs.append([_evidence(title if ev.get("field") == "title" else abstract, ev)
                        for ev in ed.get("evidence") or []])
        links.append(row)
        evidence.append(evs)

    kinds = kinds_table()
    k_index = {k[0]: i for i, k in enumerate(kinds)}
    relations = []
    for h, t, kind, d in sorted(relation_edges(g), key=lambda r: (e_index[r[0]], r[2],
                                                                  e_index[r[1]])):
        statements = []
        for st in d.get("statements") or []:
            p = p_index[st["paper"]]
            statements.append([p, _sentence_ref(papers[p][1], papers[p][5], st["sentence"]),
                               st.get("rule", "")])
        relations.append([e_index[h], k_index[kind], e_index[t], statements])

    results = []
    for _, d, roles in sorted(result_nodes(g), key=lambda r: r[0]):
        p = p_index.get(d["paper"])
        if p is None:
            continue
        text = papers[p][1] if d.get("field") == "title" else papers[p][5]
        results.append([p, d["value"], d.get("result_kind", ""),
                        sorted([k_index[role], e_index[e]] for role, e in roles.items()
                               if e in e_index and role in k_index),
                        _evidence(text, {"field": d.get("field"), "start": d.get("start"),
                                         "end": d.get("end"), "text": d["value"],
                                         "sentence": d.get("sentence", "")})])

    dated = {p_index[n]: m for n in paper_ids if (m := month(g.nodes[n].get("date", "")))
             is not None}
    histograms = []
    for i in range(drawable):
        by_month = Counter(dated[p] for p in _papers_of(g, ents[i], p_index) if p in dated)
        histograms.append([list(item) for item in sorted(by_month.items())])
    return {
        "v": 2, "note": _note(len(ents), drawable, entities),
        "kinds": kinds, "types": [[t, c, s] for t, (c, s) in styles.items()],
        "paper": list(PAPER_STYLE),
        "total": {"papers": len(paper_ids), "entities": len(ents)},
        "level": "full", "missing": "",
        "months": [min(dated.values()), max(dated.values())] if dated else None,
        "E": entities, "drawable": drawable, "H": histograms,
        "C": _co_occurrences(g, ents[:drawable], e_index),
        "P": papers, "L": links, "V": evidence, "R": relations, "X": results,
    }


def _papers_of(g: nx.MultiDiGraph, entity: str, p_index: dict[str, int]) -> list[int]:
    return [p_index[p] for p in _one_hop(g, entity) if p in p_index]


def _note(n_entities: int, drawable: int, entities: list) -> str:
    if drawable >= n_entities:
        return ""
    return (f"The canvas can draw the {drawable:,} entities seen in the most papers (each in at "
            f"least {entities[drawable - 1][3]:,}) of {n_entities:,}; search finds the others.")


def _co_occurrences(g: nx.MultiDiGraph, drawn: list[str], e_index: dict[str, int]) -> list:
    """Each drawable entity's strongest co-occurrences with other drawable ones."""
    shown = set(drawn)
    return strongest_pairs((e_index[u], e_index[v], int(d.get("weight", 1)))
                           for u, v, k, d in g.edges(keys=True, data=True)
                           if k == CO_OCCURS and u in shown and v in shown)


def strongest_pairs(pairs, per_node: int = CO_OCCURS_PER_NODE) -> list[list[int]]:
    """``[a, b, weight]`` (a < b) of the `per_node` heaviest of `pairs` ``(a, b, weight)`` at
    each end, in order."""
    by_node: dict[int, list[tuple[int, int, int]]] = {}
    for u, v, w in pairs:
        a, b = min(u, v), max(u, v)
        by_node.setdefault(a, []).append((-w, a, b))
        by_node.setdefault(b, []).append((-w, a, b))
    chosen = set()
    for items in by_node.values():
        chosen.update(sorted(items)[:per_node])
    return [[a, b, -w] for w, a, b in sorted(chosen, key=lambda t: (t[1], t[2]))]


def kinds_table() -> list[list]:
    """The relation-kind table as the page reads it: name, scope, label, inverse, vis style
    (read when a page is made, so a kind added to the table is in the next page)."""
    return [[k.name, k.scope, k.label, k.inverse, k.style] for k in RELATION_KINDS]


def _lean(data: dict) -> None:
    """Leave out abstracts, evidence and statement sentences, and all but a few authors."""
    for paper in data["P"]:
        paper[4] = paper[4][:AUTHORS_LEAN]
        paper[5] = None
    data["V"] = None
    for result in data["X"]:
        result[4] = None
    for relation in data["R"]:
        for statement in relation[3]:
            statement[1] = None
    data["level"] = "lean"
    data["missing"] = (
        f"This page leaves out abstracts and evidence sentences: with "
        f"{data['total']['papers']:,} papers they would not fit in one file.")


def _cut(data: dict, budget: int) -> None:
    """Keep the papers that mention the most drawable entities (then the newest), and the
    entities they mention, in `budget` bytes; relations and counts keep their full totals."""
    drawable = data["drawable"]
    papers, links = data["P"], data["L"]

    def rank(p: int) -> tuple:
        return (-sum(1 for e in links[p] if (e if e >= 0 else ~e) < drawable),
                "" if not papers[p][3] else _negated(papers[p][3]), p)

    order = sorted(range(len(papers)), key=rank)
    fixed = _size({**data, "P": [], "L": [], "R": [], "E": data["E"][:drawable]})
    cost = [len(script_json(papers[p]).encode()) + 8 * len(links[p]) + 8 for p in order]
    keep, used = [], fixed
    for p, c in zip(order, cost, strict=True):
        if used + c > budget * 0.8:  # room for the entities these papers bring
            break
        keep.append(p)
        used += c
    while True:
        trial = _subset(data, sorted(keep))
        if _size(trial) <= budget or not keep:
            break
        keep = keep[: int(len(keep) * 0.9)]
    data.clear()
    data.update(trial)


def _subset(data: dict, keep: list[int]) -> dict:
    """`data` with only the papers `keep` (indexes), the drawable entities and those the kept
    papers mention; indexes renumbered."""
    drawable = data["drawable"]
    entities = set(range(drawable))
    for p in keep:
        entities.update(e if e >= 0 else ~e for e in data["L"][p])
    e_new = {e: i for i, e in enumerate(sorted(entities))}
    p_new = {p: i for i, p in enumerate(keep)}

    def relink(e: int) -> int:
        return e_new[e] if e >= 0 else ~e_new[~e]

    relations = [[e_new[h], k, e_new[t], [[p_new[p], s, r] for p, s, r in sts if p in p_new]]
                 for h, k, t, sts in data["R"] if h in e_new and t in e_new]
    results = [[p_new[p], value, kind, [[k, e_new[e]] for k, e in roles if e in e_new], ev]
               for p, value, kind, roles, ev in data["X"] if p in p_new]
    out = {**data, "E": [data["E"][e] for e in sorted(entities)],
           "P": [data["P"][p] for p in keep], "L": [[relink(e) for e in data["L"][p]]
                                                    for p in keep],
           "R": relations, "X": results, "level": "cut",
           "C": [[e_new[a], e_new[b], w] for a, b, w in data["C"]]}
    out["missing"] = (
        f"{data['missing']} It lists {len(keep):,} of the {data['total']['papers']:,} papers "
        f"(those that mention the most drawn entities) and {len(entities):,} of the "
        f"{data['total']['entities']:,} entities; paper counts are of the whole graph.")
    return out


def _negated(date: str) -> str:
    """A sort key that puts later dates first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in date)


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def _inline(text: str) -> str:
    return text.replace("</script", "<\\/script")


def app_script() -> str:
    """The page's own script: the template scripts, in order, as one."""
    return "\n".join(_inline((TEMPLATES / name).read_text(encoding="utf-8"))
                     for name in SCRIPTS)


def vis_options() -> dict:
    """vis-network's options; the page sets sizes, fonts and the solver per layout."""
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": False},
        "nodes": {"borderWidth": 1, "borderWidthSelected": 4,
                  "font": {"size": 14, "face": "system-ui, sans-serif", "strokeWidth": 3,
                           "strokeColor": "#ffffff", "color": "#23201d"}},
        "edges": {"smooth": False, "selectionWidth": 2, "hoverWidth": 0.5},
        "interaction": {"hover": True, "tooltipDelay": 200, "navigationButtons": False,
                        "keyboard": False, "multiselect": False},
        "physics": {"enabled": True, "maxVelocity": 60, "minVelocity": 1.5, "timestep": 0.5,
                    "stabilization": {"enabled": True, "iterations": 300,
                                      "updateInterval": 25, "fit": False}},
    }


def render_page(data: dict, connect: str = "'none'") -> str:
    """The explorer page for `data` (a file's `page_data`, or `kg serve`'s overview, which
    names its API and lets the page `connect` to its own origin: ``'self'``)."""
    vis_js = _inline(VIS_JS.read_text(encoding="utf-8"))
    app_js = app_script()
    values = {"vis_js": vis_js, "app_js": app_js, "vis_licence": VIS_LICENCE,
              "kg_data": script_json(data), "kg_options": script_json(vis_options()),
              "connect": connect,
              "script_hashes": " ".join(_csp_hash(s) for s in (vis_js, app_js))}
    template = (TEMPLATES / "explorer.html").read_text(encoding="utf-8")
    # one pass, so nothing inserted is read again as a placeholder
    return re.sub(r"\{\{ (\w+) \}\}", lambda m: values[m[1]], template)


def to_html(g: nx.MultiDiGraph, max_nodes: int = DEFAULT_MAX_NODES, focus: str | None = None,
            title: str = "", radius: int | None = None, budget: int = DATA_BUDGET) -> str:
    """The explorer page for `g`; `focus` is an entity to open on load (with `radius`, the
    neighbourhood filter it opens with)."""
    return render_page(page_data(g, max_nodes, focus, radius, title, budget))
