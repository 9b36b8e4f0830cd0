"""Graph stage: papers and resolved entities -> one networkx graph.

Node ids are the IRI paths under the base (``paper/<id>``, ``<type>/<slug>``), so every
exporter names a node the same way. Edges: paper -> entity (``mentions`` or ``introduces``,
with the evidence of each occurrence) and entity -- entity co-occurrence (``co_occurs``,
weighted by the number of papers in which both appear, stored once with the smaller id first).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from itertools import combinations
from typing import TYPE_CHECKING

import networkx as nx

from kg.ingest import Paper, slugify

if TYPE_CHECKING:  # the exporters use this module without loading the extractor (spaCy)
    from kg.resolve import Entity


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


def entity_nodes(entities: list[Entity]) -> dict[str, str]:
    """Entity key -> node id ``<type>/<slug of label>``; a clash gets a digest of the key."""
    ids: dict[str, str] = {}
    taken: Counter = Counter(f"{e.type.lower()}/{slugify(e.label)}" for e in entities)
    for e in entities:
        node = f"{e.type.lower()}/{slugify(e.label)}"
        if taken[node] > 1:
            node += "-" + hashlib.sha1(e.key.encode()).hexdigest()[:6]
        ids[e.key] = node
    return ids


def build_graph(papers: list[Paper], entities: list[Entity]) -> nx.DiGraph:
    """The knowledge graph, with nodes and edges added in a stable order."""
    g = nx.DiGraph()
    for p in sorted(papers, key=paper_node):
        g.add_node(paper_node(p), kind="paper", label=p.title, abstract=p.abstract, url=p.url,
                   arxiv=p.arxiv_id, date=p.date, authors=list(p.authors), paper_id=p.id)
    node_of = {p.id: paper_node(p) for p in papers}
    ids = entity_nodes(entities)
    for e in sorted(entities, key=lambda e: ids[e.key]):
        g.add_node(ids[e.key], kind="entity", type=e.type, label=e.label, aliases=e.aliases,
                   papers=len(e.papers))
    edges: dict[tuple[str, str], dict] = {}
    for e in entities:
        intro = set(e.introduced_by)
        for m in sorted(e.mentions, key=lambda m: (m.paper_id, m.field != "title", m.start)):
            attrs = edges.setdefault((node_of[m.paper_id], ids[e.key]), {
                "relation": "introduces" if m.paper_id in intro else "mentions", "evidence": []})
            attrs["evidence"].append({"field": m.field, "start": m.start, "end": m.end,
                                      "text": m.text, "sentence": m.sentence,
                                      "rule": m.evidence})
    for (u, v), attrs in sorted(edges.items()):
        g.add_edge(u, v, **attrs)
    for (a, b), weight in sorted(cooccurrence(g).items()):
        g.add_edge(a, b, relation="co_occurs", weight=weight)
    return g


def mention_edges(g: nx.DiGraph, paper: str | None = None) -> Iterator[tuple[str, str, dict]]:
    """The paper -> entity edges (``mentions``, ``introduces``), of one paper or of all."""
    edges = g.out_edges(paper, data=True) if paper else g.edges(data=True)
    return ((u, v, d) for u, v, d in edges if d["relation"] != "co_occurs")


def entities_of(g: nx.DiGraph, paper: str) -> list[str]:
    return sorted(v for _, v, _ in mention_edges(g, paper))


def cooccurrence(g: nx.DiGraph) -> Counter:
    """(entity a, entity b) with a < b -> number of papers that mention both."""
    counts: Counter = Counter()
    for node, kind in g.nodes(data="kind"):
        if kind == "paper":
            counts.update(combinations(entities_of(g, node), 2))
    return counts


def to_json(g: nx.DiGraph) -> dict:
    """networkx node-link data, the shape `networkx.node_link_graph` reads back."""
    return nx.node_link_data(g, edges="edges")
