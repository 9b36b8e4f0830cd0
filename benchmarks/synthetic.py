"""Synthetic graphs of the shape `kg.graph.build_graph` makes, at any size, for the explorer's
benchmarks and its big-graph browser tests (which cannot run spaCy on 10,000 papers).

`synthetic_graph` makes the networkx graph: entity popularity follows a power law, each paper
mentions 3-9 entities with evidence (a sentence of its abstract naming them), papers carry
dates over six years, and about half the papers state a typed relation between two of their
entities (of kinds and types the relation-kind table allows). `write_triples` writes the same
graph with the export's own N-Triples writer (which Turtle readers read).
"""

from __future__ import annotations

import random
from itertools import accumulate
from pathlib import Path

import networkx as nx

from kg.export import DEFAULT_BASE
from kg.export.rdf import triples
from kg.graph import cooccurrence, nx_items
from kg.model import ENTITY_KINDS, relation_kind

TYPES = ["Dataset", "Benchmark", "Model", "Method", "Task", "Metric"]
WORDS = ["we", "propose", "a", "method", "that", "improves", "results", "on", "standard",
         "benchmarks", "while", "using", "fewer", "parameters", "and", "less", "compute",
         "than", "prior", "work", "across", "several", "settings"]


def synthetic_graph(n_entities: int, n_papers: int, seed: int = 1) -> nx.MultiDiGraph:
    """A graph of `n_papers` papers over (at most) `n_entities` entities; an entity that no
    paper happens to mention is left out, as the real graph has none."""
    rnd = random.Random(seed)
    g = nx.MultiDiGraph()
    entities = [f"{TYPES[i % len(TYPES)].lower()}/entity-{i}" for i in range(n_entities)]
    cum = list(accumulate(1 / (i + 1) ** 0.9 for i in range(n_entities)))
    labels = {e: f"Entity{i}" for i, e in enumerate(entities)}
    mentions: dict[str, set[str]] = {e: set() for e in entities}
    papers = {}
    for p in range(n_papers):
        chosen = sorted(set(rnd.choices(entities, cum_weights=cum, k=rnd.randint(3, 9))))
        sentences = [" ".join(rnd.choices(WORDS, k=18)).capitalize() + f" with {labels[e]}."
                     for e in chosen]
        abstract = " ".join(sentences + [" ".join(rnd.choices(WORDS, k=60)) + "."])
        node = f"paper/p{p:06d}"
        papers[node] = (chosen, sentences, abstract)
        year, month = 2019 + rnd.randrange(6), 1 + rnd.randrange(12)
        g.add_node(node, kind="paper", label=f"Paper {p}: " + " ".join(rnd.choices(WORDS, k=8)),
                   abstract=abstract, url="", arxiv=f"{year % 100:02d}{month:02d}.{p:05d}",
                   date=f"{year}-{month:02d}-01", authors=["A. Author", "B. Author"],
                   paper_id=f"p{p:06d}")
        for e in chosen:
            mentions[e].add(node)
    for e in entities:
        if mentions[e]:
            g.add_node(e, kind="entity", type=e.split("/")[0].capitalize(), label=labels[e],
                       aliases=[labels[e], labels[e].lower()], papers=len(mentions[e]))
    statements: dict[tuple[str, str, str], list[dict]] = {}
    for node, (chosen, sentences, abstract) in papers.items():
        for e, sentence in zip(chosen, sentences, strict=True):
            start = abstract.index(sentence) + sentence.index(labels[e])
            g.add_edge(node, e, key="mentions", relation="mentions", evidence=[{
                "field": "abstract", "start": start, "end": start + len(labels[e]),
                "text": labels[e], "sentence": sentence, "rule": "synthetic"}])
        if rnd.random() < 0.5:  # a relation between the first two entities that can have one
            pairs = [(h, t) for h in chosen for t in chosen if h != t]
            rnd.shuffle(pairs)
            for h, t in pairs:
                kinds = [k for k in ENTITY_KINDS if relation_kind(k).allows(
                    g.nodes[h]["type"], g.nodes[t]["type"])]
                if kinds:
                    statements.setdefault((h, rnd.choice(kinds), t), []).append(
                        {"paper": node, "sentence": sentences[chosen.index(h)],
                         "rule": "synthetic"})
                    break
    for (h, kind, t), sts in sorted(statements.items()):
        g.add_edge(h, t, key=kind, relation=kind, statements=sts)
    for (a, b), w in cooccurrence(g).items():
        g.add_edge(a, b, key="co_occurs", relation="co_occurs", weight=w)
    return g


def write_triples(g: nx.MultiDiGraph, path: Path, base: str = DEFAULT_BASE) -> int:
    """Write `g` to `path` as N-Triples (valid Turtle); the number of triples."""
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for line in triples(nx_items(g), base):
            f.write(line)
            n += line.count("\n")  # a mention's or a statement's triples come as one piece
    return n
