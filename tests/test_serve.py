"""`kg serve` as a user runs it: a subprocess on a free loopback port, queried over HTTP with
SPARQLWrapper and urllib: SELECT / ASK / CONSTRUCT, content negotiation, updates refused with
the data unchanged, the row cap, and a runaway query stopped by the time limit."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.export.rdf import KG
from kg.serve import Endpoint, negotiate

TIMEOUT = 1.5  # the server's time limit, seconds
MAX_ROWS = 50
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


@pytest.fixture(scope="module")
def server(seed_graph):
    """(endpoint URL, process) of `kg serve` on a port the system picks."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", str(seed_graph), "--port", "0", "--timeout",
         str(TIMEOUT), "--max-rows", str(MAX_ROWS), "--workers", "2", "--quiet"],
        stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    if "SPARQL endpoint" not in line:
        proc.kill()
        pytest.fail(f"kg serve did not start: {line}{proc.stderr.read()}")
    url = line.split()[2].rstrip(":")
    yield url, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture
def endpoint(server) -> str:
    return server[0]


def wrapper(url: str, query: str, fmt=JSON) -> SPARQLWrapper:
    sparql = SPARQLWrapper(url)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setTimeout(30)
    return sparql


def request(url: str, query: str | None = None, accept: str = "", data: bytes | None = None,
            content_type: str = "", path: str = "") -> tuple[int, dict, bytes]:
    target = url + path + (f"?{urllib.parse.urlencode({'query': query})}" if query else "")
    req = urllib.request.Request(target, data=data)
    if accept:
        req.add_header("Accept", accept)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def triple_count(url: str) -> int:
    return int(wrapper(url, COUNT).queryAndConvert()["results"]["bindings"][0]["n"]["value"])


def test_bound_to_loopback(endpoint):
    assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/sparql")


def test_select_with_sparqlwrapper(endpoint, seed_graph):
    g = Graph().parse(seed_graph, format="turtle")
    doc = wrapper(endpoint, "SELECT ?b ?label WHERE { ?b a kg:Benchmark ; rdfs:label ?label } "
                            "ORDER BY ?label").queryAndConvert()
    assert doc["head"]["vars"] == ["b", "label"]
    got = {(r["b"]["value"], r["label"]["value"]) for r in doc["results"]["bindings"]}
    assert got == {(str(b), str(lab)) for b in g.subjects(RDF.type, KG.Benchmark)
                   for lab in g.objects(b, RDFS.label)}
    assert triple_count(endpoint) == len(g)


def test_select_in_csv_tsv_and_xml(endpoint):
    query = "SELECT ?label WHERE { ?e a kg:Task ; rdfs:label ?label } ORDER BY ?label LIMIT 5"
    labels = [r["label"]["value"] for r in
              wrapper(endpoint, query).queryAndConvert()["results"]["bindings"]]
    rows = list(csv.reader(io.StringIO(wrapper(endpoint, query, CSV).queryAndConvert().decode())))
    assert rows == [["label"]] + [[x] for x in labels]
    tsv = wrapper(endpoint, query, TSV).queryAndConvert().decode().splitlines()
    assert tsv[0] == "?label" and len(tsv) == 6
    xml = wrapper(endpoint, query, XML).queryAndConvert()  # a DOM document
    assert [n.firstChild.data for n in xml.getElementsByTagName("literal")] == labels


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")  # in SPARQLWrapper
def test_ask_and_construct(endpoint, seed_graph):
    assert wrapper(endpoint, "ASK { ?p kg:introduces ?e }").queryAndConvert()["boolean"] is True
    assert wrapper(endpoint, "ASK { ?p kg:introduces kg:Nothing }").queryAndConvert()[
        "boolean"] is False
    construct = "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:Metric ; rdfs:label ?l }"
    g = Graph().parse(seed_graph, format="turtle")
    expected = {(e, RDFS.label, lab) for e in g.subjects(RDF.type, KG.Metric)
                for lab in g.objects(e, RDFS.label)}
    turtle = wrapper(endpoint, construct, TURTLE).queryAndConvert()
    assert set(Graph().parse(data=turtle, format="turtle")) == expected
    as_rdfxml = wrapper(endpoint, construct, XML).queryAndConvert()  # an rdflib Graph
    assert set(as_rdfxml) == expected


def test_post_form_and_sparql_query_body(endpoint):
    status, headers, body = request(endpoint, data=urllib.parse.urlencode(
        {"query": COUNT}).encode(), content_type="application/x-www-form-urlencoded",
        accept="application/sparql-results+json")
    assert status == 200 and headers["Content-Type"] == "application/sparql-results+json"
    n = json.loads(body)["results"]["bindings"][0]["n"]["value"]
    status, _, body = request(endpoint, data=COUNT.encode(), accept="text/csv",
                              content_type="application/sparql-query")
    assert status == 200 and body.decode().splitlines() == ["n", n]


@pytest.mark.parametrize(("accept", "status", "media"), [
    ("", 200, "application/sparql-results+json"),
    ("text/csv", 200, "text/csv; charset=utf-8"),
    ("text/tab-separated-values", 200, "text/tab-separated-values; charset=utf-8"),
    ("application/sparql-results+xml", 200, "application/sparql-results+xml"),
    ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", 200,
     "application/sparql-results+xml"),
    ("image/png", 406, "text/plain; charset=utf-8"),
])
def test_content_negotiation(endpoint, accept, status, media):
    got, headers, body = request(endpoint, "SELECT ?s WHERE { ?s a kg:Paper } LIMIT 2", accept)
    assert (got, headers["Content-Type"]) == (status, media)
    if media.startswith("application/sparql-results+xml"):
        assert len(ET.fromstring(body).findall(
            ".//{http://www.w3.org/2005/sparql-results#}result")) == 2


def test_negotiate_picks_by_quality_and_kind():
    assert negotiate("", "select") == "json" and negotiate("", "graph") == "turtle"
    assert negotiate("text/*", "select") == "csv" and negotiate("*/*", "graph") == "turtle"
    assert negotiate("application/n-triples, text/turtle;q=0.5", "graph") == "ntriples"
    assert negotiate("text/csv;q=0", "select") is None
    assert negotiate("application/rdf+xml", "select") is None


def test_updates_are_refused_and_change_nothing(endpoint):
    before = triple_count(endpoint)
    insert = "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }"
    sparql = wrapper(endpoint, insert)
    sparql.setMethod(POST)  # SPARQLWrapper sends it as an update=... form
    with pytest.raises(urllib.error.HTTPError) as refused:
        sparql.query()
    assert refused.value.code == 403
    assert request(endpoint, data=b"DELETE WHERE { ?s ?p ?o }",
                   content_type="application/sparql-update")[0] == 403
    assert request(endpoint.rsplit("/", 1)[0] + "/update", data=insert.encode(),
                   content_type="application/sparql-update")[0] == 403
    status, _, body = request(endpoint, "DELETE WHERE { ?s ?p ?o }")  # as a query
    assert status == 403 and b"read-only" in body
    assert triple_count(endpoint) == before
    assert wrapper(endpoint, "ASK { <urn:x:a> ?p ?o }").queryAndConvert()["boolean"] is False


def test_service_is_refused(endpoint):
    status, _, body = request(endpoint, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> "
                                        "{ ?s ?p ?o } }")
    assert status == 403 and b"SERVICE" in body


def test_syntax_error_is_400_and_one_line(endpoint):
    with pytest.raises(QueryBadFormed) as bad:
        wrapper(endpoint, "SELECT ?x WHERE { ?x a foo:Bar }").query()
    assert "unknown prefix 'foo:'" in str(bad.value)
    status, _, body = request(endpoint, "SELEC * WHERE { ?s ?p ?o }")
    assert status == 400 and body.decode().count("\n") == 1


def test_rows_are_capped(endpoint):
    status, headers, body = request(endpoint, "SELECT * WHERE { ?s ?p ?o }", "text/csv")
    assert status == 200 and headers["X-SPARQL-MaxRows"] == str(MAX_ROWS)
    assert len(body.decode().splitlines()) == MAX_ROWS + 1
    status, headers, body = request(endpoint, "CONSTRUCT WHERE { ?s ?p ?o }",
                                    "application/n-triples")
    assert status == 200 and len(body.decode().splitlines()) == MAX_ROWS
    status, headers, _ = request(endpoint, "SELECT * WHERE { ?s a kg:Paper } LIMIT 3")
    assert "X-SPARQL-MaxRows" not in headers


def test_runaway_query_is_stopped_by_the_time_limit(endpoint):
    start = time.monotonic()
    status, _, body = request(endpoint, RUNAWAY)
    took = time.monotonic() - start
    assert status == 503 and b"time limit" in body
    assert TIMEOUT <= took < TIMEOUT + 5
    # the server goes on answering, twice at once (both workers)
    assert triple_count(endpoint) > 0 and triple_count(endpoint) > 0


def test_help_page_and_unknown_paths(endpoint):
    status, _, body = request(endpoint)
    assert status == 200 and b"read-only" in body
    assert request(endpoint, COUNT, path="/nothing-here")[0] == 404


def test_cors_for_browser_clients(seed_graph):
    """In-process, with --cors: the headers a page on another site needs (YASGUI)."""
    endpoint = Endpoint(seed_graph, port=0, workers=1, log=False, cors=True)
    serving = threading.Thread(target=endpoint.serve_forever, daemon=True)
    serving.start()
    try:
        req = urllib.request.Request(endpoint.url, method="OPTIONS")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 204 and "POST" in r.headers["Access-Control-Allow-Methods"]
        status, headers, _ = request(endpoint.url, "ASK { ?s ?p ?o }")
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    finally:
        endpoint.shutdown()
        endpoint.close()
    assert not Path(endpoint._dir).exists()


def test_sigterm_stops_server_and_workers(server):
    """Last: stops the module's server."""
    _, proc = server
    workers = _children(proc.pid)
    assert len(workers) >= 2
    proc.terminate()
    assert proc.wait(timeout=15) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{w}/stat").exists() and
                   Path(f"/proc/{w}/stat").read_text().split()[2] != "Z" for w in workers)
