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
and bulk-loads it into the on-disk store that `kg query` and `kg serve` open, or, in a
rebuild, updates a copy of the last build's store by the blocks that changed (`blocks`,
`StoreLoader`). `to_rdf` gives the same triples as an rdflib `Graph`, for Python users and
SHACL.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import queue
import shutil
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
    """The RDF of the graph's nodes and edges (`kg.graph.graph_items`) as N-Triples, in
    pieces of whole lines (see `blocks`)."""
    for _, text in blocks(items, base):
        yield text


def blocks(items: Iterable[Item], base: str = DEFAULT_BASE) -> Iterator[tuple[str, str]]:
    """The N-Triples of the graph's nodes and edges, a block per run of items with the same
    source: (key, lines), a source node's direct triples first, then the mention and
    statement nodes of its edges. The key (``node <id>``: a node's own triples, and a result
    node's edges; ``edge <id>``: a node's edges) names the same block in every build, and each
    triple is in the block of its subject's owner (the source, or the mention or statement
    node of one of its edges): so a rebuild finds what changed block by block."""
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
    out: list[str] = []  # the current block's direct triples
    later: list[str] = []  # the evidence of the current source node's edges
    source, block = None, ""
    for item in items:
        if item[0] == "edges":  # a paper's edges as the last build wrote them
            if source is not None:
                yield block, "".join(out) + "".join(later)
            yield f"edge {item[1]}", item[2][1]
            source = None
            continue
        s = f"<{base}{item[1]}>"
        if item[1] != source:
            if source is not None:
                yield block, "".join(out) + "".join(later)
            out, later, source, block = [], [], item[1], f"{item[0]} {item[1]}"
        if item[0] == "node":
            d = item[2]
            if d["kind"] == "paper":
                out.append(f"{s} {a} {kg['Paper']} .\n")
                out.extend(_literals(s, d, ((title, "label"), (abstract, "abstract"),
                                            (ident, "paper_id"), (kg["arxivId"], "arxiv"),
                                            (date, "date"))))
                if d["url"]:
                    out.append(f"{s} {url} {_literal(d['url'])}{_ANY_URI} .\n")
                out.extend(f"{s} {creator} {_literal(author)} .\n" for author in d["authors"])
            elif d["kind"] == "result":
                number = decimal_text(d["number"])
                out.append(f"{s} {a} {kg['Result']} .\n"
                           f"{s} {kg['statedIn']} <{base}{d['paper']}> .\n"
                           f"{s} {kg['numericValue']} \"{number}\"{_DECIMAL} .\n")
                out.extend(_literals(s, d, ((kg["value"], "value"), (kg["unit"], "unit"),
                                            (kg["resultKind"], "result_kind"),
                                            (kg["evidence"], "sentence"), (kg["rule"], "rule"))))
            else:
                out.append(f"{s} {a} <{KG}{d['type']}> .\n"
                           f"{s} {label} {_literal(d['label'])} .\n")
                out.extend(f"{s} {alt} {_literal(alias)} .\n" for alias in d["aliases"]
                           if alias != d["label"])
                out.append(f"{s} {kg['paperCount']} \"{d['papers']}\"{_INTEGER} .\n")
            continue
        _, u, v, key, d = item
        o = f"<{base}{v}>"
        kind = relation_kind(key)
        if key in PAPER_KINDS:
            out.append(f"{s} {kg[kind.prop]} {o} .\n")
            if kind.sub_of:
                out.append(f"{s} {kg[relation_kind(kind.sub_of).prop]} {o} .\n")
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
            out.append(f"{s} {kg[kind.prop]} {o} .\n")
        elif key in ENTITY_KINDS:
            p = kg[kind.prop]
            out.append(f"{s} {p} {o} .\n")
            for st in d["statements"]:
                digest = hashlib.sha1(f"{u} {key} {v} {st['sentence']}".encode()).hexdigest()
                n = f"<{base}statement/{st['paper'].split('/', 1)[1]}/{digest[:12]}>"
                later.append(
                    f"{n} {a} {statement} .\n{n} {subj} {s} .\n{n} {pred} {p} .\n"
                    f"{n} {obj} {o} .\n{n} {kg['statedIn']} <{base}{st['paper']}> .\n"
                    f"{n} {kg['evidence']} {_literal(st['sentence'])} .\n"
                    f"{n} {kg['rule']} {_literal(st['rule'])} .\n")
    if source is not None:
        yield block, "".join(out) + "".join(later)


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


#: where each block (`blocks`) of a graph.nt is: key -> (offset, length), in bytes
Spans = dict[str, tuple[int, int]]
WRITE_CHUNK = 1 << 20  # bytes of N-Triples written at a time


def write_ntriples(items: Iterable[Item], base: str, path: Path,
                   loader: StoreLoader | None = None) -> tuple[int, str, Spans]:
    """Write the graph's triples to `path` as N-Triples, block by block (each also given to
    `loader`); returns how many, the header line of the Turtle (``# paperkg <sha256 of the
    N-Triples>``) and where each block is in the file."""
    digest, count, chunk, size, offset = hashlib.sha256(), 0, [], 0, 0
    spans: Spans = {}

    def write() -> int:
        data = b"".join(chunk)
        digest.update(data)
        f.write(data)
        return data.count(b"\n")

    with open(path, "wb") as f:
        for key, text in blocks(items, base):
            data = text.encode()
            spans[key] = (offset, len(data))
            offset += len(data)
            if loader is not None:
                loader.feed(key, data)
            chunk.append(data)
            size += len(data)
            if size >= WRITE_CHUNK:
                count += write()
                chunk, size = [], 0
        count += write()
    return count, f"{HEADER}{digest.hexdigest()}\n", spans


def write_turtle(nt: Path, ttl: Path, header: str) -> None:
    """graph.ttl from graph.nt, by Oxigraph, headed by `header`."""
    with open(ttl, "wb") as f:
        f.write(header.encode())
        ox.serialize(ox.parse(path=nt, format=ox.RdfFormat.N_TRIPLES), f, ox.RdfFormat.TURTLE,
                     prefixes=TURTLE_PREFIXES)


LOAD_BLOCK = 16 << 20  # bytes of N-Triples bulk-loaded at a time


@dataclass
class Previous:
    """The last build's graph.nt, where each of its blocks is, and the Oxigraph store loaded
    from it: what a rebuild updates instead of loading every triple again."""

    ntriples: Path
    spans: Spans
    store: Path


class StoreLoader(threading.Thread):
    """Makes the Oxigraph store in `directory` (``oxigraph/``) while the N-Triples are
    written: `feed` it every block, then `finish(header, nt)` (the header is recorded in
    ``source``, so a reader can tell the store is current). Oxigraph works off the GIL, so
    on a second core, on blocks of about `LOAD_BLOCK` bytes (one bulk load of a whole file
    holds ~4 times its size in memory), at most a few of them queued.

    Without `previous`, every triple is bulk-loaded. With it, the store starts as a copy of
    the previous one (a checkpoint: hard links to its files) and only the triples of the
    blocks that differ from the previous graph.nt are removed and added: loading the whole
    graph again costs more CPU than the rest of a rebuild that adds a few papers. When more
    than a quarter of the bytes differ, the store is loaded whole from `nt` at the end."""

    def __init__(self, directory: Path, previous: Previous | None = None):
        super().__init__(name="oxigraph-load", daemon=True)
        self.directory = directory
        self.previous = previous
        self.blocks: queue.Queue = queue.Queue(maxsize=3)
        self.pending: dict[str, list[bytes]] = {"add": [], "remove": []}
        self.size = 0
        self.error: BaseException | None = None
        self.old: mmap.mmap | None = None  # the previous graph.nt, while updating
        self.left: Spans = {}  # its blocks not seen again yet
        self.changed = 0  # bytes of the blocks that differ
        self.reload = False  # too much differs: load from the new N-Triples at the end
        if previous is not None:
            with open(previous.ntriples, "rb") as f:
                self.old = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self.left = dict(previous.spans)
        self.start()

    def feed(self, key: str, data: bytes) -> None:
        """One block (`blocks`) of the new N-Triples."""
        if self.old is None:
            if not self.reload:
                self._pend("add", data)
            return
        start, length = self.left.pop(key, (0, 0))
        old = self.old[start:start + length]
        if old != data:
            self._differ(old, data)

    def _differ(self, old: bytes, new: bytes) -> None:
        """The triples of a block that changed: out, in (each triple is in one block)."""
        self.changed += len(old) + len(new)
        if self.changed > len(self.old) // 4:
            self.old.close()
            self.old, self.reload = None, True
            self.pending = {"add": [], "remove": []}
            return
        old_lines = set(old.splitlines(keepends=True))
        new_lines = set(new.splitlines(keepends=True))
        self._pend("remove", b"".join(old_lines - new_lines))
        self._pend("add", b"".join(new_lines - old_lines))

    def _pend(self, op: str, data: bytes) -> None:
        self.pending[op].append(data)
        self.size += len(data)
        if self.size >= LOAD_BLOCK:
            self._put()

    def _put(self) -> None:
        for op in ("remove", "add"):  # a block's removals before its additions
            if self.pending[op]:
                self._offer((op, b"".join(self.pending[op])))
        self.pending, self.size = {"add": [], "remove": []}, 0

    def _offer(self, item: tuple[str, bytes] | None) -> None:
        """Queue an operation (None: the end) unless the thread has stopped, by an error."""
        while self.is_alive():
            try:
                self.blocks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def run(self) -> None:
        try:
            path = self.directory / "oxigraph"
            if self.previous is not None:
                ox.Store.read_only(str(self.previous.store)).backup(str(path))
            store = ox.Store(str(path))
            while (item := self.blocks.get()) is not None:
                op, data = item
                if op == "reset":
                    del store
                    shutil.rmtree(path)
                    store = ox.Store(str(path))
                elif op == "remove":
                    for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
                        store.remove(quad)
                elif data.strip():
                    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
            store.flush()
            del store
        except BaseException as e:  # raised again by finish()
            self.error = e

    def finish(self, header: str, nt: Path) -> None:
        """The end of the N-Triples, written to `nt`."""
        if self.old is not None:  # the previous blocks gone from the graph
            for start, length in self.left.values():
                self._pend("remove", self.old[start:start + length])
        self._put()
        if self.reload:
            self._offer(("reset", b""))
            with open(nt, "rb") as f:
                while block := f.read(LOAD_BLOCK):
                    self._offer(("add", block + f.readline()))  # whole lines
        self._end_loading()
        if self.error is not None:
            raise self.error
        (self.directory / "source").write_text(header, encoding="utf-8")

    def _end_loading(self) -> None:
        self._offer(None)
        self.join()
        if self.old is not None:
            self.old.close()
            self.old = None

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
