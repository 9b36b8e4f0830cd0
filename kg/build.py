"""The whole run: papers -> mentions -> entities -> graph -> files, one stage after another."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import click
import networkx as nx

from kg.curation import Curation
from kg.export import DEFAULT_BASE, write_atomically
from kg.extract import build_pipeline, extract
from kg.extract.lexicon import load_lexicon
from kg.graph import build_graph, to_json
from kg.ingest import InputError
from kg.model import Paper
from kg.resolve import resolve


def check_lexicons(paths: list[Path]) -> None:
    """Read the user's lexicon files now, so that a bad one is one line naming its file and
    line before the long run (and an error later in the run is not taken for one)."""
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


def build_graph_from_papers(papers: list[Paper], lexicons: list[Path] = (),
                            quiet: bool = True, curation: Curation | None = None
                            ) -> nx.MultiDiGraph:
    nlp = build_pipeline(lexicons=lexicons)
    # progress goes to stderr (stdout stays clean), or nowhere with `quiet`
    sink = io.StringIO() if quiet else sys.stderr
    with click.progressbar(length=len(papers), label="extracting", file=sink,
                           show_pos=True) as bar:
        found = list(extract(papers, nlp, progress=bar.update))
    mentions = [m for x in found for m in x.mentions]
    relations = [r for x in found for r in x.relations]
    results = [r for x in found for r in x.results]
    return build_graph(papers, resolve(mentions, curation), relations, results)


def build_outputs(papers: list[Paper], outdir: Path, base_iri: str | None = None,
                  lexicons: list[Path] = (), quiet: bool = True,
                  curation: Curation | None = None) -> list[Path]:
    """Build the graph and write graph.ttl, graph.json and graph.html atomically."""
    from kg.export.html import to_html
    from kg.export.rdf import to_turtle

    g = build_graph_from_papers(papers, lexicons, quiet, curation)
    return write_atomically([
        (outdir / "graph.ttl", lambda: to_turtle(g, base_iri or DEFAULT_BASE)),
        (outdir / "graph.json", lambda: json.dumps(to_json(g), ensure_ascii=False, indent=1,
                                                   sort_keys=True) + "\n"),
        (outdir / "graph.html", lambda: to_html(g)),
    ])
