"""The whole run: papers -> mentions -> entities -> graph -> files, one stage after another,
through the store in the output directory.

1. Stage: every paper gets its cache key and node id, into the store's run table; the
   papers whose record is cached are not extracted again.
2. Extract the others, in chunks, over worker processes or a Dask cluster (`kg.parallel`);
   each chunk's records go to the store as they come back, in input order.
3. Resolve: two passes over the records' names (`kg.resolve.Resolver`), keeping per-entity
   tallies.
4. Export: one pass over the records by paper node id makes the graph's stream of nodes and
   edges (`kg.graph.graph_items`), written on the fly as graph.json and graph.nt, then
   graph.ttl and the Oxigraph store from the N-Triples, and graph.html from the part the page
   draws. Everything goes to temporary files, renamed when all are ready. A rebuild whose
   last outputs are as it left them copies the edges of every paper whose record and entity
   nodes are unchanged from them (`LastEdges`), and updates a copy of the last store by the
   blocks of graph.nt that changed (`kg.export.rdf.StoreLoader`).

Memory holds the papers as read, the per-entity tallies and the stated relations; the
mentions and their evidence stay in the store.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import networkx as nx

from kg.curation import Curation
from kg.export import (
    DEFAULT_BASE,
    check_writable,
    locked,
    remove_stale,
    staged,
    writing,
)
from kg.graph import (
    CO_OCCURS,
    COOCCURRING_ENTITIES,
    Item,
    PaperMentions,
    Rendered,
    build_graph,
    entity_attrs,
    entity_nodes,
    graph_items,
    most_mentioned,
    paper_node,
    to_networkx,
    write_json,
)
from kg.ingest import InputError
from kg.model import ENTITY_KINDS, Paper
from kg.parallel import CHUNK, default_workers, extract_chunks, load_pipeline
from kg.resolve import Resolver, resolve
from kg.store import FILENAME, Store, fingerprint, paper_key

FILES = ("graph.ttl", "graph.nt", "graph.json", "graph.html")
LAST_BUILD = "last_build"
#: what the outputs are made with besides the extraction records: paperkg's code and the
#: exporters' libraries (a change makes the next build rewrite every output)
EXPORT_CODE = fingerprint(sources=("*.py", "export/*.py", "export/templates/*"),
                          dists=("paperkg", "networkx", "pyoxigraph", "pyvis", "rdflib"))
STORE_DIR = "graph.oxigraph"
#: Up to this many papers graph.html holds the whole graph; above, the entities it draws.
HTML_FULL_PAPERS = 2000
#: Free space a build wants per paper for its outputs (the old ones stay until the new ones
#: are complete): ~11 kB Turtle, ~25 kB N-Triples, ~15 kB JSON, ~10 kB store, ~3 kB cache.
BYTES_PER_PAPER = 64 << 10
#: Up to this many papers to extract, they are extracted in this process: starting worker
#: processes, each loading the pipeline, costs more than it saves (a rebuild after adding a
#: few papers).
INLINE_PAPERS = 128


@dataclass
class Summary:
    papers: int = 0
    extracted: int = 0
    cached: int = 0
    entities: int = 0
    relations: int = 0
    results: int = 0
    triples: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)


def check_lexicons(paths: Iterable[Path]) -> None:
    """Read the user's lexicon files now, so that a bad one is one line naming its file and
    line before the long run (and an error later in the run is not taken for one)."""
    paths = list(paths)
    if not paths:  # nothing to import spaCy for (a rebuild may extract nothing here)
        return
    from kg.extract.lexicon import load_lexicon  # spaCy loads only when a build needs it

    for path in paths:
        try:
            load_lexicon([path])
        except UnicodeDecodeError as e:
            raise InputError(path, None, f"not UTF-8 text (byte 0x{e.object[e.start]:02x})"
                             ) from None
        except OSError as e:
            raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
        except ValueError as e:  # its message: "PATH:LINE: what is wrong"
            where = re.match(rf"{re.escape(str(path))}:(\d+): (.*)", str(e), re.S)
            raise (InputError(path, int(where[1]), where[2]) if where
                   else InputError(path, None, str(e))) from None


class Progress:
    """Papers done, papers/s, cache hits and ETA: a line redrawn in place on a terminal,
    a plain line every `every` seconds otherwise; nothing when quiet."""

    def __init__(self, total: int, cached: int, out: TextIO | None, every: float = 10.0):
        self.total, self.cached, self.done, self.out = total, cached, 0, out
        self.tty = bool(out) and out.isatty()
        self.every = 0.2 if self.tty else every
        self.start = self.last = time.monotonic()

    def update(self, extracted: int) -> None:
        self.done += extracted
        now = time.monotonic()
        if now - self.last >= self.every or self.cached + self.done == self.total:
            self.last = now
            self._show(now)

    def _show(self, now: float) -> None:
        if not self.out:
            return
        rate = self.done / max(now - self.start, 1e-9)
        left = self.total - self.cached - self.done
        secs = int(left / rate) if rate else 0
        eta = f"{secs // 60}:{secs % 60:02d}" if rate or not left else "?"
        line = (f"extracting {self.cached + self.done:,}/{self.total:,} papers, "
                f"{self.cached:,} cached, {rate:.1f} papers/s, ETA {eta}")
        if self.tty:
            self.out.write(f"\r{line}\033[K" + ("\n" if left == 0 else ""))
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        if self.out:
            self.out.write(text + "\n")
            self.out.flush()


def _chunks(papers: list[Paper], size: int) -> Iterator[list[Paper]]:
    for i in range(0, len(papers), size):
        yield papers[i:i + size]


def extract_into(store: Store, papers: list[Paper], lexicons: tuple[str, ...], workers: int,
                 dask: str | None, progress_out: TextIO | None) -> tuple[int, str]:
    """Stage `papers` in the store's run table and extract those without a cached record;
    returns how many were extracted, and the digest of the staged papers."""
    keys = [paper_key(store.fp, p) for p in papers]
    staged_digest = store.add_papers((i, paper_node(p), k, p) for i, (p, k) in enumerate(
        zip(papers, keys, strict=True)))
    hits: set[str] = set()
    for i in range(0, len(keys), 500):
        hits |= store.cached(keys[i:i + 500])
    todo, seen = [], set(hits)
    for p, k in zip(papers, keys, strict=True):
        if k not in seen:
            seen.add(k)
            todo.append((k, p))
    progress = Progress(len(papers), len(papers) - len(todo), progress_out)
    if todo:
        chunks = list(_chunks(todo, CHUNK))
        if len(todo) <= INLINE_PAPERS and not dask:
            workers = 1
        results = extract_chunks(([p for _, p in c] for c in chunks), lexicons,
                                 min(workers, len(chunks)), dask)
        for chunk, records in zip(chunks, results, strict=True):
            store.put(zip((k for k, _ in chunk), records, strict=True))
            progress.update(len(chunk))
    else:
        progress.update(0)
    return len(todo), staged_digest


def resolve_store(store: Store, curation: Curation | None = None
                  ) -> tuple[Resolver, dict[str, str], dict[str, dict], dict[str, str]]:
    """Resolution in two passes over the run's records (input order): the resolver, entity
    key -> node id, node id -> node attributes, and variant node -> family node."""
    resolver = Resolver(curation)
    for names in store.names():
        resolver.learn(names)
    for names in store.names():
        resolver.add(names)
    found = resolver.entities()
    nodes = entity_nodes((e.key, e.type, e.label) for e in found)
    entities = {nodes[e.key]: entity_attrs(e.type, e.label, e.aliases,
                                           resolver.tallies[e.key].papers) for e in found}
    variants = {nodes[e.key]: nodes[e.variant_of] for e in found if e.variant_of in nodes}
    return resolver, nodes, entities, variants


class LastEdges:
    """The papers' edges as the last build wrote them (graph.json's lines, graph.nt's block),
    for the papers whose `edges_token` is the same again: rendering the edges with their
    evidence is most of the export's work, and a rebuild after adding a few papers changes
    the edges of few others. Only when the last build used the same base IRI and exporters
    (`EXPORT_CODE`) and its outputs are as it left them."""

    def __init__(self, outdir: Path, edges: dict[str, tuple[str, int, int]],
                 blocks: dict[str, tuple[int, int]]):
        self.edges, self.blocks = edges, blocks
        with open(outdir / "graph.json", "rb") as j, open(outdir / "graph.nt", "rb") as n:
            self.json = mmap.mmap(j.fileno(), 0, access=mmap.ACCESS_READ)
            self.nt = mmap.mmap(n.fileno(), 0, access=mmap.ACCESS_READ)

    def get(self, node: str, token: str) -> Rendered | None:
        last, block = self.edges.get(node), self.blocks.get(f"edge {node}")
        if last is None or last[0] != token or block is None:
            return None
        (_, at, length), (start, size) = last, block
        return self.json[at:at + length].decode(), self.nt[start:start + size].decode()

    def __enter__(self) -> LastEdges:
        return self

    def __exit__(self, *exc) -> None:
        self.json.close()
        self.nt.close()


def edges_token(key: str, ends: list[str]) -> str:
    """What a paper's edges are made of: its record (its cache key) and the entity node of
    each of its mentions ("" for a dropped entity)."""
    return hashlib.blake2b(" ".join([key, *ends]).encode(), digest_size=16).hexdigest()


def store_items(store: Store, resolver: Resolver, nodes: dict[str, str],
                entities: dict[str, dict], variants: dict[str, str], tokens: dict[str, str],
                last: LastEdges | None = None) -> Iterator[Item]:
    """The graph's stream of nodes and edges from the store's records; `tokens` gets each
    paper's `edges_token`, and a paper whose token is the last build's has its edges from
    `last`."""
    def paper_mentions() -> Iterator[PaperMentions]:
        for paper, key, x in store.records():
            ms = list(x.mentions)
            ends = [nodes.get(k, "") for k, _ in resolver.keys(ms)]  # a dropped entity: none
            node = paper_node(paper)
            tokens[node] = token = edges_token(key, ends)
            yield (paper, [(m, v) for m, v in zip(ms, ends, strict=True) if v], x.relations,
                   x.results, last.get(node, token) if last else None)

    return graph_items(store.papers(), entities, paper_mentions(), variants)


class _HtmlPart:
    """Collects, while the stream passes, what graph.html draws: the whole graph when it has
    at most `HTML_FULL_PAPERS` papers, else the `COOCCURRING_ENTITIES` entities seen in the
    most papers and, of each, the co-occurrences the page can draw (its strongest
    `CO_OCCURS_PER_NODE`; the page picks those among what it is given); and counts the
    stated relations and the reported results."""

    def __init__(self, papers: int, entities: dict[str, dict]):
        self.full = papers <= HTML_FULL_PAPERS
        self.papers, self.relations, self.results = papers, 0, 0
        self.keep = set(most_mentioned(entities)[:COOCCURRING_ENTITIES])
        self.items: list[Item] = []
        self.strongest: dict[str, list[tuple[int, str, str]]] = {}

    def collect(self, items: Iterable[Item]) -> Iterator[Item]:
        from kg.export.html import CO_OCCURS_PER_NODE

        for item in items:
            if item[0] == "edge" and item[3] in ENTITY_KINDS:
                self.relations += 1
            elif item[0] == "node" and item[2].get("kind") == "result":
                self.results += 1
            if self.full or item[0] == "node" and item[1] in self.keep:
                self.items.append(item)
            elif item[0] == "edge" and item[3] == CO_OCCURS and item[1] in self.keep \
                    and item[2] in self.keep:
                key = (-item[4]["weight"], item[1], item[2])
                for end in item[1:3]:
                    best = self.strongest.setdefault(end, [])
                    best.append(key)
                    if len(best) > CO_OCCURS_PER_NODE:
                        best.remove(max(best))
            yield item

    def html(self, total_entities: int) -> str:
        from kg.export.html import to_html

        lines = sorted({k for best in self.strongest.values() for k in best},
                       key=lambda k: (k[1], k[2]))
        g = to_networkx([*self.items, *(("edge", u, v, CO_OCCURS, {
            "relation": CO_OCCURS, "weight": -w}) for w, u, v in lines)])
        if self.full:
            return to_html(g)
        return to_html(g, title=f"paperkg: {self.papers:,} papers, {total_entities:,} entities "
                                f"(drawn: the {g.number_of_nodes():,} seen in the most papers)")


def build_outputs(papers: list[Paper], outdir: Path, base_iri: str | None = None,
                  lexicons: Iterable[Path] = (), quiet: bool = True, workers: int | None = None,
                  dask: str | None = None, use_cache: bool = True,
                  progress: TextIO | None = None, curation: Curation | None = None) -> Summary:
    """Build the graph and write graph.ttl, graph.nt, graph.json, graph.html and the Oxigraph
    store atomically into `outdir`, reusing the cached extraction of unchanged papers."""
    from kg.export import rdf

    started = time.monotonic()
    lexicons = tuple(str(Path(p).resolve()) for p in lexicons)
    check_writable(outdir, len(papers) * BYTES_PER_PAPER)
    with locked(outdir, wait=False), writing(outdir):
        remove_stale(outdir, (*FILES, STORE_DIR))
        out = None if quiet else (progress or sys.stderr)
        store = Store(outdir / FILENAME, fingerprint(lexicons), use_cache)
        try:
            summary = Summary(papers=len(papers))
            summary.extracted, staged_digest = extract_into(
                store, papers, lexicons, workers or default_workers(), dask, out)
            summary.cached = len(papers) - summary.extracted
            # the same papers, extractor, exporters and options as the last build, whose
            # outputs are still as it left them: nothing to redo
            rules = curation.rules if curation else []
            digest = hashlib.sha256(f"{staged_digest} {base_iri} {EXPORT_CODE} "
                                    f"{rules!r}".encode())
            last = json.loads(store.get(LAST_BUILD) or "{}")
            as_left = last.get("outputs") == _signature(outdir)  # by the last build
            if not summary.extracted and last.get("digest") == digest.hexdigest() and as_left:
                _note(out, "outputs up to date", started)
                summary.entities, summary.relations, summary.results, summary.triples = \
                    last["counts"]
                if curation:  # as the build that made the outputs found them
                    curation.used.update(r for r in rules if r.where in last["used"])
                return _finish(summary, outdir, started)
            _note(out, "resolving...", started)
            resolver, nodes, entities, variants = resolve_store(store, curation)
            summary.entities = len(entities)
            _note(out, "writing...", started)
            html = _HtmlPart(len(papers), entities)
            # what the last build wrote, when its outputs are as it left them: the store is
            # updated from its store (loaded on the other core, Oxigraph being off the GIL, as
            # the N-Triples are written), and the unchanged papers' edges copied from its files
            render = hashlib.sha256(f"{base_iri} {EXPORT_CODE}".encode()).hexdigest()
            blocks = store.blocks() if as_left else {}
            old_store = rdf.current_store(outdir / "graph.ttl") if blocks else None
            previous = rdf.Previous(outdir / "graph.nt", blocks, old_store) if old_store \
                else None
            copying = bool(blocks) and last.get("render") == render and not html.full
            tokens: dict[str, str] = {}
            runs: dict[str, tuple[int, int]] = {}
            with staged() as st, rdf.StoreLoader(st.directory(outdir / STORE_DIR),
                                                 previous) as loader, \
                    (LastEdges(outdir, store.edges(), blocks) if copying else nullcontext()
                     ) as last_edges:
                files = {name: st.file(outdir / name) for name in FILES}
                with open(files["graph.json"], "w", encoding="utf-8", newline="\n") as f:
                    items = write_json(store_items(store, resolver, nodes, entities, variants,
                                                   tokens, last_edges), f, runs)
                    summary.triples, header, blocks = rdf.write_ntriples(
                        html.collect(items), base_iri or DEFAULT_BASE, files["graph.nt"],
                        loader)
                rdf.write_turtle(files["graph.nt"], files["graph.ttl"], header)
                files["graph.html"].write_text(html.html(len(entities)), encoding="utf-8")
                loader.finish(header, files["graph.nt"])
            summary.relations, summary.results = html.relations, html.results
            store.prune()
            store.record_outputs(LAST_BUILD, json.dumps({
                "digest": digest.hexdigest(), "outputs": _signature(outdir),
                "counts": [summary.entities, summary.relations, summary.results,
                           summary.triples],
                "used": sorted(r.where for r in curation.used) if curation else [],
                "render": render}), blocks,
                {node: (token, *runs[node]) for node, token in tokens.items() if node in runs})
        finally:
            store.close()
    return _finish(summary, outdir, started)


def _finish(summary: Summary, outdir: Path, started: float) -> Summary:
    summary.files = [outdir / name for name in FILES]
    summary.seconds = time.monotonic() - started
    return summary


def _signature(outdir: Path) -> list:
    """Size and modification time of each output: whether they are still the build's."""
    sig = []
    for path in [*(outdir / name for name in FILES), outdir / STORE_DIR / "source"]:
        try:
            st = path.stat()
            sig.append([path.name, st.st_size, st.st_mtime_ns])
        except OSError:
            sig.append([path.name, None, None])
    return sig


def _note(out: TextIO | None, stage: str, started: float) -> None:
    if out:
        out.write(f"{stage} ({time.monotonic() - started:.1f} s)\n")
        out.flush()


def build_graph_from_papers(papers: list[Paper], lexicons: list[Path] = (),
                            quiet: bool = True, curation: Curation | None = None
                            ) -> nx.MultiDiGraph:
    """The graph in memory, extracted in this process without the store (for `kg eval`)."""
    from kg.extract import extract

    found = list(extract(papers, load_pipeline(tuple(str(Path(p).resolve())
                                                     for p in lexicons))))
    mentions = [m for x in found for m in x.mentions]
    relations = [r for x in found for r in x.relations]
    results = [r for x in found for r in x.results]
    return build_graph(papers, resolve(mentions, curation), relations, results)

