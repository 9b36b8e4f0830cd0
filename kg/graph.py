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
  stored once with the smaller id first.
"""

from __future__ import annotations

import hashlib
import json
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
    relation_kind,
)

MENTIONS, INTRODUCES = relation_kind("mentions").name, relation_kind("introduces").name
CO_OCCURS = relation_kind("co_occurs").name
VARIANT_OF = relation_kind("variant_of").name


def paper_node(paper: Paper) -> str:
    return f"paper/{slugify(paper.id)}"


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
#: ``("node", id, attrs)`` for every node (papers, then entities, each by id), then
#: ``("edge", source, target, kind, attrs)`` grouped by source node in that order.
Item = tuple
#: One paper, its mentions with the entity node each resolved to, and the relations it states.
PaperMentions = tuple[Paper, list[tuple[Mention, str]], Iterable[Relation]]


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
    for paper, mentions, relations in paper_mentions:
        u = paper_node(paper)
        edges: dict[str, dict] = {}
        intro = {v for m, v in mentions if m.introduced}
        for m, v in sorted(mentions, key=lambda mv: (mv[1], mv[0].field != "title",
                                                     mv[0].start)):
            attrs = edges.setdefault(v, {"relation": INTRODUCES if v in intro else MENTIONS,
                                         "evidence": []})
            attrs["evidence"].append({"field": m.field, "start": m.start, "end": m.end,
                                      "text": m.text, "sentence": m.sentence,
                                      "rule": m.evidence})
        for v, attrs in edges.items():
            yield "edge", u, v, attrs["relation"], attrs
        ids = np.array([index[v] for v in edges if v in index], dtype=np.intp)  # ascending
        if len(ids) > 1:
            a, b = np.triu_indices(len(ids), 1)
            together[ids[a], ids[b]] += 1
        node_at = {m.ref: v for m, v in mentions}
        for r in relations:
            h, t = node_at.get(r.head), node_at.get(r.tail)
            if h is None or t is None or h == t:
                continue
            if not relation_kind(r.kind).allows(entities[h]["type"], entities[t]["type"]):
                continue  # the ends were typed again by resolution
            stated.setdefault((h, r.kind, t), {}).setdefault(
                (u, r.sentence), {"paper": u, "sentence": r.sentence, "rule": r.rule})
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


def to_networkx(items: Iterable[Item]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for item in items:
        if item[0] == "node":
            g.add_node(item[1], **item[2])
        else:
            g.add_edge(item[1], item[2], key=item[3], **item[4])
    return g


def build_graph(papers: list[Paper], entities: list[Entity],
                relations: Iterable[Relation] = ()) -> nx.MultiDiGraph:
    """The knowledge graph in memory: nodes and edges in a stable order (see `graph_items`)."""
    ids = entity_nodes((e.key, e.type, e.label) for e in entities)
    mentions: dict[str, list[tuple[Mention, str]]] = defaultdict(list)
    for e in entities:
        for m in e.mentions:
            mentions[m.paper_id].append((m, ids[e.key]))
    stated: dict[str, list[Relation]] = defaultdict(list)
    for r in relations:
        stated[r.paper_id].append(r)
    by_node = sorted(papers, key=paper_node)
    return to_networkx(graph_items(
        by_node, {ids[e.key]: entity_attrs(e.type, e.label, e.aliases, len(e.papers))
                  for e in entities},
        ((p, mentions[p.id], stated[p.id]) for p in by_node),
        {ids[e.key]: ids[e.variant_of] for e in entities if e.variant_of in ids}))


def write_json(items: Iterable[Item], out: TextIO) -> Iterator[Item]:
    """Write the graph as networkx node-link JSON (`networkx.node_link_graph` reads it back),
    one node or edge per line with sorted keys, while passing the items on."""
    out.write('{"directed": true, "multigraph": true, "graph": {}, "nodes": [')
    section, sep = "nodes", "\n"
    for item in items:
        if item[0] == "node":
            record = {**item[2], "id": item[1]}
        else:
            if section == "nodes":
                out.write('\n], "edges": [')
                section, sep = "edges", "\n"
            record = {**item[4], "source": item[1], "target": item[2], "key": item[3]}
        out.write(sep + json.dumps(record, ensure_ascii=False, sort_keys=True))
        sep = ",\n"
        yield item
    if section == "nodes":
        out.write('\n], "edges": [')
    out.write("\n]}\n")


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
