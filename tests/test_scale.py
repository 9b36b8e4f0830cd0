"""Scale: the same bytes whatever the parallelism (worker processes, a real Dask LocalCluster),
the extraction cache (hit when nothing changed, missed for a changed abstract or lexicon), a
build killed outright (previous outputs intact, no temporaries after the next build, cache
usable), and an output directory that cannot be written failing before extraction."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import BUILD_ENTRIES, OUTPUT_FILES, PAPERS, ROOT, SEEDS, jsonl_text

CACHE = ".paperkg-cache.sqlite"


def same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUT_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def counts(result) -> str:
    """The "N extracted, M cached" of a build's summary line."""
    line = next(s for s in result.stderr.splitlines() if " extracted, " in s)
    return line.split("(", 1)[1].split(")", 1)[0]


def test_one_worker_gives_the_bytes_of_two(seed_outputs, tmp_path, kg):
    result = kg("build", SEEDS, "-o", tmp_path, "-q", "--workers", "1", "--no-cache")
    assert result.exit_code == 0, result.output
    same_outputs(seed_outputs, tmp_path)


def test_dask_local_cluster_gives_the_bytes_of_a_local_build(seed_outputs, tmp_path, kg):
    """A real LocalCluster of two worker processes, each loading the pipeline once."""
    pytest.importorskip("dask.distributed")
    result = kg("build", SEEDS, "-o", tmp_path, "-q", "--dask", "local", "--workers", "2")
    assert result.exit_code == 0, result.output
    same_outputs(seed_outputs, tmp_path)


@pytest.fixture
def papers_file(tmp_path) -> Path:
    path = tmp_path / "papers.jsonl"
    path.write_text(jsonl_text(PAPERS), encoding="utf-8")
    return path


def test_cache_hit_when_unchanged_missed_for_a_changed_abstract(papers_file, tmp_path, kg):
    out, cold = tmp_path / "out", tmp_path / "cold"
    first = kg("build", papers_file, "-o", out, "-w", "1")
    assert counts(first) == "3 extracted, 0 cached"
    again = kg("build", papers_file, "-o", out, "-w", "1")
    assert counts(again) == "0 extracted, 3 cached"
    changed = [dict(PAPERS[0], abstract=PAPERS[0]["abstract"] + " We also study RoBERTa."),
               *PAPERS[1:]]
    papers_file.write_text(jsonl_text(changed), encoding="utf-8")
    third = kg("build", papers_file, "-o", out, "-w", "1")
    assert counts(third) == "1 extracted, 2 cached"
    assert "RoBERTa" in (out / "graph.ttl").read_text(encoding="utf-8")
    # what the cache gives is what a cold build makes
    assert kg("build", papers_file, "-o", cold, "-w", "1", "--no-cache").exit_code == 0
    same_outputs(out, cold)


def test_cache_missed_for_a_changed_lexicon(papers_file, tmp_path, kg):
    out, lexicon = tmp_path / "out", tmp_path / "terms.tsv"
    lexicon.write_text("Zorblax\tModel\n", encoding="utf-8")
    assert counts(kg("build", papers_file, "-o", out, "-w", "1")) == "3 extracted, 0 cached"
    with_lexicon = kg("build", papers_file, "-o", out, "-w", "1", "--lexicon", lexicon)
    assert counts(with_lexicon) == "3 extracted, 0 cached"
    same = kg("build", papers_file, "-o", out, "-w", "1", "--lexicon", lexicon)
    assert counts(same) == "0 extracted, 3 cached"
    lexicon.write_text("Zorblax\tDataset\n", encoding="utf-8")
    edited = kg("build", papers_file, "-o", out, "-w", "1", "--lexicon", lexicon)
    assert counts(edited) == "3 extracted, 0 cached"


def test_unchanged_rebuild_rewrites_only_outputs_that_changed(papers_file, tmp_path, kg):
    out = tmp_path / "out"
    kg("build", papers_file, "-o", out, "-w", "1", "-q")
    before = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    again = kg("build", papers_file, "-o", out, "-w", "1")
    assert "outputs up to date" in again.stderr
    (out / "graph.html").unlink()
    (out / "graph.ttl").write_text("edited\n")
    repaired = kg("build", papers_file, "-o", out, "-w", "1")
    assert "outputs up to date" not in repaired.stderr
    assert counts(repaired) == "0 extracted, 3 cached"
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == before


def test_no_cache_extracts_everything(papers_file, tmp_path, kg):
    out = tmp_path / "out"
    kg("build", papers_file, "-o", out, "-w", "1", "-q")
    assert counts(kg("build", papers_file, "-o", out, "-w", "1", "--no-cache")) == (
        "3 extracted, 0 cached")


def test_the_cache_key_covers_every_module_the_extractor_imports():
    """A change to a module the extractor uses must invalidate its cached records."""
    import ast

    from kg.store import _KG, EXTRACTOR_FILES

    covered = {p for pattern in EXTRACTOR_FILES for p in _KG.glob(pattern)}
    imported = set()
    for path in (_KG / "extract").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kg."):
                parts = node.module.split(".")[1:]
                module = _KG.joinpath(*parts).with_suffix(".py")
                imported.add(module if module.exists() else _KG.joinpath(*parts, "__init__.py"))
    assert _KG / "names.py" in imported  # the check sees the imports
    assert imported <= covered, sorted(str(p) for p in imported - covered)


def test_cache_records_round_trip():
    from kg.model import Extraction, Mention, Relation
    from kg.store import decode, encode

    m = Mention("p", "BERT", "abstract", 4, 8, "We use BERT.", "Model", "lexicon",
                (("Model", 2.0),), long_form="", introduced=True)
    x = Extraction("p", (m, m), (Relation("p", "uses", ("abstract", 4), ("abstract", 4),
                                          "We use BERT.", "uses"),))
    assert decode(encode(x)) == x
    record = json.loads(__import__("zlib").decompress(encode(x)))
    assert record["sentences"] == ["We use BERT."]  # each sentence kept once


# ---------------------------------------------------------------- rebuilds after new papers


def _seed_jsonl(path: Path, drop: tuple[int, ...] = ()) -> Path:
    """The seed papers as JSONL, without those at the positions `drop`."""
    from dataclasses import asdict

    from kg.ingest import read_papers

    papers = [{k: v for k, v in asdict(p).items() if k != "source"}
              for i, p in enumerate(read_papers([SEEDS])) if i not in drop]
    path.write_text(jsonl_text(papers), encoding="utf-8")
    return path


def _store_holds_graph_nt(out: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(out / "graph.oxigraph" / "oxigraph"))
    nt = ox.parse(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert {str(q) for q in store} == {str(q) for q in nt}


@pytest.fixture
def store_modes(monkeypatch) -> list[str]:
    """How each build made its Oxigraph store: "loaded" whole, "updated" from the previous
    one, or "reloaded" whole when too much had changed."""
    from kg.export import rdf

    modes: list[str] = []
    finish = rdf.StoreLoader.finish

    def recording(loader, header, nt):
        modes.append("loaded" if loader.previous is None
                     else "reloaded" if loader.reload else "updated")
        return finish(loader, header, nt)

    monkeypatch.setattr(rdf.StoreLoader, "finish", recording)
    return modes


@pytest.mark.parametrize("html_full_papers", [2000, 50])
def test_a_rebuild_after_new_papers_writes_what_a_cold_build_does(tmp_path, kg, store_modes,
                                                                   monkeypatch,
                                                                   html_full_papers):
    """Two papers new in the middle of the corpus: extracted, then resolution and export
    redone; the store is updated by the blocks of graph.nt that changed, not loaded again,
    and (when graph.html does not hold the whole graph, above `html_full_papers`) the edges
    of the papers whose entities are unchanged are copied from the last build's files.
    The same files as a cold build of the whole corpus, and the store holds their triples;
    dropping the papers again gives the first build's files back."""
    from kg import build

    monkeypatch.setattr(build, "HTML_FULL_PAPERS", html_full_papers)
    copied: list[str] = []
    get = build.LastEdges.get

    def counted(last, node: str, token: str):
        found = get(last, node, token)
        if found:
            copied.append(node)
        return found

    monkeypatch.setattr(build.LastEdges, "get", counted)
    fewer, full = _seed_jsonl(tmp_path / "fewer.jsonl", (20, 70)), _seed_jsonl(
        tmp_path / "full.jsonl")
    out, cold = tmp_path / "out", tmp_path / "cold"
    assert kg("build", fewer, "-o", out, "-w", "1", "-q").exit_code == 0
    first = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    rebuilt = kg("build", full, "-o", out, "-w", "2")
    assert counts(rebuilt) == "2 extracted, 105 cached"
    assert kg("build", full, "-o", cold, "-w", "1", "-q", "--no-cache").exit_code == 0
    same_outputs(out, cold)
    _store_holds_graph_nt(out)
    assert kg("build", fewer, "-o", out, "-w", "1", "-q").exit_code == 0  # papers gone
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == first
    _store_holds_graph_nt(out)
    assert store_modes == ["loaded", "updated", "loaded", "updated"]
    if html_full_papers < 107:  # most papers' edges copied, in both rebuilds
        assert len(copied) > 2 * 80 and len(set(copied)) > 80
    else:
        assert not copied


def test_a_rebuild_that_changes_most_triples_loads_the_store_again(tmp_path, kg, store_modes):
    full = _seed_jsonl(tmp_path / "full.jsonl")
    out = tmp_path / "out"
    assert kg("build", full, "-o", out, "-w", "1", "-q").exit_code == 0
    edited = kg("build", full, "-o", out, "-q", "--base-iri", "https://example.org/kg/")
    assert edited.exit_code == 0, edited.output
    _store_holds_graph_nt(out)
    (out / "graph.nt").write_text("")  # not the file the last build wrote: not compared with
    assert kg("build", full, "-o", out, "-q").exit_code == 0
    _store_holds_graph_nt(out)
    assert store_modes == ["loaded", "reloaded", "loaded"]


# ---------------------------------------------------------------- killed builds


def _kg_build(out: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(SEEDS), "-o", str(out),
                             "-w", "1", *options], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the build ended before it could be killed"
        assert time.monotonic() < end, "the build never reached the point to kill it at"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _records(out: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{out / CACHE}?mode=ro", uri=True,
                                     timeout=0.1)) as db:
            return db.execute("SELECT COUNT(*) FROM extractions").fetchone()[0]
    except sqlite3.Error:
        return 0


def _temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


def test_sigkill_during_extraction_and_during_writing(seed_outputs, tmp_path, kg):
    out = tmp_path / "out"
    assert kg("build", SEEDS, "-o", out, "-q", "-w", "1").exit_code == 0
    before = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    with closing(sqlite3.connect(out / CACHE)) as db:  # as if the extractor had changed
        db.execute("DELETE FROM extractions")
        db.commit()

    # killed while extracting: some chunks stored, more to come
    proc = _kg_build(out, "--no-cache")
    _kill_when(proc, lambda: _records(out) >= 1)
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == before
    kept = _records(out)
    assert 0 < kept < 107

    # killed while writing: temporary files beside the outputs
    proc = _kg_build(out)
    _kill_when(proc, lambda: bool(_temporaries(out)))
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == before

    # the next build cleans up, uses what the killed ones cached, and writes the same bytes
    result = kg("build", SEEDS, "-o", out, "-w", "1")
    assert result.exit_code == 0, result.output
    assert counts(result) == "0 extracted, 107 cached"
    assert sorted(p.name for p in out.iterdir()) == sorted(BUILD_ENTRIES)
    same_outputs(out, seed_outputs)


# ---------------------------------------------------------------- unwritable output


def test_output_path_that_is_a_file_fails_before_extraction(papers_file, tmp_path, no_model, kg):
    target = tmp_path / "taken"
    target.write_text("a file\n")
    result = kg("build", papers_file, "-o", target)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == \
        f"Error: {target}: cannot write there: not a directory"
    assert target.read_text() == "a file\n"


@pytest.mark.parametrize("errno_name, message", [
    ("EROFS", "cannot write there: read-only file system"),
    ("EACCES", "cannot write there: not writable (permission denied)"),
    ("ENOSPC", "cannot write there: no space left on device"),
])
def test_unwritable_output_fails_before_extraction(errno_name, message, papers_file, tmp_path,
                                                   no_model, monkeypatch, kg):
    """Root ignores permissions, so the refusal is simulated at the system call."""
    import errno

    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "out")):
            raise OSError(getattr(errno, errno_name), os.strerror(getattr(errno, errno_name)))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    result = kg("build", papers_file, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"Error: {tmp_path / 'out'}: {message}"


def test_too_little_space_fails_before_extraction(papers_file, tmp_path, no_model, monkeypatch,
                                                  kg):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 << 20, 10 << 20, 1024))
    result = kg("build", papers_file, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "not enough space" in result.output.strip().splitlines()[-1]


# ---------------------------------------------------------------- the store beside graph.ttl


def test_query_and_stats_open_the_store_the_build_wrote(seed_outputs, tmp_path):
    import shutil

    from kg.export.rdf import current_store
    from kg.query import open_store, select

    ttl = seed_outputs / "graph.ttl"
    assert current_store(ttl) == seed_outputs / "graph.oxigraph" / "oxigraph"
    n = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    # a graph.ttl that is not the one the store was made from is parsed instead
    copy = tmp_path / "graph.ttl"
    shutil.copytree(seed_outputs / "graph.oxigraph", tmp_path / "graph.oxigraph")
    copy.write_text(ttl.read_text(encoding="utf-8").replace("# paperkg ", "# edited ", 1),
                    encoding="utf-8")
    assert current_store(copy) is None
    triples = (seed_outputs / "graph.nt").read_bytes().count(b"\n")
    assert select(open_store(copy), n) == [{"n": triples}] == select(open_store(ttl), n)
