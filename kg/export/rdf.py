"""RDF export: the graph as Turtle, in the vocabulary of `ontology/paperkg.ttl`.

The contract that users' SPARQL (and the scorer) rely on is `VOCABULARY.md`: kg:Paper with
dcterms:title, six entity classes with rdfs:label / skos:altLabel, kg:mentions and
kg:introduces (also stated as kg:mentions). Each occurrence is a kg:Mention node carrying
its sentence and offsets, so a query can show why an entity is there. Each relation a paper
states is the direct triple (``?h kg:evaluatedOn ?t``) and an ``rdf:Statement`` tied to the
paper (``kg:statedIn``) with its sentence (``kg:evidence``). Each number a paper reports is
a ``kg:Result`` with its value as written and as a decimal, its kind and unit, and the
entities it belongs to. Properties come from the relation-kind table of `kg.model`.

The triples are made from the graph's stream of nodes and edges (`kg.graph.graph_items`) and
written as N-Triples lines, chunk by chunk (every IRI is made of slugs, so only literals need
escaping); Oxigraph turns that file into Turtle (deterministic, byte-identical between runs)
and bulk-loads it into the on-disk store that `kg query` and `kg serve` open. `to_rdf` gives
the same triples as an rdflib `Graph`, for Python users and SHACL.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, SKOS

from kg.export import DEFAULT_BASE
from kg.graph import Item, nx_items
from kg.model import ENTITY_KINDS, PAPER_KINDS, RELATION_KINDS, RESULT_ROLES, relation_kind

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


def _literal(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_INTEGER = f"^^<{XSD.integer}>"
_DECIMAL = f"^^<{XSD.decimal}>"
_ANY_URI = f"^^<{XSD.anyURI}>"


def triples(items: Iterable[Item], base: str = DEFAULT_BASE) -> Iterator[str]:
    """The RDF of the graph's nodes and edges (`kg.graph.graph_items`) as N-Triples lines,
    item by item: a source node's direct triples first, then the mention and statement nodes
    of its edges."""
    base = base if base.endswith(("/", "#")) else base + "/"
    kg = {k.prop: f"<{KG}{k.prop}>" for k in RELATION_KINDS if k.prop}
    kg.update({name: f"<{KG}{name}>" for name in (
        "Paper", "Mention", "arxivId", "paperCount", "mentionOf", "inPaper", "surfaceForm",
        "field", "start", "end", "sentence", "rule", "statedIn", "evidence", "Result", "value",
        "numericValue", "unit", "resultKind")})
    a, label, alt = f"<{RDF.type}>", f"<{RDFS.label}>", f"<{SKOS.altLabel}>"
    title, abstract, ident = f"<{DCTERMS.title}>", f"<{DCTERMS.abstract}>", \
        f"<{DCTERMS.identifier}>"
    date, creator, url = f"<{DCTERMS.date}>", f"<{DCTERMS.creator}>", f"<{SCHEMA.url}>"
    statement, subj, pred, obj = (f"<{t}>" for t in (RDF.Statement, RDF.subject, RDF.predicate,
                                                       RDF.object))
    later: list[str] = []  # the evidence of the current source node's edges
    source = None
    for item in items:
        s = f"<{base}{item[1]}>"
        if item[1] != source:
            yield from later
            later, source = [], item[1]
        if item[0] == "node":
            d = item[2]
            if d["kind"] == "paper":
                yield f"{s} {a} {kg['Paper']} .\n"
                yield from _literals(s, d, ((title, "label"), (abstract, "abstract"),
                                            (ident, "paper_id"), (kg["arxivId"], "arxiv"),
                                            (date, "date")))
                if d["url"]:
                    yield f"{s} {url} {_literal(d['url'])}{_ANY_URI} .\n"
                for author in d["authors"]:
                    yield f"{s} {creator} {_literal(author)} .\n"
            elif d["kind"] == "result":
                yield f"{s} {a} {kg['Result']} .\n"
                yield f"{s} {kg['statedIn']} <{base}{d['paper']}> .\n"
                yield f"{s} {kg['numericValue']} \"{decimal_text(d['number'])}\"{_DECIMAL} .\n"
                yield from _literals(s, d, ((kg["value"], "value"), (kg["unit"], "unit"),
                                            (kg["resultKind"], "result_kind"),
                                            (kg["evidence"], "sentence"), (kg["rule"], "rule")))
            else:
                yield f"{s} {a} <{KG}{d['type']}> .\n"
                yield f"{s} {label} {_literal(d['label'])} .\n"
                for alias in d["aliases"]:
                    if alias != d["label"]:
                        yield f"{s} {alt} {_literal(alias)} .\n"
                yield f"{s} {kg['paperCount']} \"{d['papers']}\"{_INTEGER} .\n"
            continue
        _, u, v, key, d = item
        o = f"<{base}{v}>"
        kind = relation_kind(key)
        if key in PAPER_KINDS:
            yield f"{s} {kg[kind.prop]} {o} .\n"
            if kind.sub_of:
                yield f"{s} {kg[relation_kind(kind.sub_of).prop]} {o} .\n"
            paper = u.split("/", 1)[1]
            for ev in d["evidence"]:
                m = f"<{base}mention/{paper}/{ev['field']}-{ev['start']}-{ev['end']}>"
                later.append(
                    f"{m} {a} {kg['Mention']} .\n{m} {kg['mentionOf']} {o} .\n"
                    f"{m} {kg['inPaper']} {s} .\n"
                    f"{m} {kg['surfaceForm']} {_literal(ev['text'])} .\n"
                    f"{m} {kg['field']} {_literal(ev['field'])} .\n"
                    f"{m} {kg['start']} \"{ev['start']}\"{_INTEGER} .\n"
                    f"{m} {kg['end']} \"{ev['end']}\"{_INTEGER} .\n"
                    f"{m} {kg['sentence']} {_literal(ev['sentence'])} .\n"
                    f"{m} {kg['rule']} {_literal(ev['rule'])} .\n")
        elif key in RESULT_ROLES:
            yield f"{s} {kg[kind.prop]} {o} .\n"
        elif key in ENTITY_KINDS:
            p = kg[kind.prop]
            yield f"{s} {p} {o} .\n"
            for st in d["statements"]:
                digest = hashlib.sha1(f"{u} {key} {v} {st['sentence']}".encode()).hexdigest()
                n = f"<{base}statement/{st['paper'].split('/', 1)[1]}/{digest[:12]}>"
                later.append(
                    f"{n} {a} {statement} .\n{n} {subj} {s} .\n{n} {pred} {p} .\n"
                    f"{n} {obj} {o} .\n{n} {kg['statedIn']} <{base}{st['paper']}> .\n"
                    f"{n} {kg['evidence']} {_literal(st['sentence'])} .\n"
                    f"{n} {kg['rule']} {_literal(st['rule'])} .\n")
    yield from later


def _literals(s: str, d: dict, props: Iterable[tuple[str, str]]) -> Iterator[str]:
    """A triple for each (property, attribute) whose value `d` has (an empty one is left
    out)."""
    for prop, key in props:
        if d[key]:
            yield f"{s} {prop} {_literal(d[key])} .\n"


def decimal_text(number: float) -> str:
    """An xsd:decimal in its canonical form (XSD 1.1, as SPARQL engines print it): 10 for
    10.0, 3.06 for 3.06."""
    text = format(Decimal(repr(number)), "f")
    return text[:-2] if text.endswith(".0") else text


def to_rdf(g: nx.MultiDiGraph, base: str = DEFAULT_BASE) -> Graph:
    """An rdflib Graph of papers, entities, mention edges and their evidence."""
    base = base if base.endswith(("/", "#")) else base + "/"
    out = Graph()
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    out.bind("id", Namespace(base))
    return out.parse(data="".join(triples(nx_items(g), base)), format="nt")


def to_turtle(g: nx.MultiDiGraph, base: str = DEFAULT_BASE) -> str:
    """The graph as Turtle text, as graph.ttl is written (without its first line)."""
    nt = "".join(triples(nx_items(g), base)).encode()
    return ox.serialize(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES),
                        format=ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES).decode()


def write_ntriples(items: Iterable[Item], base: str, path: Path,
                   also: Callable[[bytes], None] | None = None) -> tuple[int, str]:
    """Write the graph's triples to `path` as N-Triples, in chunks of whole lines (each also
    given to `also`); returns how many, and the header line of the Turtle (``# paperkg
    <sha256 of the N-Triples>``)."""
    digest, count, chunk = hashlib.sha256(), 0, []

    def write() -> int:
        data = "".join(chunk).encode()
        digest.update(data)
        f.write(data)
        if also is not None:
            also(data)
        return data.count(b"\n")

    with open(path, "wb") as f:
        for line in triples(items, base):
            chunk.append(line)
            if len(chunk) == 4096:
                count += write()
                chunk = []
        count += write()
    return count, f"{HEADER}{digest.hexdigest()}\n"


def write_turtle(nt: Path, ttl: Path, header: str) -> None:
    """graph.ttl from graph.nt, by Oxigraph, headed by `header`."""
    with open(ttl, "wb") as f:
        f.write(header.encode())
        ox.serialize(ox.parse(path=nt, format=ox.RdfFormat.N_TRIPLES), f, ox.RdfFormat.TURTLE,
                     prefixes=TURTLE_PREFIXES)


LOAD_BLOCK = 16 << 20  # bytes of N-Triples bulk-loaded at a time


class StoreLoader(threading.Thread):
    """Bulk-loads N-Triples into a new Oxigraph store in `directory` (``oxigraph/``) while they
    are written: `feed` it whole lines, then `finish(header)` (recorded in ``source``, so a
    reader can tell the store is current). Oxigraph works off the GIL, so on a second core;
    it loads blocks of `LOAD_BLOCK` bytes (one bulk load of a whole file holds ~4 times its
    size in memory), at most a few of them queued."""

    def __init__(self, directory: Path):
        super().__init__(name="oxigraph-load", daemon=True)
        self.directory = directory
        self.blocks: queue.Queue = queue.Queue(maxsize=3)
        self.pending: list[bytes] = []
        self.size = 0
        self.error: BaseException | None = None
        self.start()

    def feed(self, data: bytes) -> None:
        self.pending.append(data)
        self.size += len(data)
        if self.size >= LOAD_BLOCK:
            self._put()

    def _put(self) -> None:
        block, self.pending, self.size = b"".join(self.pending), [], 0
        self._offer(block)

    def _offer(self, item: bytes | None) -> None:
        """Queue a block (None: the end) unless the thread has stopped, by an error."""
        while self.is_alive():
            try:
                self.blocks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def run(self) -> None:
        try:
            store = ox.Store(str(self.directory / "oxigraph"))
            while (block := self.blocks.get()) is not None:
                if block.strip():
                    store.bulk_load(block, format=ox.RdfFormat.N_TRIPLES)
            store.flush()
            del store
        except BaseException as e:  # raised again by finish()
            self.error = e

    def finish(self, header: str) -> None:
        self._put()
        self._end_loading()
        if self.error is not None:
            raise self.error
        (self.directory / "source").write_text(header, encoding="utf-8")

    def _end_loading(self) -> None:
        self._offer(None)
        self.join()

    def __enter__(self) -> StoreLoader:
        return self

    def __exit__(self, kind, error, tb) -> None:
        """Wait for the loading thread, whatever happened: on an error the staging removes
        its directory, which a thread still writing there would make again."""
        if kind is not None:
            with contextlib.suppress(queue.Empty):
                while True:  # what is queued will not be needed
                    self.blocks.get_nowait()
        self._end_loading()


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
