"""`kg query` on the seeds build: every worked example against the same question answered in
plain Python over rdflib's parse of the same file (so the tests fail when a query is wrong,
not when the extractor finds other entities), the W3C result formats read back with the
standard library, ASK / CONSTRUCT / DESCRIBE, parameters, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg import query as q
from kg.cli import QUERY_FORMATS, cli
from kg.export.rdf import KG

TYPES = [KG[t] for t in ("Dataset", "Benchmark", "Model", "Method", "Task", "Metric")]
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def kg_query(*args: str | Path, input: str | None = None):
    return CliRunner().invoke(cli, ["query", *map(str, args)], input=input)


@pytest.fixture(scope="module")
def g(seed_graph) -> Graph:
    return Graph().parse(seed_graph, format="turtle")


@pytest.fixture(scope="module")
def store(seed_graph) -> ox.Store:
    return q.open_store(seed_graph)


def example_rows(seed_graph: Path, name: str, *binds: str) -> tuple[list[str], list[tuple]]:
    """The example's variables and rows, run by `kg query --format json` and read back with
    the json module: literals as str (integers int, booleans bool), IRIs as str."""
    args = [a for b in binds for a in ("--bind", b)]
    result = kg_query("--example", name, "--graph", seed_graph, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    variables = doc["head"]["vars"]
    return variables, [tuple(_value(b.get(v)) for v in variables)
                       for b in doc["results"]["bindings"]]


def _value(term: dict | None):
    if term is None:
        return None
    if term.get("datatype") == XSD_INTEGER:
        return int(term["value"])
    if term.get("datatype") == XSD_BOOLEAN:
        return term["value"] == "true"
    return term["value"]


# ---------------------------------------------------------------- plain-Python answers


def label(g: Graph, e) -> str:
    return str(g.value(e, RDFS.label))


def types(g: Graph, e) -> list:
    return [t for t in g.objects(e, RDF.type) if t in TYPES]


def named(g: Graph, name: str, cls=None) -> set:
    """Entities whose label or an alias is name."""
    found = {e for p in (RDFS.label, SKOS.altLabel) for e in g.subjects(p, Literal(name))}
    return {e for e in found if cls is None or (e, RDF.type, cls) in g}


def papers_titled(g: Graph, fragment: str) -> set:
    return {p for p, t in g.subject_objects(DCTERMS.title) if fragment.lower() in str(t).lower()}


def mentioned_by(g: Graph, e) -> set:
    return set(g.subjects(KG.mentions, e))


def sort_rows(rows, *keys):
    """Sort by several (column, descending) keys, the first one first."""
    rows = list(rows)
    for col, desc in reversed(keys):
        rows.sort(key=lambda r, c=col: r[c], reverse=desc)
    return rows


# ---------------------------------------------------------------- the examples


def test_there_are_at_least_eight_examples_each_with_a_description():
    found = q.examples()
    assert len(found) >= 8
    for ex in found.values():
        assert ex.text.startswith("# "), ex.name
        assert 20 < len(ex.description) < 120 and "\n" not in ex.description, ex.name
    listing = kg_query("--list-examples")
    assert listing.exit_code == 0
    for ex in found.values():
        assert re.search(rf"^{re.escape(ex.name)}\s+{re.escape(ex.description)}$", listing.output,
                         re.M)
    assert '--bind entity="GPT-4"' in listing.output


def test_top_entities(seed_graph, g):
    variables, rows = example_rows(seed_graph, "top-entities")
    assert variables == ["type", "label", "papers", "entity"]
    counts = {(t, e): len(mentioned_by(g, e)) for t in TYPES for e in g.subjects(RDF.type, t)}
    expected = []
    for (t, e), n in counts.items():
        ahead = sum(1 for (t2, _), n2 in counts.items() if t2 == t and n2 > n)
        if n >= 2 and ahead < 5:
            expected.append((str(t), label(g, e), n, str(e)))
    expected = sort_rows(expected, (0, False), (2, True), (1, False), (3, False))
    assert rows == expected
    assert rows, "the seeds have entities that several papers mention"
    _, top2 = example_rows(seed_graph, "top-entities", "top=2", "type=kg:Model")
    assert {r[0] for r in top2} == {str(KG.Model)}
    assert top2 == [r for r in expected if r[0] == str(KG.Model)][: len(top2)]


def test_papers_mentioning(seed_graph, g):
    def expected(name):
        return sort_rows({(str(g.value(p, DCTERMS.title)), label(g, e),
                           (p, KG.introduces, e) in g, str(p))
                          for e in named(g, name) for p in mentioned_by(g, e)},
                         (0, False), (1, False), (3, False))

    _, rows = example_rows(seed_graph, "papers-mentioning")
    assert rows == expected("GPT-4") and rows
    # by an alias
    e, alias = sorted(g.subject_objects(SKOS.altLabel))[0]
    _, by_alias = example_rows(seed_graph, "papers-mentioning", f"entity={alias}")
    assert by_alias == expected(str(alias))
    assert {str(p) for p in mentioned_by(g, e)} <= {r[3] for r in by_alias}


def test_used_with_method(seed_graph, g):
    papers = defaultdict(set)
    for m in named(g, "fine-tuning", KG.Method):
        for p in mentioned_by(g, m):
            for r in g.objects(p, KG.mentions):
                for t in types(g, r):
                    if t in (KG.Dataset, KG.Benchmark):
                        papers[(label(g, r), str(t), str(r))].add(p)
    expected = sort_rows([(lab, t, len(ps), r) for (lab, t, r), ps in papers.items()],
                         (2, True), (0, False), (3, False))
    variables, rows = example_rows(seed_graph, "used-with-method")
    assert variables == ["label", "type", "papers", "resource"]
    assert rows == expected


def test_introduced(seed_graph, g):
    expected = [(label(g, e), str(t), str(g.value(p, DCTERMS.title)),
                 len(mentioned_by(g, e) - {p}), str(e), str(p))
                for p, e in g.subject_objects(KG.introduces) for t in types(g, e)]
    expected = sort_rows(expected, (3, True), (0, False), (2, False), (4, False), (5, False))
    _, rows = example_rows(seed_graph, "introduced")
    assert rows == expected and rows


def test_co_occurring(seed_graph, g):
    together = Counter()
    for p in g.subjects(RDF.type, KG.Paper):
        entities = sorted(set(g.objects(p, KG.mentions)), key=str)
        together.update((a, b) for i, a in enumerate(entities) for b in entities[i + 1:])
    expected = sort_rows([(label(g, a), label(g, b), n, str(a), str(b))
                          for (a, b), n in together.items() if n >= 2],
                         (2, True), (0, False), (1, False), (3, False), (4, False))[:20]
    _, rows = example_rows(seed_graph, "co-occurring")
    assert rows == expected and len(rows) == 20  # the seeds have 20 pairs seen twice


def test_similar_papers(seed_graph, g):
    given = papers_titled(g, "Orca: Progressive Learning")
    assert given, "the seeds hold the Orca paper"
    shared = defaultdict(set)
    for p in given:
        for e in g.objects(p, KG.mentions):
            for other in mentioned_by(g, e) - {p}:
                if g.value(e, RDFS.label) is not None:
                    shared[other].add(e)
    expected = sort_rows([(str(g.value(o, DCTERMS.title)), len(es),
                           frozenset(label(g, e) for e in es), str(o)) for o, es in shared.items()],
                         (1, True), (0, False), (3, False))[:10]
    _, rows = example_rows(seed_graph, "similar-papers")
    assert [(t, n, frozenset(labels.split(" | ")), o) for t, n, labels, o in rows] == expected


def test_type_summary(seed_graph, g):
    expected = []
    for t in TYPES:
        entities = set(g.subjects(RDF.type, t))
        if entities:
            papers = {p for e in entities for p in mentioned_by(g, e)}
            mentions = [m for e in entities for m in g.subjects(KG.mentionOf, e)]
            expected.append((str(t), len(entities), len(papers) or None, len(mentions) or None))
    _, rows = example_rows(seed_graph, "type-summary")
    assert rows == sort_rows(expected, (1, True), (0, False))


def test_evidence(seed_graph, g):
    expected = [(str(g.value(p, DCTERMS.title)), str(g.value(m, KG.field)),
                 str(g.value(m, KG.surfaceForm)), str(g.value(m, KG.sentence)), str(p),
                 int(g.value(m, KG.start)), str(m))
                for e in named(g, "GPT-4") for m in g.subjects(KG.mentionOf, e)
                for p in g.objects(m, KG.inPaper)]
    expected = [r[:5] for r in sort_rows(expected, (0, False), (1, True), (5, False), (6, False))]
    _, rows = example_rows(seed_graph, "evidence")
    assert rows == expected and rows
    assert all(surface in sentence for _, _, surface, sentence, _ in rows)


def test_aliases(seed_graph, g):
    expected = []
    for e in set(g.subjects(SKOS.altLabel)):
        aliases = [str(a) for a in g.objects(e, SKOS.altLabel)]
        expected += [(label(g, e), str(t), len(aliases), frozenset(aliases), str(e))
                     for t in types(g, e)]
    _, rows = example_rows(seed_graph, "aliases")
    got = [(lab, t, n, frozenset(a.split(" | ")), e) for lab, t, n, a, e in rows]
    assert got == sort_rows(expected, (2, True), (0, False), (4, False)) and got


def test_paper_entities(seed_graph, g):
    expected = sort_rows([(str(t), label(g, e), (p, KG.introduces, e) in g,
                           str(g.value(p, DCTERMS.title)), str(e))
                          for p in papers_titled(g, "Orca 2") for e in g.objects(p, KG.mentions)
                          for t in types(g, e)], (3, False), (0, False), (1, False), (4, False))
    _, rows = example_rows(seed_graph, "paper-entities", "paper_title=orca 2")
    assert rows == expected and rows


@pytest.mark.parametrize("name", sorted(q.examples()))
def test_examples_run_in_rdflib_too(name, seed_graph, g, store):
    """The .rq files are plain SPARQL 1.1: another engine (rdflib) gets the same rows."""
    text = q.examples()[name].text
    ours = q.execute(store, text)
    theirs = g.query(text, initNs=q.PREFIX_IRIS)

    def norm(value):
        if value is None:
            return None
        if isinstance(value, (Literal, ox.Literal)):
            text = str(value) if isinstance(value, Literal) else value.value
            datatype = str(value.datatype) if isinstance(value, Literal) else value.datatype.value
            if datatype.endswith("#decimal"):  # 10.0 and 10: one number
                return Decimal(text)
            return frozenset(text.split(" | ")) if " | " in text else text
        return str(value) if isinstance(value, URIRef) else value.value

    assert Counter(tuple(norm(t) for t in row) for row in ours.rows) == \
        Counter(tuple(norm(t) for t in row) for row in theirs)


# ---------------------------------------------------------------- formats


FORMATS_QUERY = """SELECT ?entity ?label ?papers ?alias ?tagged ?blank WHERE {
  ?entity rdfs:label ?label ; kg:paperCount ?papers .
  OPTIONAL { ?entity skos:altLabel ?alias }
  BIND (STRLANG(CONCAT(?label, ", \\"quoted\\"\\tand\\ttabbed"), "en") AS ?tagged)
  BIND (BNODE() AS ?blank)
} ORDER BY DESC(?papers) ?label ?alias LIMIT 12"""


def test_csv_and_json_parse_with_the_standard_library(seed_graph):
    as_json = json.loads(kg_query(FORMATS_QUERY, "-g", seed_graph, "--format", "json").output)
    as_csv = list(csv.reader(io.StringIO(
        kg_query(FORMATS_QUERY, "-g", seed_graph, "--format", "csv").output, newline="")))
    variables = as_json["head"]["vars"]
    assert as_csv[0] == variables == ["entity", "label", "papers", "alias", "tagged", "blank"]
    assert len(as_csv) - 1 == len(as_json["results"]["bindings"]) == 12
    for row, binding in zip(as_csv[1:], as_json["results"]["bindings"], strict=True):
        for v, cell in zip(variables, row, strict=True):
            if v == "blank":
                assert cell.startswith("_:") and binding[v]["type"] == "bnode"
            else:
                assert cell == binding.get(v, {}).get("value", "")
        assert binding["tagged"]["xml:lang"] == "en" and "\t" in binding["tagged"]["value"]
        assert binding["papers"]["datatype"] == XSD_INTEGER
        assert binding["entity"]["type"] == "uri"


def test_tsv_and_xml_parse_with_the_standard_library(seed_graph):
    tsv = kg_query(FORMATS_QUERY, "-g", seed_graph, "--format", "tsv").output.splitlines()
    assert tsv[0].split("\t") == ["?entity", "?label", "?papers", "?alias", "?tagged", "?blank"]
    assert all(len(line.split("\t")) == 6 for line in tsv)  # tabs inside literals are escaped
    assert tsv[1].split("\t")[0].startswith("<https://") and tsv[1].split("\t")[2].isdigit()
    root = ET.fromstring(kg_query(FORMATS_QUERY, "-g", seed_graph, "--format", "xml").output)
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert [v.get("name") for v in root.find("r:head", ns)] == \
        ["entity", "label", "papers", "alias", "tagged", "blank"]
    results = root.findall("r:results/r:result", ns)
    assert len(results) == 12
    tagged = results[0].find("r:binding[@name='tagged']/r:literal", ns)
    assert tagged.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_formats_are_what_pyoxigraph_writes(fmt, store):
    """Our writers (kept for the row cap) against pyoxigraph's own QuerySolutions.serialize:
    CSV and TSV byte for byte, JSON and XML as the same solutions; blank node ids aside."""
    ours = io.BytesIO()
    q.serialize(q.execute(store, FORMATS_QUERY), fmt, ours)
    fmt_id = getattr(ox.QueryResultsFormat, fmt.upper())
    theirs = store.query(FORMATS_QUERY, prefixes=q.PREFIX_IRIS).serialize(format=fmt_id)
    if fmt in ("csv", "tsv"):
        blank = rb"_:[0-9a-f]+"
        assert re.sub(blank, b"_:b", ours.getvalue()) == re.sub(blank, b"_:b", theirs)
    else:
        def solutions(data: bytes) -> list:
            return [tuple("bnode" if isinstance(t, ox.BlankNode) else t for t in s)
                    for s in ox.parse_query_results(data, format=fmt_id)]

        assert solutions(ours.getvalue()) == solutions(theirs)


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_formats_read_back_as_the_same_terms(fmt, store):
    """pyoxigraph's own parser of the W3C formats reads our output back term for term."""
    def rows(solutions):
        return [tuple("bnode" if isinstance(t, ox.BlankNode) else t for t in s)
                for s in solutions]

    out = io.BytesIO()
    q.serialize(q.execute(store, FORMATS_QUERY), fmt, out)
    back = ox.parse_query_results(out.getvalue(), format=getattr(ox.QueryResultsFormat,
                                                                  fmt.upper()))
    assert [v.value for v in back.variables] == q.execute(store, FORMATS_QUERY).variables
    assert rows(back) == rows(q.execute(store, FORMATS_QUERY).rows)


def test_table_is_aligned_with_numbers_to_the_right(seed_graph):
    result = kg_query("SELECT ?label ?papers WHERE { ?e rdfs:label ?label ; kg:paperCount ?papers"
                      " } ORDER BY DESC(?papers) ?label LIMIT 5", "-g", seed_graph)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["label", "papers"] and set(lines[1].replace(" ", "")) == {"-"}
    assert lines[-1] == "(5 rows)" and len(lines) == 8
    assert len({len(line) for line in lines[1:7]}) == 1  # right-aligned numbers: equal widths
    assert result.output == kg_query("SELECT ?label ?papers WHERE { ?e rdfs:label ?label ; "
                                     "kg:paperCount ?papers } ORDER BY DESC(?papers) ?label",
                                     "-g", seed_graph, "--limit", "5").output


def test_ask_construct_and_describe(seed_graph, g):
    assert kg_query("ASK { ?p kg:mentions ?e }", "-g", seed_graph).output == "true\n"
    assert kg_query("ASK { ?p kg:mentions kg:Nothing }", "-g", seed_graph).output == "false\n"
    as_json = kg_query("ASK { ?p a kg:Paper }", "-g", seed_graph, "--format", "json").output
    assert json.loads(as_json) == {"head": {}, "boolean": True}

    construct = kg_query("CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:Benchmark ; "
                         "rdfs:label ?l }", "-g", seed_graph)
    assert construct.exit_code == 0
    built = Graph().parse(data=construct.output, format="turtle")
    assert set(built) == {(e, RDFS.label, lab) for e in g.subjects(RDF.type, KG.Benchmark)
                          for lab in g.objects(e, RDFS.label)}
    gpt4 = sorted(named(g, "GPT-4"))[0]
    described = kg_query(f"DESCRIBE <{gpt4}>", "-g", seed_graph, "--format", "ntriples")
    assert set(Graph().parse(data=described.output, format="nt")) == set(g.triples((gpt4, None,
                                                                                   None)))
    wrong = kg_query("CONSTRUCT WHERE { ?s a kg:Task }", "-g", seed_graph, "--format", "csv")
    assert wrong.exit_code == 1 and "is a graph" in wrong.output


def test_query_from_a_file_stdin_and_the_default_graph(seed_graph, tmp_path, monkeypatch):
    question = tmp_path / "q.rq"
    question.write_text("SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Paper }\n")
    from_file = kg_query("-f", question, "-g", seed_graph, "--format", "csv")
    assert from_file.exit_code == 0 and from_file.output.splitlines()[0] == "n"
    assert kg_query("-f", "-", "-g", seed_graph, "--format", "csv",
                    input=question.read_text()).output == from_file.output
    monkeypatch.chdir(tmp_path)
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "graph.ttl").write_bytes(seed_graph.read_bytes())
    assert kg_query("-f", question, "--format", "csv").output == from_file.output


def test_show_prints_a_query_that_runs_anywhere(seed_graph, g):
    shown = kg_query("--example", "papers-mentioning", "--bind", "entity=<urn:x>", "--show")
    assert shown.exit_code == 0
    assert shown.output.startswith("PREFIX ") and "VALUES ?entity { <urn:x> }" in shown.output
    assert len(g.query(shown.output)) == 0  # rdflib runs it with no prefixes given


def test_output_formats_are_the_modules():
    assert ["table", *q.RESULT_FORMATS, *q.GRAPH_FORMATS] == QUERY_FORMATS


# ---------------------------------------------------------------- parameters and errors


def test_bind_sets_values_and_quotes_text():
    text = 'SELECT * WHERE { VALUES ?x { "a" } VALUES ?n { 1 } ?s ?p ?x }'
    assert q.bind(text, {"x": 'say "hi"\n'}) == \
        'SELECT * WHERE { VALUES ?x { "say \\"hi\\"\\n" } VALUES ?n { 1 } ?s ?p ?x }'
    assert 'VALUES ?n { 42 }' in q.bind(text, {"n": "42"})
    assert "VALUES ?x { <https://w3id.org/paperkg/ontology#Task> }" in \
        q.bind(text, {"x": "kg:Task"})
    assert "VALUES ?x { <https://w3id.org/paperkg/id/model/gpt-4> }" in \
        q.bind(text, {"x": "id:model/gpt-4"})
    assert 'VALUES ?x { "42" }' in q.bind(text, {"x": '"42"'})
    assert q.bind(text, {"x": "b", "n": "2"}) == q.bind(q.bind(text, {"x": "b"}), {"n": "2"})
    with pytest.raises(q.QueryError, match="no 'VALUES [?]y"):
        q.bind(text, {"y": "1"})
    with pytest.raises(q.QueryError, match="not an IRI"):
        q.bind(text, {"x": "<a b>"})


def test_a_bound_value_is_never_read_as_query_text(seed_graph):
    """Each value goes into its own clause as a literal: one value that spells a VALUES
    clause is not rewritten by the next --bind, and no value leaves its quotes."""
    args = ("-e", "paper-entities", "--bind", "paper_title=VALUES ?type { z }",
            "--bind", "type=1 } FILTER(false) #")
    shown = kg_query(*args, "--show")
    assert shown.exit_code == 0, shown.output
    assert 'VALUES ?paper_title { "VALUES ?type { z }" }' in shown.output
    assert 'VALUES ?type { "1 } FILTER(false) #" }' in shown.output
    assert "FILTER(false)" not in shown.output.replace('"1 } FILTER(false) #"', "")
    ran = kg_query(*args, "-g", seed_graph, "--format", "csv")
    assert ran.exit_code == 0 and ran.output.splitlines()[1:] == []  # a query, no match
    twice = kg_query("-e", "paper-entities", "--bind", "type=1", "--bind", "type=2", "--show")
    assert twice.exit_code == 2 and "bound twice" in twice.output


@pytest.mark.parametrize(("text", "where", "what"), [
    ("SELECT ?x WHERE {\n  ?x a foo:Bar }", "line 2, column 8", "unknown prefix 'foo:'"),
    ("SELECT * WHERE { ?s ?p ?o } LIMT 3", "line 1, column 35", "expected"),
    ("SELEC ?x WHERE { ?x ?p ?o }", "line 1, column 1", "expected SELECT, ASK"),
    ("# a comment\nASK { ?s ?p }", "line 2, column 14", "expected"),
])
def test_syntax_error_is_one_line_saying_where(seed_graph, text, where, what):
    result = kg_query(text, "-g", seed_graph)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: SPARQL syntax error at ")
    assert where in result.output and what in result.output


def test_updates_are_refused(seed_graph):
    before = seed_graph.read_bytes()
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DELETE WHERE { ?s ?p ?o }",
                   "PREFIX x: <urn:x#>\nCLEAR ALL", "LOAD <http://example.org/x.ttl>"):
        result = kg_query(update, "-g", seed_graph)
        assert result.exit_code == 1 and "updates are refused" in result.output
    assert seed_graph.read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["ASK { ?s ?p ?o }", "-g", "missing.ttl"], "missing.ttl: cannot read"),
    (["--example", "nonesuch"], "no example 'nonesuch'"),
    (["--example", "evidence", "--bind", "entity"], "is not NAME=VALUE"),
    ([], "give one query"),
    (["ASK {}", "--example", "evidence"], "give one query"),
])
def test_usage_errors_are_one_line(args, message):
    result = kg_query(*args)
    assert result.exit_code in (1, 2) and message in result.output
    assert "Traceback" not in result.output


def test_evaluation_error_is_one_line(seed_graph):
    result = kg_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                      "-g", seed_graph)
    assert result.exit_code == 1 and result.output.startswith("Error: query failed: ")
    assert result.output.count("\n") == 1


def test_calls_service_reads_the_parsed_query():
    assert q.calls_service("select * where { service silent <http://x> { ?s ?p ?o } }")
    assert q.calls_service("SELECT * WHERE { BIND(kg:a\\' AS ?x) SERVICE <http://x> { ?a ?b ?c }"
                           " FILTER(?x != 'z') }")  # a regular expression read a string here
    assert q.calls_service("SELECT * WHERE { \\u0053ERVICE <http://x> { ?s ?p ?o } }")
    assert q.calls_service("SELECT * WHERE { SERVICE <http://x> { " + "{" * 5000)  # unparsable
    assert not q.calls_service('SELECT ?service WHERE { ?service a kg:SERVICE ; '
                               'rdfs:label "SERVICE" ; <http://x/SERVICE> 1 } # SERVICE')
    assert not q.calls_service("SELECT * WHERE { ?s ?p ?o }")


def test_not_turtle_is_one_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle\n")
    result = kg_query("ASK { ?s ?p ?o }", "-g", bad)
    assert result.exit_code == 1 and "not valid Turtle" in result.output
    assert result.output.count("\n") == 1


COUNT_PAPERS = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a kg:Paper }"


@pytest.fixture
def cached_graph(seed_graph, tmp_path, monkeypatch) -> Path:
    """A copy of the seeds graph that `open_store(cache=True)` keeps on disk, in a cache of
    its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(q, "CACHE_MIN_BYTES", 0)
    graph = tmp_path / "graph.ttl"
    graph.write_bytes(Path(seed_graph).read_bytes())
    return graph


def test_a_large_graph_is_kept_as_a_store_between_queries(cached_graph):
    graph, count = cached_graph, COUNT_PAPERS
    assert q.select(q.open_store(graph, cache=True), count) == [{"n": 107}]
    (version,) = [d for d in next(q.cache_home().iterdir()).iterdir()]
    assert (version / "complete").exists()
    stamp = version.stat().st_mtime_ns
    assert q.select(q.open_store(graph, cache=True), count) == [{"n": 107}]
    assert version.stat().st_mtime_ns == stamp  # reused, not reloaded
    # a changed file gets a fresh store, and the old one is removed
    graph.write_bytes(graph.read_bytes().replace(b"kg:Paper", b"kg:Document", 1))
    assert q.select(q.open_store(graph, cache=True), count) == [{"n": 106}]
    assert [d.name for d in version.parent.iterdir()] != [version.name]
    assert not version.exists()


def test_a_load_cut_short_by_a_crash_is_cleaned_up(cached_graph, tmp_path):
    graph = cached_graph
    q.open_store(graph, cache=True)
    (home,) = q.cache_home().iterdir()
    stale = home / ".loading-k1ll3d"  # what a `kg query` killed while loading left
    (stale / "store").mkdir(parents=True)
    (stale / "store" / "000001.sst").write_bytes(b"x" * 1000)
    graph.write_bytes(graph.read_bytes() + b"\n")  # a new version of the file: a new load
    assert q.select(q.open_store(graph, cache=True), COUNT_PAPERS) == [{"n": 107}]
    assert [d.name for d in home.iterdir() if d.name.startswith(".")] == []
    bad = tmp_path / "bad.ttl"
    bad.write_text("not turtle\n")
    with pytest.raises(q.QueryError):
        q.open_store(bad, cache=True)
    assert all(not d.name.startswith(".") for h in q.cache_home().iterdir() for d in h.iterdir())
