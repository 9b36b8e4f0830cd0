"""`kg validate`: the seeds build conforms to ontology/shapes.ttl (checked by pyshacl), and a
graph broken in each way the shapes forbid fails with one readable line per violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.cli import cli
from kg.export.rdf import KG
from kg.model import RELATION_KINDS
from kg.query import abbreviate
from kg.validate import SHAPES, validate


def kg_validate(*args: str | Path):
    return CliRunner().invoke(cli, ["validate", *map(str, args)])


def test_shapes_file_is_in_the_ontology_folder():
    assert Path(__file__).resolve().parents[1] / "ontology" / "shapes.ttl" == SHAPES


def test_seed_graph_conforms(seed_graph):
    result = kg_validate(seed_graph)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{seed_graph}: valid (") and "papers" in result.output


@pytest.fixture(scope="module")
def sample(seed_graph) -> Graph:
    """Two papers of the seeds build with their mentions and the entities they mention."""
    g = Graph().parse(seed_graph, format="turtle")
    papers = sorted({p for p, _ in g.subject_objects(KG.introduces)},
                    key=lambda p: -len(set(g.objects(p, KG.mentions))))[:2]
    out = Graph()
    entities = {e for p in papers for e in g.objects(p, KG.mentions)}
    relations = {KG[k.prop] for k in RELATION_KINDS if k.scope == "entity"}
    for p in papers:
        out += g.triples((p, None, None))
        for m in g.subjects(KG.inPaper, p):
            out += g.triples((m, None, None))
        for s in g.subjects(KG.statedIn, p):  # the relations it states, between its entities
            if g.value(s, RDF.subject) in entities and g.value(s, RDF.object) in entities:
                out += g.triples((s, None, None))
    for e in entities:
        out += ((s, p, o) for s, p, o in g.triples((e, None, None))
                if p not in relations or (None, RDF.subject, e) in out and o in entities)
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns)
    return out


def test_a_sample_conforms_before_it_is_broken(sample, tmp_path):
    path = tmp_path / "sample.ttl"
    sample.serialize(path, format="turtle")
    report = validate(path)
    assert report.conforms and not report.violations and report.counts["papers"] == 2


def test_broken_graph_fails_with_a_readable_report(sample, tmp_path):
    g = Graph() + sample
    a, b = sorted(g.subjects(RDF.type, KG.Paper))
    entities = sorted(set(g.objects(a, KG.mentions)) - set(g.objects(b, KG.mentions)))
    e1, e2, e3 = entities[:3]
    mention = sorted(m for m in g.subjects(KG.inPaper, a)
                     if (m, KG.field, Literal("abstract")) in g)[0]
    g.remove((a, DCTERMS.title, None))                                 # no title
    g.add((e1, RDFS.label, Literal("a second label")))                 # two labels
    other = KG.Task if (e2, RDF.type, KG.Task) not in g else KG.Metric
    g.add((e2, RDF.type, other))                                       # two types
    g.add((b, KG.introduces, e3))                                      # introduces, no mentions
    start = next(g.objects(mention, KG.start))
    g.set((mention, KG.start, Literal(int(start) + 1)))                # wrong offsets
    stray = URIRef("https://w3id.org/paperkg/id/model/stray")
    g.add((b, KG.mentions, stray))                                     # no type, label, evidence
    broken = tmp_path / "broken.ttl"
    g.serialize(broken, format="turtle")

    result = kg_validate(broken)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1].startswith(f"Error: {broken} does not conform to ")
    assert "Traceback" not in result.output and "Validation Report" not in result.output
    expected = [
        (a, "dcterms:title: a paper has exactly one title"),
        (e1, "rdfs:label: an entity has exactly one label"),
        (e2, "rdf:type: an entity has exactly one of the six types"),
        (b, f"introduces {abbreviate(e3)} but does not also state kg:mentions"),
        (a, f"its mention {abbreviate(mention)} has surface form"),
        (stray, "rdf:type: an entity has exactly one of the six types"),
        (stray, "rdfs:label: an entity has exactly one label"),
        (b, f"mentions {abbreviate(stray)} without any kg:Mention as evidence"),
    ] + [  # the title's mentions point at a title that is no more
        (a, f"its mention {abbreviate(m)} has surface form \"{g.value(m, KG.surfaceForm)}\" but "
            "its field holds \"(no such text)\"")
        for m in g.subjects(KG.field, Literal("title")) if (m, KG.inPaper, a) in g]
    for focus, message in expected:
        assert any(line.startswith(abbreviate(str(focus)) + " ") and message in line
                   for line in lines), (focus, message, result.output)
    assert len(lines) == len(expected) + 1
    assert lines[-1].endswith(f"{len(expected)} violations")


def test_max_lines_cuts_the_list(sample, tmp_path):
    g = Graph() + sample
    for p in g.subjects(RDF.type, KG.Paper):
        g.remove((p, DCTERMS.title, None))
    broken = tmp_path / "untitled.ttl"
    g.serialize(broken, format="turtle")
    n = len(validate(broken).violations)
    assert n >= 2  # two titles, and any mention in a title
    result = kg_validate(broken, "--max-lines", "1")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [f"... and {n - 1} more", f"Error: {broken} does "
                                              f"not conform to {SHAPES}: {n} violations"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("not turtle at all", "not valid Turtle"),
])
def test_unreadable_graph_is_one_line(tmp_path, content, message):
    path = tmp_path / "graph.ttl"
    if content is not None:
        path.write_text(content)
    result = kg_validate(path)
    assert result.exit_code == 1 and message in result.output
    assert result.output.count("\n") == 1
