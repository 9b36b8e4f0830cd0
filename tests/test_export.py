"""Atomic writes: a build that fails half-way leaves the earlier files as they were."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import OUTPUT_FILES

from kg.export import write_atomically

NEW = {name: f"new {name}\n" + "é" * 1000 for name in OUTPUT_FILES}


@pytest.fixture
def outdir(tmp_path) -> Path:
    """An output directory with an earlier build's files (one of them missing)."""
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUT_FILES[:2]:
        (out / name).write_text(f"earlier {name}\n", encoding="utf-8")
        (out / name).chmod(0o600)
    return out


def contents(directory: Path) -> dict[str, str | bytes]:
    return {p.name: p.read_bytes() if p.suffix == ".sqlite" else p.read_text(encoding="utf-8")
            for p in sorted(directory.iterdir())}


def test_writes_every_file(outdir, tmp_path):
    old_umask = os.umask(0o077)
    try:
        written = write_atomically([(outdir / n, lambda n=n: NEW[n]) for n in OUTPUT_FILES]
                                   + [(tmp_path / "sub" / "dir" / "x.ttl", lambda: "x\n")])
    finally:
        os.umask(old_umask)
    assert written == [outdir / n for n in OUTPUT_FILES] + [tmp_path / "sub" / "dir" / "x.ttl"]
    assert contents(outdir) == dict(sorted(NEW.items()))  # and no temporary file beside them
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("failing", OUTPUT_FILES)
def test_failed_render_leaves_earlier_files_untouched(outdir, failing, error):
    before = contents(outdir)

    def render(name: str) -> str:
        if name == failing:
            raise error("render failed")
        return NEW[name]

    with pytest.raises(error, match="render failed"):
        write_atomically([(outdir / n, lambda n=n: render(n)) for n in OUTPUT_FILES])
    assert contents(outdir) == before  # nothing replaced, nothing new, no temporary file


def test_each_file_is_on_disk_before_it_is_renamed(outdir, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(f"replace {Path(b).name}")
                        or real_replace(a, b))
    write_atomically([(outdir / n, lambda n=n: NEW[n]) for n in OUTPUT_FILES])
    assert events == ["fsync"] * len(OUTPUT_FILES) + [f"replace {n}" for n in OUTPUT_FILES]


def test_build_failing_half_way_leaves_earlier_outputs(make_input, outdir, monkeypatch, kg):
    """`kg build` whose graph.json fails half-way, after the first nodes were written."""
    from kg import build as kg_build

    real = kg_build.write_json

    def fail(items, out, runs=None):
        for n, item in enumerate(real(items, out, runs)):
            if n == 5:
                raise RuntimeError("json export failed")
            yield item

    monkeypatch.setattr(kg_build, "write_json", fail)
    before = contents(outdir)
    result = kg("build", make_input("jsonl"), "-o", outdir, "-q")
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    after = contents(outdir)
    assert after.pop(".paperkg-cache.sqlite")  # the extraction cache is kept, for the next build
    assert after == before


def test_a_failed_build_stops_the_store_loader_before_cleaning_up(make_input, outdir,
                                                                    monkeypatch, kg):
    """The Oxigraph store loads in a thread; a build that fails must stop it (closing the
    store) before the staging removes its directory, or the open store writes there again."""
    import threading

    from kg import build as kg_build

    def fail(items, out, runs=None):
        raise RuntimeError("json export failed")
        yield  # a generator, as write_json is

    monkeypatch.setattr(kg_build, "write_json", fail)
    before = contents(outdir)
    result = kg("build", make_input("jsonl"), "-o", outdir, "-q")
    assert isinstance(result.exception, RuntimeError)
    assert not [t for t in threading.enumerate() if t.name == "oxigraph-load"]
    assert sorted(p.name for p in outdir.iterdir()) == sorted([*before, ".paperkg-cache.sqlite"])
