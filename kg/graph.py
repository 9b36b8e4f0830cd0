"""Graph stage: papers, resolved entities and stated relations -> one networkx graph.

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
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import combinations

import networkx as nx

from kg.ingest import slugify
from kg.model import (
    ENTITY_KINDS,
    PAPER_KINDS,
    Entity,
    Paper,
    Relation,
    Result,
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


def build_graph(papers: list[Paper], entities: list[Entity],
                relations: Iterable[Relation] = (),
                results: Iterable[Result] = ()) -> nx.MultiDiGraph:
    """The knowledge graph, with nodes and edges added in a stable order."""
    g = nx.MultiDiGraph()
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
                "relation": INTRODUCES if m.paper_id in intro else MENTIONS, "evidence": []})
            attrs["evidence"].append({"field": m.field, "start": m.start, "end": m.end,
                                      "text": m.text, "sentence": m.sentence,
                                      "rule": m.evidence})
    for (u, v), attrs in sorted(edges.items()):
        g.add_edge(u, v, key=attrs["relation"], **attrs)
    for (h, kind, t), statements in sorted(_stated(g, entities, ids, node_of,
                                                   relations).items()):
        g.add_edge(h, t, key=kind, relation=kind, statements=statements)
    for e in sorted(entities, key=lambda e: ids[e.key]):
        if e.variant_of in ids:
            g.add_edge(ids[e.key], ids[e.variant_of], key=VARIANT_OF, relation=VARIANT_OF,
                       statements=[])
    for (a, b), weight in sorted(cooccurrence(g).items()):
        g.add_edge(a, b, key=CO_OCCURS, relation=CO_OCCURS, weight=weight)
    _add_results(g, entities, ids, node_of, results)
    return g


def _add_results(g: nx.MultiDiGraph, entities: list[Entity], ids: dict[str, str],
                 node_of: dict[str, str], results: Iterable[Result]) -> None:
    """A node per reported number, with an edge to each entity it is tied to whose
    resolved type its role allows."""
    node_at = {(m.paper_id, m.field, m.start): ids[e.key] for e in entities for m in e.mentions}
    for r in sorted(results, key=lambda r: (node_of[r.paper_id], r.field, r.start)):
        node = f"result/{node_of[r.paper_id].split('/', 1)[1]}/{r.field}-{r.start}"
        g.add_node(node, kind="result", value=r.value, number=r.number, unit=r.unit,
                   result_kind=r.kind, paper=node_of[r.paper_id], sentence=r.sentence,
                   field=r.field, start=r.start, end=r.end, rule=r.rule)
        for role, ref in r.roles.items():
            entity = node_at.get((r.paper_id, *ref))
            if entity is not None and g.nodes[entity]["type"] in relation_kind(role).tails:
                g.add_edge(node, entity, key=role, relation=role)


def result_nodes(g: nx.MultiDiGraph) -> Iterator[tuple[str, dict, dict[str, str]]]:
    """(node, its attributes, role -> entity) of every reported number."""
    for node, d in g.nodes(data=True):
        if d.get("kind") == "result":
            yield node, d, {k: v for _, v, k in g.out_edges(node, keys=True)}


def _stated(g: nx.MultiDiGraph, entities: list[Entity], ids: dict[str, str],
            node_of: dict[str, str], relations: Iterable[Relation]) -> dict[tuple, list[dict]]:
    """(head node, kind, tail node) -> the statements of it, one per paper and sentence.

    A relation whose ends resolved to one entity, or to entities of types its kind does not
    relate (the ends were typed again by resolution), is dropped."""
    node_at = {(m.paper_id, m.field, m.start): ids[e.key] for e in entities for m in e.mentions}
    stated: dict[tuple, dict[tuple, dict]] = {}
    for r in relations:
        h = node_at.get((r.paper_id, *r.head))
        t = node_at.get((r.paper_id, *r.tail))
        if h is None or t is None or h == t:
            continue
        if not relation_kind(r.kind).allows(g.nodes[h]["type"], g.nodes[t]["type"]):
            continue
        paper = node_of[r.paper_id]
        stated.setdefault((h, r.kind, t), {}).setdefault(
            (paper, r.sentence), {"paper": paper, "sentence": r.sentence, "rule": r.rule})
    return {key: [s for _, s in sorted(by.items())] for key, by in stated.items()}


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
