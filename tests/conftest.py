"""Shared fixtures: small paper lists in each input format, bad inputs, and the seeds build."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from kg.model import Entity, Mention, Paper

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
OUTPUT_FILES = ("graph.ttl", "graph.nt", "graph.json", "graph.html")
#: everything a build leaves in its output directory: the files, the extraction cache and the
#: SPARQL store
BUILD_ENTRIES = (*OUTPUT_FILES, ".paperkg-cache.sqlite", "graph.oxigraph")

# Three small papers; every abstract is long enough (40+ words) to read as an abstract line.
PAPERS = [
    {"id": "2401.00001", "title": "Sparse Attention Transformers for Long Documents",
     "abstract": "We propose a sparse attention transformer that scales linearly with the length "
                 "of the input document. We evaluate the model on the GLUE benchmark and on "
                 "long document classification, where it improves accuracy over strong dense "
                 "baselines while using far less memory and training time than BERT does.",
     "url": "https://arxiv.org/abs/2401.00001", "date": "2024-01-01",
     "authors": ["Ada Lovelace", "Alan Turing"]},
    {"id": "2401.00002", "title": "A Benchmark for Visual Question Answering in Medicine",
     "abstract": "We introduce a new dataset of medical images paired with questions and answers "
                 "written by clinicians. The benchmark covers radiology and pathology, and we "
                 "report the accuracy of several vision language models, finding that current "
                 "models still fall well short of human experts on most question types.",
     "url": "", "date": "", "authors": []},
    {"id": "2401.00003", "title": "Contrastive Pretraining Improves Speech Recognition",
     "abstract": "We show that contrastive pretraining on unlabeled audio substantially reduces "
                 "the word error rate of speech recognition systems. Our method is evaluated "
                 "on the LibriSpeech dataset, where it outperforms supervised baselines trained "
                 "on ten times more labelled data, and it transfers to low resource languages.",
     "url": "", "date": "", "authors": []},
]

ABSTRACT = "We train BERT and GPT-4 on ImageNet. BERT wins."


def paper(pid: str, abstract: str = ABSTRACT) -> Paper:
    """A paper record as the readers make it."""
    return Paper(pid, f"Paper {pid}", abstract)


def entity(key: str, etype: str, label: str, texts: dict[str, str],
           introduced: tuple[str, ...] = (), aliases: tuple[str, ...] = ()) -> Entity:
    """A resolved entity mentioned once in the abstract (ABSTRACT) of each paper of `texts`
    (paper id -> surface form), introduced by the papers of `introduced`."""
    sentence = ABSTRACT.split(". ")[0] + "."
    mentions = [Mention(pid, text, "abstract", ABSTRACT.index(text),
                        ABSTRACT.index(text) + len(text), sentence, etype, "test",
                        ((etype, 1.0),), introduced=pid in introduced)
                for pid, text in texts.items()]
    return Entity(key, etype, label, [label, *aliases], mentions)


PAGE_HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nMar 11\n\n"


def page_text(papers: list[dict]) -> str:
    return PAGE_HEADER + "".join(f"{p['title']}\n\n{p['abstract']}\n\n" for p in papers)


def jsonl_text(papers: list[dict]) -> str:
    return "".join(json.dumps(p) + "\n" for p in papers)


def csv_text(papers: list[dict], columns: tuple[str, ...] = ("id", "title", "abstract", "url",
                                                             "date", "authors")) -> str:
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for p in papers:
        writer.writerow({**p, "authors": "; ".join(p.get("authors", []))})
    return out.getvalue()


WRITERS = {"page": (".txt", page_text), "jsonl": (".jsonl", jsonl_text), "csv": (".csv", csv_text)}
# The line of each paper's title (page) or record (jsonl: 1, 2, 3; csv: 2, 3, 4).
FIRST_LINES = {"page": [9, 13, 17], "jsonl": [1, 2, 3], "csv": [2, 3, 4]}


@pytest.fixture
def no_model(monkeypatch):
    """Bad input must be reported before the (slow) spaCy pipeline is loaded."""
    from kg import build as kg_build
    from kg import parallel

    def refuse(*args, **kwargs):
        raise AssertionError("the pipeline was loaded")

    monkeypatch.setattr(parallel, "load_pipeline", refuse)
    monkeypatch.setattr(kg_build, "load_pipeline", refuse)


@pytest.fixture
def make_input(tmp_path):
    """make_input(fmt, papers=PAPERS, name=None) -> the path of a paper list in that format."""

    def make(fmt: str, papers: list[dict] = PAPERS, name: str | None = None) -> Path:
        ext, render = WRITERS[fmt]
        path = tmp_path / (name or f"papers{ext}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(papers), encoding="utf-8")
        return path

    return make


_GOOD = jsonl_text(PAPERS[:1])
_ABSTRACT = PAPERS[0]["abstract"]

# (file name, content, expected location "name:line" (or just "name"), message fragment)
BAD_INPUTS = {
    "undecodable": ("bad.jsonl", _GOOD.encode() + b'{"title": "caf\xe9"}\n', "bad.jsonl:2",
                    "not UTF-8"),
    "malformed-jsonl": ("bad.jsonl", jsonl_text(PAPERS[:2]) + '{"title": "x", abstract}\n',
                        "bad.jsonl:3", "malformed JSON"),
    "jsonl-not-object": ("bad.jsonl", _GOOD + '["a list"]\n', "bad.jsonl:2",
                         "expected a JSON object"),
    "jsonl-no-title": ("bad.jsonl", _GOOD + json.dumps({"abstract": _ABSTRACT}) + "\n",
                       "bad.jsonl:2", "no title"),
    "jsonl-no-abstract": ("bad.jsonl", _GOOD + '\n{"title": "Lonely"}\n', "bad.jsonl:3",
                          "no abstract"),
    "csv-no-title-column": ("bad.csv", "name,abstract\nFoo,bar\n", "bad.csv:1",
                            "no 'title' column"),
    "csv-extra-field": ("bad.csv", csv_text(PAPERS[:1], ("title", "abstract"))
                        + 'Two,"abstract",surplus\n', "bad.csv:3", "more fields"),
    "page-title-without-abstract": ("bad.txt", page_text(PAPERS[:1]) + "Only a title\n\n"
                                    + page_text(PAPERS[1:2])[len(PAGE_HEADER):],
                                    "bad.txt:13", "not followed by an abstract"),
    "page-two-abstracts": ("bad.txt", page_text(PAPERS[:1]) + _ABSTRACT + "\n", "bad.txt:13",
                           "abstract line without a title"),
    "page-trailing-title": ("bad.txt", page_text(PAPERS[:1]) + "A last title\n", "bad.txt:13",
                            "not followed by an abstract"),
    "page-no-paper": ("bad.txt", "just\nshort\nlines\n", "bad.txt:1", "no paper found"),
    "empty-page": ("empty.txt", "", "empty.txt", "empty"),
    "empty-jsonl": ("empty.jsonl", "\n\n", "empty.jsonl", "empty"),
    "empty-csv": ("empty.csv", "", "empty.csv", "empty"),
    "jsonl-authors-number": ("bad.jsonl", _GOOD + json.dumps(dict(PAPERS[1], authors=5)) + "\n",
                             "bad.jsonl:2", "'authors' must be a list of names"),
    "jsonl-title-list": ("bad.jsonl", _GOOD + json.dumps(dict(PAPERS[1], title=["a", "b"]))
                         + "\n", "bad.jsonl:2", "'title' must be text, not a list"),
    "jsonl-id-object": ("bad.jsonl", _GOOD + json.dumps(dict(PAPERS[1], id={"n": 1})) + "\n",
                        "bad.jsonl:2", "'id' must be text, not an object"),
    "jsonl-nested-deep": ("bad.jsonl", _GOOD + "[" * 100_000 + "]" * 100_000 + "\n",
                          "bad.jsonl:2", "nested too deeply"),
    "missing-path": ("missing.jsonl", None, "missing.jsonl", "no such file"),
    "symlink-loop": ("loop.jsonl", "LOOP", "loop.jsonl", "Too many levels of symbolic links"),
    "fifo": ("pipe.jsonl", "FIFO", "pipe.jsonl", "not a regular file"),
    "unreadable": ("locked.jsonl", _GOOD, "locked.jsonl", "cannot read: Permission denied"),
}


@pytest.fixture(params=sorted(BAD_INPUTS))
def bad_input(request, tmp_path, monkeypatch):
    """(path, its "path:line" as the error must name it, message fragment), per kind of bad
    input. An unreadable file is simulated (permissions do not stop root)."""
    name, content, where, fragment = BAD_INPUTS[request.param]
    path = tmp_path / "in" / name
    path.parent.mkdir()
    if content == "FIFO":  # reading it would wait for a writer forever
        os.mkfifo(path)
    elif content == "LOOP":
        path.symlink_to(path)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif content is not None:
        path.write_bytes(content)
    if request.param == "unreadable":
        read_bytes = Path.read_bytes

        def refuse(self: Path) -> bytes:
            if self.name == name:
                raise PermissionError(13, "Permission denied", str(self))
            return read_bytes(self)

        monkeypatch.setattr(Path, "read_bytes", refuse)
    return path, str(path.parent / where), fragment


def run_kg(*args: str | Path) -> Result:
    """`kg ARGS` in-process; exceptions are kept on the result, not raised."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)


@pytest.fixture
def kg():
    return run_kg


@pytest.fixture(scope="session")
def seed_outputs(tmp_path_factory) -> Path:
    """The three files built once from seeds/ (the lead keeps output/ equal to them)."""
    out = tmp_path_factory.mktemp("seed-build")
    result = run_kg("build", SEEDS, "-o", out, "-q", "--workers", "2")
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out


@pytest.fixture(scope="session")
def seed_graph(seed_outputs) -> Path:
    """graph.ttl of the seeds build (for the query, serve and validate tests)."""
    return seed_outputs / "graph.ttl"


EVAL = ROOT.parent / "shared" / "eval"  # the dev gold, outside the repository


def shared_eval(name: str) -> Path:
    """A file of the shared dev gold: a checkout without it skips the test, CI fails it."""
    if not (EVAL / name).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{EVAL} is missing in CI")
        pytest.skip(f"no dev gold at {EVAL}")
    return EVAL / name


def eval_on_dev(*gold_files: str) -> str:
    """`kg eval` on the shared dev gold with these extra gold files (--relations FILE, ...):
    its report. A checkout without the gold skips; CI (CI=true) fails instead."""
    shared_eval("dev_gold.jsonl")
    args = [a for option, name in zip(gold_files[::2], gold_files[1::2], strict=True)
            for a in (option, str(EVAL / name))]
    result = CliRunner().invoke(cli, ["eval", str(EVAL / "dev_gold.jsonl"), "--papers",
                                      str(EVAL / "dev_papers.jsonl"), *args])
    assert result.exit_code == 0, result.output
    return result.output
