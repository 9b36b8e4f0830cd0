"""`kg` end to end, in-process: builds on small inputs, bad input (one line, exit 1, outputs
untouched), --skip-bad, --format, --base-iri, `kg stats` and the help texts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import BUILD_ENTRIES, OUTPUT_FILES, PAPERS, jsonl_text
from rdflib import RDF, Graph
from rdflib.namespace import DCTERMS

from kg.cli import cli
from kg.export.rdf import KG
from kg.model import RELATION_KINDS

ENTITY_TYPES = ("Dataset", "Benchmark", "Model", "Method", "Task", "Metric")


def papers_in(ttl: Path) -> dict[str, str]:
    """Paper IRI -> title, of a built graph.ttl."""
    g = Graph().parse(ttl, format="turtle")
    return {str(p): str(g.value(p, DCTERMS.title)) for p in g.subjects(RDF.type, KG.Paper)}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def old_outputs(tmp_path) -> Path:
    """An output directory holding the files of an earlier build."""
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUT_FILES:
        (out / name).write_bytes(f"earlier {name}\n".encode())
    return out


@pytest.mark.parametrize("fmt", ["page", "jsonl", "csv"])
def test_build_each_format(fmt, make_input, tmp_path, kg):
    out = tmp_path / "new" / "out"
    result = kg("build", make_input(fmt), "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # progress and summary go to stderr
    assert result.stderr.splitlines()[-1] == (
        f"3 papers -> {out}/graph.ttl, {out}/graph.nt, {out}/graph.json, {out}/graph.html")
    assert sorted(p.name for p in out.iterdir()) == sorted(BUILD_ENTRIES)  # no temp file left
    assert sorted(papers_in(out / "graph.ttl").values()) == sorted(p["title"] for p in PAPERS)
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    assert sum(n["kind"] == "paper" for n in data["nodes"]) == 3
    assert "<html" in (out / "graph.html").read_text(encoding="utf-8").lower()


def test_bad_input_is_one_line_and_touches_nothing(bad_input, old_outputs, no_model, kg):
    path, where, fragment = bad_input
    before = snapshot(old_outputs)
    result = kg("build", path, "-o", old_outputs)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a handled error, not a crash
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {where}: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert snapshot(old_outputs) == before


def test_bad_input_creates_no_output_directory(tmp_path, no_model, kg):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl_text(PAPERS[:2]) + "{oops\n")
    result = kg("build", bad, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:3: malformed JSON")
    assert not (tmp_path / "out").exists()


def test_skip_bad_keeps_the_good_records_and_warns(tmp_path, kg):
    path = tmp_path / "mixed.jsonl"
    path.write_text(jsonl_text(PAPERS[:1]) + "{oops\n" + jsonl_text(PAPERS[1:2] + PAPERS[:1]))
    out = tmp_path / "out"
    result = kg("build", path, "-o", out, "--skip-bad")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"warning: skipped: {path}:2: malformed JSON")
    assert warnings[1].startswith(f"warning: {path}:4: duplicate of the paper at {path}:1 ")
    assert sorted(papers_in(out / "graph.ttl").values()) == sorted(p["title"] for p in PAPERS[:2])


def test_format_is_detected_and_can_be_forced(make_input, tmp_path, kg):
    path = make_input("jsonl", name="list.txt")  # JSONL behind a page extension
    detected = kg("build", path, "-o", tmp_path / "a")
    assert detected.exit_code == 1
    assert detected.stderr.startswith(f"Error: {path}:1: no paper found")
    forced = kg("build", path, "--format", "jsonl", "-o", tmp_path / "b", "-q")
    assert forced.exit_code == 0, forced.output
    assert forced.output == ""  # -q: nothing at all
    assert len(papers_in(tmp_path / "b" / "graph.ttl")) == 3
    unknown = kg("build", path, "--format", "xml", "-o", tmp_path / "c")
    assert unknown.exit_code == 2
    assert "Invalid value for '--format'" in unknown.stderr


def test_directory_with_base_iri(make_input, tmp_path, kg):
    for fmt, papers in (("jsonl", PAPERS[:1]), ("csv", PAPERS[1:2]), ("page", PAPERS[2:])):
        make_input(fmt, papers, name=f"in/{fmt}-list.{fmt.replace('page', 'txt')}")
    out = tmp_path / "out"
    result = kg("build", tmp_path / "in", "-o", out, "-q", "--base-iri", "https://example.org/kg")
    assert result.exit_code == 0, result.output
    ttl = out / "graph.ttl"
    assert sorted(papers_in(ttl)) == ["https://example.org/kg/paper/2401-00001",
                                      "https://example.org/kg/paper/2401-00002",
                                      "https://example.org/kg/paper/contrastive-pretraining-"
                                      "improves-speech-recognition"]  # no id in a page
    g = Graph().parse(ttl, format="turtle")
    entities = [s for t in ENTITY_TYPES for s in g.subjects(RDF.type, KG[t])]
    assert entities, "the small papers mention some entity"
    assert all(str(e).startswith("https://example.org/kg/") for e in entities)
    assert "w3id.org/paperkg/id/" not in ttl.read_text(encoding="utf-8")


def test_stats(seed_outputs, kg):
    result = kg("stats", seed_outputs / "graph.ttl", "--top", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "papers    107"
    assert re.fullmatch(r"entities  \d+", lines[1])
    by_type = [line.split() for line in lines[2:lines.index("most connected (papers mentioning):")]]
    assert {t for t, _ in by_type} <= set(ENTITY_TYPES)
    assert sum(int(n) for _, n in by_type) == int(lines[1].split()[1])
    at = lines.index("most connected (papers mentioning):")
    rel = next(i for i, line in enumerate(lines) if line.startswith("relations "))
    top = lines[at + 1:rel]
    assert len(top) == 3
    assert all(re.fullmatch(r" +\d+  .+ \((" + "|".join(ENTITY_TYPES) + r")\)", t) for t in top)
    res = next(i for i, line in enumerate(lines) if line.startswith("results "))
    kinds = [line.rsplit(None, 1) for line in lines[rel + 1:res]]
    assert [k.strip() for k, _ in kinds] == [k.label for k in RELATION_KINDS
                                             if k.scope == "entity"]
    assert sum(int(n) for _, n in kinds) == int(lines[rel].split()[1]) > 0
    by_kind = [line.split() for line in lines[res + 1:]]
    assert {k for k, _ in by_kind} <= {"score", "gain", "other"}
    assert sum(int(n) for _, n in by_kind) == int(lines[res].split()[1]) > 0


@pytest.mark.parametrize("content", [None, "garbage <<<\n"], ids=["missing", "not-turtle"])
def test_stats_of_a_bad_graph(tmp_path, content, kg):
    path = tmp_path / "bad.ttl"
    if content is not None:
        path.write_text(content)
    result = kg("stats", path)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {path}")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(cli.commands))])
def test_help_shows_examples(command, kg):
    result = kg(*command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"kg {command[0] if command else ''}".strip() in result.stdout


def test_build_needs_an_input(kg):
    result = kg("build")
    assert result.exit_code == 2
    assert "Missing argument 'INPUTS...'" in result.stderr


# ---------------------------------------------------------------- outputs that cannot be written


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a directory\n")
    return path


@pytest.mark.parametrize("where", ["under-a-file", "under-proc"])
def test_an_output_directory_that_cannot_be_made_is_one_line_before_extraction(
        where, a_file, make_input, no_model, kg):
    out = a_file / "out" if where == "under-a-file" else Path("/proc/kg-out")
    result = kg("build", make_input("jsonl"), "-o", out)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"Error: {out}: cannot write there: ")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_a_read_only_output_directory_is_one_line_before_extraction(
        old_outputs, make_input, no_model, monkeypatch, kg):
    """Root writes through permission bits, so a read-only file system is simulated."""
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    before = snapshot(old_outputs)
    result = kg("build", make_input("jsonl"), "-o", old_outputs)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {old_outputs}: cannot write there: read-only file system\n"
    assert snapshot(old_outputs) == before


def test_a_full_file_system_is_one_line_and_leaves_the_earlier_outputs(
        old_outputs, make_input, monkeypatch, kg):
    """The disk fills as the outputs are synced (the second, graph.nt), after the extraction."""
    import os

    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    before = snapshot(old_outputs)
    result = kg("build", make_input("jsonl"), "-o", old_outputs, "-q")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr == f"Error: {old_outputs / 'graph.nt'}: cannot write: no space left " \
                            "on device\n"
    # no temporary file left either; the extraction is kept for the next run
    cache = old_outputs / ".paperkg-cache.sqlite"
    assert cache.exists()
    cache.unlink()
    assert snapshot(old_outputs) == before


def test_temporary_files_of_a_killed_build_are_removed(old_outputs, make_input, kg):
    for stale in (".graph.ttl.k1ll3d.tmp", ".graph.html.x_y.tmp"):
        (old_outputs / stale).write_text("half a file")
    (old_outputs / "notes.tmp").write_text("not ours")
    result = kg("build", make_input("jsonl"), "-o", old_outputs, "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in old_outputs.iterdir()) == sorted([*BUILD_ENTRIES, "notes.tmp"])


def test_terminal_escapes_make_no_entity(tmp_path, kg):
    papers = [dict(p, abstract=p["abstract"].replace("GLUE", "\x1b[31mGLUE\x1b[0m")
                   .replace("LibriSpeech", "\x1b[1;32mLibriSpeech\x1b[0m")) for p in PAPERS]
    path = tmp_path / "red.jsonl"
    path.write_text(jsonl_text(papers))
    result = kg("build", path, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "graph.json").read_text(encoding="utf-8"))
    names = [n["id"] for n in data["nodes"]] + [n.get("label", "") for n in data["nodes"]]
    assert not [n for n in names if re.search(r"\d+m\b|\x1b", n)]
    assert any(n["id"].endswith("/glue") for n in data["nodes"])


# ---------------------------------------------------------------- errors are not guessed


def test_a_bad_lexicon_is_one_line_with_its_line(make_input, tmp_path, no_model, kg):
    lexicon = tmp_path / "mine.tsv"
    lexicon.write_text("GLUE\tBenchmark\nFoo\tGadget\n")
    result = kg("build", make_input("jsonl"), "-o", tmp_path / "out", "--lexicon", lexicon)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {lexicon}:2: expected 'term<TAB>type'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("error", [ValueError, KeyError, TypeError])
def test_an_error_inside_the_pipeline_is_not_taken_for_bad_input(error, make_input, tmp_path,
                                                                  monkeypatch, kg):
    """A bug shows as the exception it is, not as "bad lexicon file" or similar."""
    from kg import build as kg_build

    def broken(*args, **kwargs):
        raise error("a bug")

    monkeypatch.setattr(kg_build, "resolve_store", broken)
    result = kg("build", make_input("jsonl"), "-o", tmp_path / "out")
    assert isinstance(result.exception, error)
