"""End to end on seeds/: the Turtle's papers and IRIs, --base-iri, byte-identical rebuilds
(in another process, with another hash seed) and the committed output/ being up to date."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUILD_ENTRIES, OUTPUT_FILES, ROOT, SEEDS
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS

from kg.export.rdf import KG
from kg.ingest import read_papers, slugify

ENTITY_TYPES = ("Dataset", "Benchmark", "Model", "Method", "Task", "Metric")
BASE = "https://w3id.org/paperkg/id/"
OTHER_BASE = "https://example.org/kg/"


@pytest.fixture(scope="module")
def seed_graph(seed_outputs) -> Graph:
    return Graph().parse(seed_outputs / "graph.ttl", format="turtle")


def build_in_subprocess(out: Path, *options: str) -> None:
    """`python -m kg.cli build seeds -o OUT` in its own process, with another hash seed."""
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-m", "kg.cli", "build", str(SEEDS), "-o", str(out), "-q",
                    *options], check=True, cwd=ROOT, env=env, capture_output=True, timeout=600)


def test_107_papers_each_with_a_title(seed_graph):
    papers = set(seed_graph.subjects(RDF.type, KG.Paper))
    assert len(papers) == 107
    titles = {p: list(seed_graph.objects(p, DCTERMS.title)) for p in papers}
    assert all(len(t) == 1 and str(t[0]).strip() for t in titles.values())
    assert sorted(str(t[0]) for t in titles.values()) == sorted(
        p.title for p in read_papers([SEEDS]))
    assert all(re.fullmatch(re.escape(BASE) + r"paper/[a-z0-9]+(-[a-z0-9]+)*", str(p))
               for p in papers)


def test_entity_iris_are_type_and_slug_of_canonical_name(seed_graph):
    entities = [(s, t) for t in ENTITY_TYPES for s in seed_graph.subjects(RDF.type, KG[t])]
    assert len(entities) > 107, "the seed papers mention a few hundred entities"
    for iri, type_ in entities:
        label = seed_graph.value(iri, RDFS.label)
        assert label is not None, iri
        slug = re.escape(slugify(str(label)))
        # a clash of two entities on one slug adds a digest of the entity key
        pattern = f"{re.escape(BASE)}{type_.lower()}/{slug}(-[0-9a-f]{{6}})?"
        assert re.fullmatch(pattern, str(iri)), (str(iri), str(label))


def test_paper_mentions_point_at_entities(seed_graph):
    mentioned = set(seed_graph.objects(None, KG.mentions))
    typed = {s for t in ENTITY_TYPES for s in seed_graph.subjects(RDF.type, KG[t])}
    assert mentioned and mentioned <= typed


def test_only_the_outputs_cache_and_store_are_written(seed_outputs):
    assert sorted(p.name for p in seed_outputs.iterdir()) == sorted(BUILD_ENTRIES)


def test_rebuild_in_another_process_is_byte_identical(seed_outputs, tmp_path):
    build_in_subprocess(tmp_path)
    for name in OUTPUT_FILES:
        assert (tmp_path / name).read_bytes() == (seed_outputs / name).read_bytes(), name


def test_base_iri_changes_every_entity_and_paper_iri(seed_graph, seed_outputs, tmp_path, kg):
    result = kg("build", SEEDS, "-o", tmp_path, "-q", "--base-iri", OTHER_BASE.rstrip("/"))
    assert result.exit_code == 0, result.output
    other = Graph().parse(tmp_path / "graph.ttl", format="turtle")

    def rebased(term):
        if isinstance(term, URIRef) and term.startswith(BASE):
            return URIRef(OTHER_BASE + term[len(BASE):])
        return term

    assert {tuple(map(rebased, t)) for t in seed_graph} == set(other)
    assert BASE not in (tmp_path / "graph.ttl").read_text(encoding="utf-8")
    assert len(set(other.subjects(RDF.type, KG.Paper))) == 107


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_committed_output_is_up_to_date(seed_outputs, name):
    committed = ROOT / "output" / name
    assert committed.read_bytes() == (seed_outputs / name).read_bytes(), (
        f"output/{name} is stale: rebuild it with `kg build seeds/ -o output/`")
