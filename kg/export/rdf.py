"""RDF export: the graph as Turtle, in the vocabulary of `ontology/paperkg.ttl`.

The contract that users' SPARQL (and the scorer) rely on is `VOCABULARY.md`: kg:Paper with
dcterms:title, six entity classes with rdfs:label / skos:altLabel, kg:mentions and
kg:introduces (also stated as kg:mentions). Each occurrence is a kg:Mention node carrying
its sentence and offsets, so a query can show why an entity is there. Each relation a paper
states is the direct triple (``?h kg:evaluatedOn ?t``) and an ``rdf:Statement`` tied to the
paper (``kg:statedIn``) with its sentence (``kg:evidence``). Each number a paper reports is
a ``kg:Result`` with its value as written and as a decimal, its kind and unit, and the
entities it belongs to. Properties come from the relation-kind table of `kg.model`.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import networkx as nx
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from kg.export import DEFAULT_BASE
from kg.graph import mention_edges, relation_edges, result_nodes
from kg.model import relation_kind

KG = Namespace("https://w3id.org/paperkg/ontology#")
SCHEMA = Namespace("http://schema.org/")
PREFIXES = {"kg": KG, "dcterms": DCTERMS, "rdfs": RDFS, "skos": SKOS, "schema": SCHEMA,
            "prov": PROV, "owl": OWL, "xsd": XSD, "rdf": RDF}


def to_rdf(g: nx.MultiDiGraph, base: str = DEFAULT_BASE) -> Graph:
    """An rdflib Graph of papers, entities, mention edges and their evidence."""
    base = base if base.endswith(("/", "#")) else base + "/"
    ns = Namespace(base)
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    out.bind("id", ns)
    for node, d in g.nodes(data=True):
        s = ns[node]
        if d["kind"] == "paper":
            out.add((s, RDF.type, KG.Paper))
            out.add((s, DCTERMS.title, Literal(d["label"])))
            out.add((s, DCTERMS.abstract, Literal(d["abstract"])))
            out.add((s, DCTERMS.identifier, Literal(d["paper_id"])))
            if d["url"]:
                out.add((s, SCHEMA.url, Literal(d["url"], datatype=XSD.anyURI)))
            if d["arxiv"]:
                out.add((s, KG.arxivId, Literal(d["arxiv"])))
            if d["date"]:
                out.add((s, DCTERMS.date, Literal(d["date"])))
            for author in d["authors"]:
                out.add((s, DCTERMS.creator, Literal(author)))
        elif d["kind"] == "entity":
            out.add((s, RDF.type, KG[d["type"]]))
            out.add((s, RDFS.label, Literal(d["label"])))
            for alias in d["aliases"]:
                if alias != d["label"]:
                    out.add((s, SKOS.altLabel, Literal(alias)))
            out.add((s, KG.paperCount, Literal(d["papers"])))
    for u, v, d in mention_edges(g):
        paper, entity = ns[u], ns[v]
        kind = relation_kind(d["relation"])
        out.add((paper, KG[kind.prop], entity))
        if kind.sub_of:
            out.add((paper, KG[relation_kind(kind.sub_of).prop], entity))
        for ev in d["evidence"]:
            m = ns[f"mention/{u.split('/', 1)[1]}/{ev['field']}-{ev['start']}-{ev['end']}"]
            out.add((m, RDF.type, KG.Mention))
            out.add((m, KG.mentionOf, entity))
            out.add((m, KG.inPaper, paper))
            out.add((m, KG.surfaceForm, Literal(ev["text"])))
            out.add((m, KG.field, Literal(ev["field"])))
            out.add((m, KG.start, Literal(ev["start"])))
            out.add((m, KG.end, Literal(ev["end"])))
            out.add((m, KG.sentence, Literal(ev["sentence"])))
            out.add((m, KG.rule, Literal(ev["rule"])))
    for h, t, kind_name, d in relation_edges(g):
        prop = KG[relation_kind(kind_name).prop]
        head, tail = ns[h], ns[t]
        out.add((head, prop, tail))
        for st in d["statements"]:
            digest = hashlib.sha1(f"{h} {kind_name} {t} {st['sentence']}".encode()).hexdigest()
            s = ns[f"statement/{st['paper'].split('/', 1)[1]}/{digest[:12]}"]
            out.add((s, RDF.type, RDF.Statement))
            out.add((s, RDF.subject, head))
            out.add((s, RDF.predicate, prop))
            out.add((s, RDF.object, tail))
            out.add((s, KG.statedIn, ns[st["paper"]]))
            out.add((s, KG.evidence, Literal(st["sentence"])))
            out.add((s, KG.rule, Literal(st["rule"])))
    for node, d, roles in result_nodes(g):
        r = ns[node]
        out.add((r, RDF.type, KG.Result))
        out.add((r, KG.statedIn, ns[d["paper"]]))
        out.add((r, KG.value, Literal(d["value"])))
        out.add((r, KG.numericValue, Literal(decimal_text(d["number"]), datatype=XSD.decimal)))
        if d["unit"]:
            out.add((r, KG.unit, Literal(d["unit"])))
        out.add((r, KG.resultKind, Literal(d["result_kind"])))
        out.add((r, KG.evidence, Literal(d["sentence"])))
        out.add((r, KG.rule, Literal(d["rule"])))
        for role, entity in sorted(roles.items()):
            out.add((r, KG[relation_kind(role).prop], ns[entity]))
    return out


def decimal_text(number: float) -> str:
    """An xsd:decimal in its canonical form (XSD 1.1, as SPARQL engines print it): 10 for
    10.0, 3.06 for 3.06."""
    text = format(Decimal(repr(number)), "f")
    return text[:-2] if text.endswith(".0") else text


def to_turtle(g: nx.MultiDiGraph, base: str = DEFAULT_BASE) -> str:
    return to_rdf(g, base).serialize(format="turtle")
