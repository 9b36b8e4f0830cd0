"""RDF export: the graph as Turtle, in the vocabulary of `ontology/paperkg.ttl`.

The contract that users' SPARQL (and the scorer) rely on is `VOCABULARY.md`: kg:Paper with
dcterms:title, six entity classes with rdfs:label / skos:altLabel, kg:mentions and
kg:introduces (also stated as kg:mentions). Each occurrence is a kg:Mention node carrying
its sentence and offsets, so a query can show why an entity is there. Each relation a paper
states is the direct triple (``?h kg:evaluatedOn ?t``) and an ``rdf:Statement`` tied to the
paper (``kg:statedIn``) with its sentence (``kg:evidence``). Properties come from the
relation-kind table of `kg.model`.

The triples are made from the graph's stream of nodes and edges (`kg.graph.graph_items`) as
pyoxigraph terms and written by Oxigraph's serialisers chunk by chunk: N-Triples first (one
triple a line, streamable), then Turtle from it, deterministic and byte-identical between
runs; an on-disk Oxigraph store is bulk-loaded from the N-Triples for `kg query` and
`kg serve`. `to_rdf` gives the same triples as an rdflib `Graph` for Python users and SHACL.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from kg.export import DEFAULT_BASE
from kg.graph import Item
from kg.model import ENTITY_KINDS, PAPER_KINDS, RELATION_KINDS, relation_kind

KG = Namespace("https://w3id.org/paperkg/ontology#")
SCHEMA = Namespace("http://schema.org/")
PREFIXES = {"kg": KG, "dcterms": DCTERMS, "rdfs": RDFS, "skos": SKOS, "schema": SCHEMA,
            "prov": PROV, "owl": OWL, "xsd": XSD, "rdf": RDF}


#: prefixes written at the head of graph.ttl (the entity and paper IRIs are written in full)
TURTLE_PREFIXES = {p: str(PREFIXES[p]) for p in ("dcterms", "kg", "rdf", "rdfs", "schema",
                                                  "skos", "xsd")}
#: graph.ttl's first line, ``# paperkg <digest of graph.nt>``: the on-disk store built beside
#: it records the same line, so a reader can tell whether the store is current
HEADER = "# paperkg "


def triples(items: Iterable[Item], base: str = DEFAULT_BASE) -> Iterator[ox.Triple]:
    """The RDF of the graph's nodes and edges (`kg.graph.graph_items`), item by item: a
    source node's direct triples first, then the mention and statement nodes of its edges."""
    base = base if base.endswith(("/", "#")) else base + "/"
    T, N, L = ox.Triple, ox.NamedNode, ox.Literal
    kg = {name: N(str(KG) + name) for name in (
        "Paper", "Mention", "arxivId", "paperCount", "mentionOf", "inPaper", "surfaceForm",
        "field", "start", "end", "sentence", "rule", "statedIn", "evidence",
        *(k.prop for k in RELATION_KINDS if k.prop))}
    a, label, alt = N(str(RDF.type)), N(str(RDFS.label)), N(str(SKOS.altLabel))
    title, abstract, ident = N(str(DCTERMS.title)), N(str(DCTERMS.abstract)), N(
        str(DCTERMS.identifier))
    date, creator, url = N(str(DCTERMS.date)), N(str(DCTERMS.creator)), N(str(SCHEMA.url))
    statement, subj, pred, obj = (N(str(t)) for t in (RDF.Statement, RDF.subject,
                                                      RDF.predicate, RDF.object))
    any_uri = N(str(XSD.anyURI))
    later: list[ox.Triple] = []  # the evidence of the current source node's edges
    source = None
    for item in items:
        s = N(base + item[1])
        if item[1] != source:
            yield from later
            later, source = [], item[1]
        if item[0] == "node":
            d = item[2]
            if d["kind"] == "paper":
                yield T(s, a, kg["Paper"])
                yield T(s, title, L(d["label"]))
                yield T(s, abstract, L(d["abstract"]))
                yield T(s, ident, L(d["paper_id"]))
                if d["url"]:
                    yield T(s, url, L(d["url"], datatype=any_uri))
                if d["arxiv"]:
                    yield T(s, kg["arxivId"], L(d["arxiv"]))
                if d["date"]:
                    yield T(s, date, L(d["date"]))
                for author in d["authors"]:
                    yield T(s, creator, L(author))
            else:
                yield T(s, a, N(str(KG) + d["type"]))
                yield T(s, label, L(d["label"]))
                for alias in d["aliases"]:
                    if alias != d["label"]:
                        yield T(s, alt, L(alias))
                yield T(s, kg["paperCount"], L(d["papers"]))
            continue
        _, u, v, key, d = item
        o = N(base + v)
        kind = relation_kind(key)
        if key in PAPER_KINDS:
            yield T(s, kg[kind.prop], o)
            if kind.sub_of:
                yield T(s, kg[relation_kind(kind.sub_of).prop], o)
            paper = u.split("/", 1)[1]
            for ev in d["evidence"]:
                m = N(f"{base}mention/{paper}/{ev['field']}-{ev['start']}-{ev['end']}")
                later += [T(m, a, kg["Mention"]), T(m, kg["mentionOf"], o),
                          T(m, kg["inPaper"], s), T(m, kg["surfaceForm"], L(ev["text"])),
                          T(m, kg["field"], L(ev["field"])), T(m, kg["start"], L(ev["start"])),
                          T(m, kg["end"], L(ev["end"])), T(m, kg["sentence"], L(ev["sentence"])),
                          T(m, kg["rule"], L(ev["rule"]))]
        elif key in ENTITY_KINDS:
            p = kg[kind.prop]
            yield T(s, p, o)
            for st in d["statements"]:
                digest = hashlib.sha1(f"{u} {key} {v} {st['sentence']}".encode()).hexdigest()
                n = N(f"{base}statement/{st['paper'].split('/', 1)[1]}/{digest[:12]}")
                later += [T(n, a, statement), T(n, subj, s), T(n, pred, p), T(n, obj, o),
                          T(n, kg["statedIn"], N(base + st["paper"])),
                          T(n, kg["evidence"], L(st["sentence"])), T(n, kg["rule"], L(st["rule"]))]
    yield from later


def _nx_items(g: nx.MultiDiGraph) -> Iterator[Item]:
    for n, d in g.nodes(data=True):
        yield "node", n, d
    for u, v, k, d in g.edges(keys=True, data=True):
        yield "edge", u, v, k, d


def _rdflib(term: ox.NamedNode | ox.Literal):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    dt = term.datatype.value
    if dt == str(XSD.string):
        return Literal(term.value)
    if dt == str(XSD.integer):
        return Literal(int(term.value))
    return Literal(term.value, datatype=URIRef(dt))


def to_rdf(g: nx.MultiDiGraph, base: str = DEFAULT_BASE) -> Graph:
    """An rdflib Graph of papers, entities, mention edges and their evidence."""
    base = base if base.endswith(("/", "#")) else base + "/"
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    out.bind("id", Namespace(base))
    for t in triples(_nx_items(g), base):
        out.add((_rdflib(t.subject), _rdflib(t.predicate), _rdflib(t.object)))
    return out


def to_turtle(g: nx.MultiDiGraph, base: str = DEFAULT_BASE) -> str:
    """The graph as Turtle text, as `write_rdf` writes graph.ttl."""
    return ox.serialize(triples(_nx_items(g), base), format=ox.RdfFormat.TURTLE,
                        prefixes=TURTLE_PREFIXES).decode()


class _Hashing:
    """A binary file that hashes what is written to it."""

    def __init__(self, f):
        self.f, self.h = f, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.h.update(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


def write_rdf(items: Iterable[Item], base: str, nt: Path, ttl: Path,
              store: Path | None = None) -> int:
    """Write the graph's triples to `nt` (N-Triples) and `ttl` (Turtle, headed by the digest
    of the N-Triples) and, with `store`, bulk-load them into an Oxigraph store in that
    (new) directory; returns the number of triples."""
    with open(nt, "wb") as f:
        out = _Hashing(f)
        ox.serialize(triples(items, base), out, ox.RdfFormat.N_TRIPLES)
        f.flush()
        os.fsync(f.fileno())
    header = f"{HEADER}{out.h.hexdigest()}\n"
    with open(ttl, "wb") as f:
        f.write(header.encode())
        count = _Counting(ox.parse(path=nt, format=ox.RdfFormat.N_TRIPLES))
        ox.serialize(count, f, ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES)
        f.flush()
        os.fsync(f.fileno())
    if store is not None:
        st = ox.Store(str(store / "oxigraph"))
        st.bulk_load(path=nt, format=ox.RdfFormat.N_TRIPLES)
        st.flush()
        del st
        (store / "source").write_text(header, encoding="utf-8")
    return count.n


class _Counting:
    def __init__(self, it: Iterable):
        self.it, self.n = iter(it), 0

    def __iter__(self):
        return self

    def __next__(self):
        t = next(self.it)
        self.n += 1
        return t


def current_store(ttl: Path) -> Path | None:
    """The Oxigraph store a build wrote beside `ttl` (``graph.oxigraph/oxigraph``), if it
    holds this very graph (it records graph.ttl's first line, the digest of the triples)."""
    source = ttl.with_suffix(".oxigraph") / "source"
    try:
        with open(ttl, encoding="utf-8") as f:
            first = f.readline()
        return source.parent / "oxigraph" if (first.startswith(HEADER)
                                               and source.read_text(encoding="utf-8") == first) \
            else None
    except (OSError, UnicodeDecodeError):
        return None
