"""Readers: each input format, format detection and forcing, directories, de-duplication,
bad input located at file:line, and --skip-bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIRST_LINES, PAPERS, SEEDS, WRITERS, jsonl_text, page_text

from kg.ingest import InputError, detect_format, read_papers, slugify
from kg.model import Paper


def read(paths, **kw) -> tuple[list[Paper], list[str]]:
    warnings: list[str] = []
    papers = read_papers([Path(p) for p in paths], warn=warnings.append, **kw)
    return papers, warnings


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_reader_reads_every_paper_in_order(fmt, make_input):
    path = make_input(fmt)
    papers, warnings = read([path])
    assert warnings == []
    assert [(p.title, p.abstract) for p in papers] == [(p["title"], p["abstract"])
                                                       for p in PAPERS]
    assert [p.source for p in papers] == [f"{path}:{n}" for n in FIRST_LINES[fmt]]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_optional_fields(fmt, make_input):
    first = read([make_input(fmt)])[0][0]
    assert first == Paper(id="2401.00001", title=PAPERS[0]["title"],
                          abstract=PAPERS[0]["abstract"], url="https://arxiv.org/abs/2401.00001",
                          date="2024-01-01", authors=("Ada Lovelace", "Alan Turing"))
    assert first.arxiv_id == "2401.00001"


def test_id_defaults_to_arxiv_id_of_url_then_title_slug(make_input):
    records = [{k: v for k, v in p.items() if k != "id"} for p in PAPERS]
    papers, _ = read([make_input("jsonl", records)])
    assert [p.id for p in papers] == ["2401.00001", slugify(PAPERS[1]["title"], 60),
                                      slugify(PAPERS[2]["title"], 60)]


def test_page_header_blank_lines_and_whitespace_are_ignored(tmp_path):
    path = tmp_path / "p.txt"
    text = page_text(PAPERS).replace("\n\n", "\n \n\t\n").replace("Sparse", "  Sparse")
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    papers, _ = read([path])
    assert [p.title for p in papers] == [p["title"] for p in PAPERS]


def test_seed_page_has_107_papers():
    papers, warnings = read([SEEDS])
    assert len(papers) == 107
    assert warnings == []
    assert papers[0].title.startswith("How Will It Drape Like?")
    assert papers[0].source.endswith("trending-papers.txt:11")


@pytest.mark.parametrize(("ext", "fmt"), [(".txt", "page"), (".md", "page"), (".jsonl", "jsonl"),
                                          (".ndjson", "jsonl"), (".CSV", "csv")])
def test_format_by_extension(tmp_path, ext, fmt):
    path = tmp_path / f"list{ext}"
    path.write_text(jsonl_text(PAPERS) if fmt == "page" else "", encoding="utf-8")
    assert detect_format(path) == fmt  # the extension wins over the content


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_format_by_content_without_known_extension(fmt, make_input):
    path = make_input(fmt, name="papers.data")
    assert detect_format(path) == fmt
    assert len(read([path])[0]) == 3


def test_format_can_be_forced(make_input):
    path = make_input("jsonl", name="actually-jsonl.txt")
    with pytest.raises(InputError, match="no paper found"):
        read([path])
    assert [p.id for p in read([path], fmt="jsonl")[0]] == [p["id"] for p in PAPERS]


def test_directory_reads_every_known_file_in_sorted_order(tmp_path, make_input):
    make_input("csv", PAPERS[2:], name="dir/b.csv")
    make_input("jsonl", PAPERS[:1], name="dir/a.jsonl")
    make_input("page", PAPERS[1:2], name="dir/sub/c.txt")
    make_input("jsonl", [dict(PAPERS[0], id="hidden", title="Hidden")], name="dir/.git/x.jsonl")
    (tmp_path / "dir" / "notes.rst").write_text("not a paper list\n")
    (tmp_path / "dir" / "README").write_text("not a paper list either\n")
    papers, warnings = read([tmp_path / "dir"])
    assert warnings == []
    assert [Path(p.source).name for p in papers] == ["a.jsonl:1", "b.csv:2", "c.txt:9"]


def test_directory_without_paper_lists(tmp_path):
    (tmp_path / "notes.rst").write_text("nothing\n")
    with pytest.raises(InputError) as err:
        read([tmp_path])
    assert str(err.value) == (f"{tmp_path}: directory holds no paper list (.txt, .jsonl, .csv, "
                              ".parquet, possibly .gz/.bz2/.xz)")


@pytest.mark.parametrize("change", [
    {"title": PAPERS[0]["title"].upper() + "!"},  # same normalised title, other id
    {"title": "A different title, same id", "id": PAPERS[0]["id"]},
], ids=["same-title", "same-id"])
def test_same_paper_twice_becomes_one_with_a_warning(change, make_input):
    twice = make_input("jsonl", [PAPERS[0], {**PAPERS[0], "id": "other", **change}], name="a.jsonl")
    papers, warnings = read([twice, make_input("page", PAPERS, name="b.txt")])
    assert [p.title for p in papers] == [p["title"] for p in PAPERS]
    assert papers[0].source == f"{twice}:1"
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{twice}:2: duplicate of the paper at {twice}:1 ")
    assert warnings[1].startswith(f"{twice.with_name('b.txt')}:9: duplicate of the paper at "
                                  f"{twice}:1 ")


@pytest.mark.parametrize(("titles", "second_id"), [
    # ids made from a title keep only its first 60 slug characters
    (["Scaling Laws for Neural Language Models Trained on Very Large Corpora: Part One",
      "Scaling Laws for Neural Language Models Trained on Very Large Corpora: Part Two"], ""),
    (["图神经网络的综述", "大语言模型的评测"], ""),  # no ASCII letter: the slug alone says nothing
    (["State Space Models", "Something Else"], "state space models"),  # id = other's title
], ids=["long-prefix", "non-latin", "id-vs-title"])
def test_different_papers_are_not_merged(titles, second_id, make_input):
    records = [{"title": t, "abstract": PAPERS[0]["abstract"]} for t in titles]
    records[1]["id"] = second_id
    papers, warnings = read([make_input("jsonl", records)])
    assert warnings == []
    assert [p.title for p in papers] == titles
    assert len({slugify(p.id) for p in papers}) == 2, "two papers, two paper IRIs"
    reordered, _ = read([make_input("jsonl", records[::-1])])
    assert {p.title: p.id for p in reordered} == {p.title: p.id for p in papers}


def test_line_separators_inside_a_jsonl_string(tmp_path):
    """JSON allows U+2028 and U+0085 in strings; they do not end a JSONL line."""
    path = tmp_path / "p.jsonl"
    records = [dict(PAPERS[0], abstract=PAPERS[0]["abstract"] + "\u2028Second\x85part."),
               PAPERS[1], {"title": "No abstract"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    papers, warnings = read([path], skip_bad=True)
    assert [p.id for p in papers] == ["2401.00001", "2401.00002"]
    assert papers[0].abstract.endswith("Second part.")
    assert warnings == [f"skipped: {path}:3: paper 'No abstract' has no abstract"]


def test_bad_input_names_file_and_line(bad_input):
    path, where, fragment = bad_input
    with pytest.raises(InputError) as err:
        read([path])
    assert str(err.value).startswith(f"{where}: ")
    assert fragment in err.value.message
    assert "\n" not in str(err.value)
    assert err.value.path == str(path)
    assert err.value.line == (int(where.rsplit(":", 1)[1]) if where != str(path) else None)


def test_skip_bad_keeps_the_good_records(bad_input, make_input):
    path, where, fragment = bad_input
    good = make_input("jsonl", PAPERS[2:], name="good.jsonl")
    papers, warnings = read([path, good], skip_bad=True)
    kept_from_bad = [p for p in papers if p.source.startswith(f"{path}:")]
    assert [p.id for p in papers] == [p.id for p in kept_from_bad] + ["2401.00003"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"skipped: {where}: ")
    assert fragment in warnings[0]


def test_skip_bad_resumes_after_a_bad_line(tmp_path):
    path = tmp_path / "p.txt"
    lines = page_text(PAPERS).split("\n")
    lines.insert(12, "An orphan title\n")  # before the second paper's title (line 13)
    path.write_text("\n".join(lines), encoding="utf-8")
    papers, warnings = read([path], skip_bad=True)
    assert [p.title for p in papers] == [p["title"] for p in PAPERS]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"skipped: {path}:13: title 'An orphan title' is not followed")


def test_nothing_good_is_an_error_even_with_skip_bad(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n")
    with pytest.raises(InputError, match=r"no papers in the input$"):
        read([path], skip_bad=True)


def test_empty_input_list():
    with pytest.raises(InputError, match="no papers in the input"):
        read([])


def test_csv_field_with_doubled_quotes_and_a_comma(tmp_path):
    """Valid RFC 4180 CSV: a quoted field holding "" (a quote) and a comma. The dialect
    sniffer reads such a sample as doublequote=False, which split the field."""
    path = tmp_path / "p.csv"
    path.write_text('id,title,abstract\n2401.00001,"A ""quoted"" title, with a comma",'
                    f'"{PAPERS[0]["abstract"]}"\n', encoding="utf-8")
    papers, warnings = read([path])
    assert warnings == []
    assert [(p.title, p.abstract) for p in papers] == [
        ('A "quoted" title, with a comma', PAPERS[0]["abstract"])]


@pytest.mark.parametrize(("authors", "names"), [
    ("Smith, J.", ["Smith, J."]),
    ("Smith, J., Doe, A. B.", ["Smith, J.", "Doe, A. B."]),
    ("Curie, M.-S., King, Jr.", ["Curie, M.-S.", "King, Jr."]),
    ("Ada Lovelace, Alan Turing", ["Ada Lovelace", "Alan Turing"]),
    ("Lovelace, Ada; Turing, Alan", ["Lovelace, Ada", "Turing, Alan"]),
    ("Ada Lovelace and Alan Turing", ["Ada Lovelace", "Alan Turing"]),
    (["Turing, Alan", " Ada  Lovelace "], ["Turing, Alan", "Ada Lovelace"]),
    (None, []),
])
def test_authors_string_or_list(authors, names, make_input):
    (paper,), _ = read([make_input("jsonl", [dict(PAPERS[0], authors=authors)])])
    assert list(paper.authors) == names


def test_numeric_id_is_text(make_input):
    (paper,), _ = read([make_input("jsonl", [dict(PAPERS[0], id=12345)])])
    assert paper.id == "12345"


def test_terminal_escapes_and_control_characters_are_dropped(make_input):
    red = dict(PAPERS[0], title="\x1b[1;31mSparse\x1b[0m Attention\x07 Transformers",
               abstract=PAPERS[0]["abstract"].replace("GLUE", "\x1b[31mGLUE\x1b[0m\x00"),
               authors=["\x1b]0;window title\x07Ada Lovelace"])
    (paper,), _ = read([make_input("jsonl", [red])])
    assert paper.title == "Sparse Attention Transformers"
    assert paper.abstract == PAPERS[0]["abstract"]
    assert paper.authors == ("Ada Lovelace",)


# ---------------------------------------------------------------- big inputs

COMPRESS = {"gz": "gzip", "bz2": "bz2", "xz": "lzma"}


@pytest.mark.parametrize("codec", sorted(COMPRESS))
@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_compressed_files_of_every_format(fmt, codec, tmp_path):
    import importlib

    ext, render = WRITERS[fmt]
    path = tmp_path / f"papers{ext}.{codec}"
    path.write_bytes(importlib.import_module(COMPRESS[codec]).compress(
        render(PAPERS).encode()))
    assert detect_format(path) == fmt
    papers, _ = read([path])
    assert [p.title for p in papers] == [p["title"] for p in PAPERS]
    assert read([tmp_path])[0] == papers  # a directory's compressed files are read too


def test_damaged_compressed_file_is_one_line(tmp_path):
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(InputError, match=r"papers\.jsonl\.gz: not a valid gz file"):
        read([path])


def write_parquet(path: Path, rows: list[dict]) -> Path:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_parquet_with_title_and_abstract_columns(tmp_path):
    rows = [{k: p[k] for k in ("id", "title", "abstract", "url", "date", "authors")}
            for p in PAPERS]
    path = write_parquet(tmp_path / "papers.parquet", rows)
    papers, _ = read([path])
    assert [(p.id, p.title, p.abstract, p.authors) for p in papers] == [
        (p["id"], p["title"], p["abstract"], tuple(p["authors"])) for p in PAPERS]
    assert [p.source for p in papers] == [f"{path}:{n}" for n in (1, 2, 3)]
    # by content, without the extension
    assert detect_format(path.rename(tmp_path / "papers.bin")) == "parquet"


def test_parquet_row_without_abstract_is_located(tmp_path):
    rows = [{"title": p["title"], "abstract": p["abstract"]} for p in PAPERS]
    rows[1]["abstract"] = None
    path = write_parquet(tmp_path / "papers.parquet", rows)
    with pytest.raises(InputError, match=r"papers\.parquet:2: .* has no abstract"):
        read([path])
    papers, warnings = read([path], skip_bad=True)
    assert len(papers) == 2 and len(warnings) == 1


def test_arxiv_metadata_snapshot_records(tmp_path):
    """The public arXiv snapshot: one JSON object per line, authors as one string."""
    rec = {"id": "2401.00001", "submitter": "Ada Lovelace", "authors":
           "Ada Lovelace, Alan Turing and Grace Hopper", "title": PAPERS[0]["title"],
           "comments": "12 pages", "journal-ref": None, "doi": None, "report-no": None,
           "categories": "cs.LG cs.CL", "license": None, "abstract": "  " + PAPERS[0]["abstract"]
           + "\n", "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 00:00:00 GMT"}],
           "update_date": "2024-01-02",
           "authors_parsed": [["Lovelace", "Ada", ""], ["Turing", "Alan", ""]]}
    path = tmp_path / "arxiv-metadata-oai-snapshot.json"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    (paper,), _ = read([path])
    assert paper == Paper(id="2401.00001", title=PAPERS[0]["title"],
                          abstract=PAPERS[0]["abstract"], url="https://arxiv.org/abs/2401.00001",
                          date="2024-01-02",
                          authors=("Ada Lovelace", "Alan Turing", "Grace Hopper"))
    assert paper.arxiv_id == "2401.00001"
