"""Graph stage: papers, resolved entities and stated relations -> one graph, as a stream of
nodes and edges (`graph_items`) that the exporters write chunk by chunk, or held in memory as
a networkx graph (`build_graph`, `to_networkx`) for small graphs, `kg view` and `kg eval`.

A `MultiDiGraph` whose edges are keyed by their kind in `kg.model.RELATION_KINDS`, so two
kinds of edge between the same nodes (BERT uses and is compared with ELMo) both stand.
Node ids are the IRI paths under the base (``paper/<id>``, ``<type>/<slug>``), so every
exporter names a node the same way. Edges, each with ``relation`` = its kind:

- paper -> entity, ``mentions`` or ``introduces``, with ``evidence``: every occurrence;
- entity -> entity, ``evaluated_on``, ``uses``, ... with ``statements``: the papers that
  state it and their sentences; ``variant_of`` (found by resolution) has none;
- entity -- entity ``co_occurs``, weighted by the number of papers that mention both,
  stored once with the smaller id first;
- result -> entity, ``system``, ``dataset``, ``metric``, ``compared_to``: a reported number
  (a node of kind "result", ``result/<paper>/<field>-<start>``) and what it is tied to.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import combinations
from typing import TextIO

import networkx as nx
import numpy as np

from kg.ingest import slugify
from kg.model import (
    ENTITY_KINDS,
    PAPER_KINDS,
    Entity,
    Mention,
    Paper,
    Relation,
    Result,
    fitting_kind,
    relation_kind,
)

MENTIONS, INTRODUCES = relation_kind("mentions").name, relation_kind("introduces").name
CO_OCCURS = relation_kind("co_occurs").name
VARIANT_OF = relation_kind("variant_of").name


_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}(v\d+)?")
#: Slugs that an arXiv id or a digest-suffixed id can give, so a plain id may not keep them.
_TAKEN = re.compile(r"\d{4}-\d{4,5}(v\d+)?|.*-[0-9a-f]{8}")


def paper_node(paper: Paper) -> str:
    """``paper/<slug of the id>``, one per id: an arXiv id ("2401.00001" -> 2401-00001) and an
    id that is its own slug keep the plain slug; any other id, whose slug loses something
    (capitals, other characters, length: "ABC" and "abc"), gets 8 hex digits of its digest."""
    slug = slugify(paper.id)
    if _ARXIV_ID.fullmatch(paper.id) or slug == paper.id and not _TAKEN.fullmatch(slug):
        return f"paper/{slug}"
    return f"paper/{slug}-{hashlib.sha1(paper.id.encode()).hexdigest()[:8]}"


def entity_nodes(entities: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """(key, type, label) of each entity -> its node id ``<type>/<slug of label>``; ids that
    clash get a digest of the key."""
    entities = list(entities)
    ids: dict[str, str] = {}
    taken: Counter = Counter(f"{type_.lower()}/{slugify(label)}" for _, type_, label in entities)
    for key, type_, label in entities:
        node = f"{type_.lower()}/{slugify(label)}"
        if taken[node] > 1:
            node += "-" + hashlib.sha1(key.encode()).hexdigest()[:6]
        ids[key] = node
    return ids


#: Co-occurrence edges are kept between the entities seen in the most papers, this many: the
#: pairs of all entities are O(entities per paper ** 2) per paper, and the one reader of these
#: edges, the HTML page, draws at most this many entities.
COOCCURRING_ENTITIES = 2000

#: One element of the graph, in the order networkx iterates the graph `build_graph` makes:
#: ``("node", id, attrs)`` for every paper and entity (each by id), then
#: ``("edge", source, target, kind, attrs)`` grouped by source node in that order, and last
#: each result node followed by its edges. In a rebuild, ``("edges", paper, (json, nt))``
#: stands for a paper's edges when they are what the last build wrote: its graph.json lines
#: and graph.nt block (`Rendered`), which the writers copy.
Item = tuple
#: A paper's edges as the last build's writers made them: graph.json's lines (joined by
#: ",\n") and graph.nt's block.
Rendered = tuple[str, str]
#: One paper, its mentions with the entity node each resolved to, the relations and results
#: it states, and its edges as last written if they are unchanged.
PaperMentions = tuple[Paper, list[tuple[Mention, str]], Iterable[Relation], Iterable[Result],
                      Rendered | None]


def paper_attrs(p: Paper) -> dict:
    return {"kind": "paper", "label": p.title, "abstract": p.abstract, "url": p.url,
            "arxiv": p.arxiv_id, "date": p.date, "authors": list(p.authors), "paper_id": p.id}


def entity_attrs(type_: str, label: str, aliases: list[str], papers: int) -> dict:
    return {"kind": "entity", "type": type_, "label": label, "aliases": aliases,
            "papers": papers}


def most_mentioned(entities: dict[str, dict]) -> list[str]:
    """Entity node ids, most papers first, then by label (the HTML page's ranking)."""
    return sorted(entities, key=lambda n: (-entities[n]["papers"],
                                           entities[n]["label"].casefold(), n))


def graph_items(papers: Iterable[Paper], entities: dict[str, dict],
                paper_mentions: Iterable[PaperMentions],
                variants: dict[str, str] | None = None) -> Iterator[Item]:
    """The graph as a stream of nodes and edges (see `Item`).

    `papers` and `paper_mentions` come by paper node id; `entities` maps entity node ids to
    their attributes, `variants` an entity node to its family's. Memory holds the entity
    nodes, the stated relations and the counts of co-occurring pairs among the
    `COOCCURRING_ENTITIES` most mentioned entities; papers and their evidence stream
    through."""
    for p in papers:
        yield "node", paper_node(p), paper_attrs(p)
    for node in sorted(entities):
        yield "node", node, entities[node]
    # co-occurrence counts of the most mentioned entities, a matrix in node id order
    top = sorted(most_mentioned(entities)[:COOCCURRING_ENTITIES])
    index = {n: i for i, n in enumerate(top)}
    together = np.zeros((len(top), len(top)), dtype=np.uint32)
    stated: dict[tuple, dict[tuple, dict]] = {}
    reported: list[Item] = []  # the result nodes and their edges (few: they wait till last)
    for paper, mentions, relations, results, rendered in paper_mentions:
        u = paper_node(paper)
        if rendered is None:
            edges = paper_edges(mentions)
            for v, attrs in edges.items():
                yield "edge", u, v, attrs["relation"], attrs
        else:
            yield "edges", u, rendered
            edges = dict.fromkeys(sorted({v for _, v in mentions}))
        ids = np.array([index[v] for v in edges if v in index], dtype=np.intp)  # ascending
        if len(ids) > 1:
            a, b = np.triu_indices(len(ids), 1)
            together[ids[a], ids[b]] += 1
        node_at = {m.ref: v for m, v in mentions}
        for r in relations:
            h, t = node_at.get(r.head), node_at.get(r.tail)
            if h is None or t is None or h == t:
                continue
            kind = fitting_kind(r.kind, entities[h]["type"], entities[t]["type"])
            if kind is None:  # the ends were typed again by resolution
                continue
            stated.setdefault((h, kind, t), {}).setdefault(
                (u, r.sentence), {"paper": u, "sentence": r.sentence, "rule": r.rule})
        reported.extend(result_items(u, results, node_at, entities))
    # entity -> entity edges by source: the stated relations (by kind, then target), the
    # family, then the co-occurrences, a target's kinds together: the order networkx keeps
    # them in
    relations_of: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    for (h, kind, t), by in sorted(stated.items()):
        relations_of[h].append((kind, t, {"relation": kind, "statements": [
            s for _, s in sorted(by.items())]}))
    del stated
    variants = variants or {}
    rows = {top[i] for i in np.flatnonzero(together.any(axis=1))}
    for u in sorted(relations_of.keys() | variants.keys() | rows):
        targets: dict[str, list[tuple[str, dict]]] = {}
        for kind, t, attrs in relations_of.pop(u, ()):
            targets.setdefault(t, []).append((kind, attrs))
        if u in variants:  # found by resolution: no paper states it
            targets.setdefault(variants[u], []).append(
                (VARIANT_OF, {"relation": VARIANT_OF, "statements": []}))
        if u in rows:
            row = together[index[u]]
            for j in np.flatnonzero(row):
                targets.setdefault(top[j], []).append(
                    (CO_OCCURS, {"relation": CO_OCCURS, "weight": int(row[j])}))
        for v, keyed in targets.items():
            for kind, attrs in keyed:
                yield "edge", u, v, kind, attrs
    yield from reported


def paper_edges(mentions: list[tuple[Mention, str]]) -> dict[str, dict]:
    """A paper's edges from its mentions and their entity nodes: target -> attributes (with
    the evidence), by target."""
    edges: dict[str, dict] = {}
    intro = {v for m, v in mentions if m.introduced}
    for m, v in sorted(mentions, key=lambda mv: (mv[1], mv[0].field != "title", mv[0].start)):
        attrs = edges.setdefault(v, {"relation": INTRODUCES if v in intro else MENTIONS,
                                     "evidence": []})
        attrs["evidence"].append({"field": m.field, "start": m.start, "end": m.end,
                                  "text": m.text, "sentence": m.sentence, "rule": m.evidence})
    return edges


def result_items(paper: str, results: Iterable[Result], node_at: dict,
                 entities: dict[str, dict]) -> Iterator[Item]:
    """A node per number the paper reports, and an edge to each entity it is tied to whose
    resolved type its role allows."""
    for r in sorted(results, key=lambda r: (r.field, r.start)):
        node = f"result/{paper.split('/', 1)[1]}/{r.field}-{r.start}"
        yield "node", node, {"kind": "result", "value": r.value, "number": r.number,
                             "unit": r.unit, "result_kind": r.kind, "paper": paper,
                             "sentence": r.sentence, "field": r.field, "start": r.start,
                             "end": r.end, "rule": r.rule}
        for role, ref in r.roles.items():
            entity = node_at.get(ref)
            if entity is not None and entities[entity]["type"] in relation_kind(role).tails:
                yield "edge", node, entity, role, {"relation": role}


def result_nodes(g: nx.MultiDiGraph) -> Iterator[tuple[str, dict, dict[str, str]]]:
    """(node, its attributes, role -> entity) of every reported number."""
    for node, d in g.nodes(data=True):
        if d.get("kind") == "result":
            yield node, d, {k: v for _, v, k in g.out_edges(node, keys=True)}


def nx_items(g: nx.MultiDiGraph) -> Iterator[Item]:
    """The items of a networkx graph, for the exporters that read a stream: the inverse of
    `to_networkx`."""
    for n, d in g.nodes(data=True):
        yield "node", n, d
    for u, v, k, d in g.edges(keys=True, data=True):
        yield "edge", u, v, k, d


def to_networkx(items: Iterable[Item]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for item in items:
        if item[0] == "node":
            g.add_node(item[1], **item[2])
        else:
            g.add_edge(item[1], item[2], key=item[3], **item[4])
    return g


def build_graph(papers: list[Paper], entities: list[Entity],
                relations: Iterable[Relation] = (),
                results: Iterable[Result] = ()) -> nx.MultiDiGraph:
    """The knowledge graph in memory: nodes and edges in a stable order (see `graph_items`)."""
    ids = entity_nodes((e.key, e.type, e.label) for e in entities)
    mentions: dict[str, list[tuple[Mention, str]]] = defaultdict(list)
    for e in entities:
        for m in e.mentions:
            mentions[m.paper_id].append((m, ids[e.key]))
    stated: dict[str, list[Relation]] = defaultdict(list)
    for r in relations:
        stated[r.paper_id].append(r)
    reported: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        reported[r.paper_id].append(r)
    by_node = sorted(papers, key=paper_node)
    return to_networkx(graph_items(
        by_node, {ids[e.key]: entity_attrs(e.type, e.label, e.aliases, len(e.papers))
                  for e in entities},
        ((p, mentions[p.id], stated[p.id], reported[p.id], None) for p in by_node),
        {ids[e.key]: ids[e.variant_of] for e in entities if e.variant_of in ids}))


def write_json(items: Iterable[Item], out: TextIO,
               runs: dict[str, tuple[int, int]] | None = None) -> Iterator[Item]:
    """Write the graph as networkx node-link JSON (`networkx.node_link_graph` reads it back),
    one node or edge per line with sorted keys, while passing the items on. The edges wait in
    a temporary file, since the result nodes come after them in the stream. `runs` gets where
    each source node's edges are in the file (byte offset, length; without the separator
    before them): what a rebuild copies of a paper's unchanged edges (an ``"edges"`` item)."""
    out.write('{"directed": true, "multigraph": true, "graph": {}, "nodes": [')
    spans: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryFile("w+b") as edges:
        node_sep, edge_sep = "\n", b"\n"
        size, source, start = 0, None, 0
        for item in items:
            if item[0] == "node":
                out.write(node_sep + json.dumps({**item[2], "id": item[1]},
                                                ensure_ascii=False, sort_keys=True))
                node_sep = ",\n"
                yield item
                continue
            if item[1] != source:
                if source is not None:
                    spans[source] = (start, size - start)
                source, start = item[1], size + len(edge_sep)
            if item[0] == "edges":
                line = item[2][0]
            elif item[3] == CO_OCCURS:  # most edges: written as json.dumps would (node ids
                # are slugs, with nothing to escape), in a fifth of the time
                line = (f'{{"key": "{CO_OCCURS}", "relation": "{CO_OCCURS}", "source": '
                        f'"{item[1]}", "target": "{item[2]}", "weight": {item[4]["weight"]}}}')
            else:
                line = json.dumps(
                    {**item[4], "source": item[1], "target": item[2], "key": item[3]},
                    ensure_ascii=False, sort_keys=True)
            data = edge_sep + line.encode()
            edges.write(data)
            size += len(data)
            edge_sep = b",\n"
            yield item
        if source is not None:
            spans[source] = (start, size - start)
        out.write('\n], "edges": [')
        out.flush()
        base = out.buffer.tell()
        edges.seek(0)
        shutil.copyfileobj(edges, out.buffer)
    out.write("\n]}\n")
    if runs is not None:
        runs.update((node, (base + at, length)) for node, (at, length) in spans.items())


def mention_edges(g: nx.MultiDiGraph, paper: str | None = None
                  ) -> Iterator[tuple[str, str, dict]]:
    """The paper -> entity edges (``mentions``, ``introduces``), of one paper or of all."""
    edges = g.out_edges(paper, keys=True, data=True) if paper else g.edges(keys=True, data=True)
    return ((u, v, d) for u, v, k, d in edges if k in PAPER_KINDS)


def relation_edges(g: nx.MultiDiGraph, node: str | None = None
                   ) -> Iterator[tuple[str, str, str, dict]]:
    """The entity -> entity edges that papers state (``evaluated_on``, ``uses``, ...), with
    their kind: all of them, or those into and out of one node."""
    if node is None:
        edges = g.edges(keys=True, data=True)
    else:
        edges = [*g.out_edges(node, keys=True, data=True), *g.in_edges(node, keys=True,
                                                                        data=True)]
    return ((u, v, k, d) for u, v, k, d in edges if k in ENTITY_KINDS)


def entities_of(g: nx.MultiDiGraph, paper: str) -> list[str]:
    return sorted(v for _, v, _ in mention_edges(g, paper))


def cooccurrence(g: nx.MultiDiGraph) -> Counter:
    """(entity a, entity b) with a < b -> number of papers that mention both."""
    counts: Counter = Counter()
    for node, kind in g.nodes(data="kind"):
        if kind == "paper":
            counts.update(combinations(entities_of(g, node), 2))
    return counts


def to_json(g: nx.MultiDiGraph) -> dict:
    """networkx node-link data, the shape `networkx.node_link_graph` reads back."""
    return nx.node_link_data(g, edges="edges")
