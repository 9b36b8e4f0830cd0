"""`kg serve` as a user runs it: a subprocess on a free loopback port, queried over HTTP with
SPARQLWrapper and urllib: SELECT / ASK / CONSTRUCT, content negotiation, updates refused with
the data unchanged, the row cap, and a runaway query stopped by the time limit."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import Message
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


@contextmanager
def serving(graph: Path, *options: str):
    """(endpoint URL, process) of `kg serve GRAPH OPTIONS` on a port the system picks."""
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", str(graph), "--port", "0",
                             "--quiet", *options], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        if "SPARQL endpoint" not in line:
            pytest.fail(f"kg serve did not start: {line}{proc.stderr.read()}")
        yield line.split()[2].rstrip(":"), proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(seed_graph):
    with serving(seed_graph, "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS),
                 "--workers", "2") as running:
        yield running


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
            content_type: str = "", path: str = "") -> tuple[int, Message, bytes]:
    target = url + path + (f"?{urllib.parse.urlencode({'query': query})}" if query else "")
    req = urllib.request.Request(target, data=data)
    if accept:
        req.add_header("Accept", accept)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


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


# ---------------------------------------------------------------- no outbound request


@pytest.fixture
def listener():
    """A loopback TCP listener (127.0.0.1 and, where there is one, ::1, on the same port):
    (its port, the list of connections it has seen)."""
    seen: list = []
    sockets = [socket.create_server(("127.0.0.1", 0))]
    port = sockets[0].getsockname()[1]
    with suppress(OSError):
        sockets.append(socket.create_server(("::1", port), family=socket.AF_INET6))

    def accept(sock: socket.socket) -> None:
        with suppress(OSError):
            while True:
                conn, addr = sock.accept()
                seen.append(addr)
                conn.close()

    for sock in sockets:
        threading.Thread(target=accept, args=(sock,), daemon=True).start()
    yield port, seen
    for sock in sockets:
        sock.close()


def service_spellings(port: int) -> list[str]:
    """SERVICE calls to the listener, written every way we could think of."""
    t = f"http://127.0.0.1:{port}/sparql"
    call = f"SERVICE <{t}> {{ ?a ?b ?c }}"
    prefixed = f"PREFIX ex: <http://127.0.0.1:{port}/> SELECT * WHERE"
    return [
        f"SELECT * WHERE {{ {call} }}",
        f"SELECT * WHERE {{ service <{t}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SeRvIcE SILENT <{t}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SERVICE silent <{t}> {{ ?a ?b ?c }} }}",
        f"{prefixed} {{ SERVICE ex:sparql {{ ?a ?b ?c }} }}",
        f"BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ VALUES ?s {{ <{t}> }} SERVICE ?s {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ BIND(<{t}> AS ?s) SERVICE ?s {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ {call} }} }}",
        f"SELECT * WHERE {{ {{ ?x ?y ?z }} UNION {{ {call} }} }}",
        f"SELECT * WHERE {{ ?a ?y ?z MINUS {{ {call} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ {call} }} LIMIT 1 }} }}",
        f"SELECT * WHERE {{ FILTER EXISTS {{ {call} }} }}",
        f"SELECT * WHERE {{ FILTER NOT EXISTS {{ {call} }} }}",
        f"SELECT * WHERE {{ GRAPH ?g {{ {call} }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z LATERAL {{ {call} }} }}",
        f"SELECT * WHERE {{ SERVICE <{t}> {{ ?a ?b ?c {call} }} }}",
        f"SELECT (EXISTS {{ {call} }} AS ?e) WHERE {{ }}",
        f"ASK {{ {call} }}",
        f"CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {call} }}",
        f"DESCRIBE ?a WHERE {{ {call} }}",
        f"SELECT * WHERE {{ SERVICE#comment\n<{t}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SERVICE\t\r\n <{t}>{{?a ?b ?c}} }}",
        f"SELECT * WHERE {{ BIND(kg:a\\' AS ?x) {call} FILTER(?x != 'z') }}",  # the issue's
        f"SELECT * WHERE {{ kg:a\\'b ?p ?o . {call} FILTER(?o != 'z') }}",
        f'SELECT * WHERE {{ BIND("\\"" AS ?x) {call} FILTER(?x != "\\"") }}',
        f"SELECT * WHERE {{ BIND('''it's''' AS ?x) {call} }}",
        f'SELECT * WHERE {{ BIND("""a "quoted" "" word""" AS ?x) {call} }}',
        f"SELECT * WHERE {{ ?s <urn:p#> ?o . {call} }}",
        f"SELECT ?x WHERE {{ ?x ?y 'SERVICE' . {call} }}",
        f"SELECT * WHERE {{ BIND(<<( <urn:a> <urn:b> <urn:c> )>> AS ?t) {call} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{t}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SERVIC\\u0045 <{t}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ \\U00000053ervice <{t}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ SERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }} }}",
        *(f"SELECT * WHERE {{ SERVICE <{u}> {{ ?a ?b ?c }} }}" for u in (
            f"http://localhost:{port}/sparql", f"http://127.1:{port}/sparql",
            f"http://2130706433:{port}/sparql", f"http://user@127.0.0.1:{port}/sparql",
            f"HTTP://127.0.0.1:{port}/sparql", f"http://[::1]:{port}/sparql")),
    ]


def test_no_query_makes_the_endpoint_connect_anywhere(endpoint, listener):
    port, seen = listener
    for query in service_spellings(port):
        for status, _, body in (request(endpoint, query),
                                request(endpoint, data=query.encode(),
                                        content_type="application/sparql-query")):
            assert (status, body) == (403, b"SERVICE (a federated query) is refused by this "
                                           b"endpoint\n"), query
    time.sleep(0.2)
    assert seen == [], f"{len(seen)} connections to the listener"


def test_service_in_names_strings_and_comments_is_no_service(endpoint):
    query = ('SELECT ?service WHERE { ?service a <urn:x:SERVICE> ; rdfs:label "SERVICE" ; '
             "kg:service 1 } # SERVICE <http://127.0.0.1:9/>")
    assert request(endpoint, query)[0] == 200


_RUN_UNCHECKED = """
import sys, pyoxigraph as ox
from kg.query import QueryError, execute
from kg.sandbox import deny_network
if sys.argv[1] == "sandboxed":
    assert deny_network()
store = ox.Store()
for query in sys.stdin.read().split("\\0"):
    try:
        list(execute(store, query).rows)
    except (QueryError, RuntimeError):
        pass
"""


@pytest.mark.parametrize("mode", ["sandboxed", "open"])
def test_sandboxed_workers_cannot_connect_even_unchecked(listener, mode):
    """The structural guarantee alone: with no SERVICE check at all, the engine in a process
    under kg.sandbox reaches nothing (and, to show the listener sees it, does without)."""
    port, seen = listener
    spellings = service_spellings(port)
    if mode == "open":  # a spelling that the engine runs, outside the sandbox
        spellings = spellings[:1]
    subprocess.run([sys.executable, "-c", _RUN_UNCHECKED, mode], check=True, timeout=120,
                   input="\0".join(spellings), text=True)
    time.sleep(0.2)
    assert (len(seen) == 0) == (mode == "sandboxed"), seen


# ---------------------------------------------------------------- limits


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)[1])


def _raw(url: str, head: str, body: Iterator[bytes]) -> bytes:
    """Send a hand-written request (head: request line and headers), then body chunks until
    the server stops reading; the server's answer."""
    where = urllib.parse.urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        with suppress(OSError):  # the server closes the connection when it has seen enough
            for chunk in body:
                sock.sendall(chunk)
        with suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        with suppress(OSError):
            while data := sock.recv(65536):
                answer += data
    return answer


@pytest.mark.parametrize("length", ["-1", "abc", "+5", "1e3", str(1 << 30)])
def test_a_bad_or_huge_content_length_reads_no_body(server, length):
    url, proc = server
    before = _rss_kb(proc.pid)
    chunk = b"x" * (1 << 20)
    answer = _raw(url, f"POST {urllib.parse.urlsplit(url).path} HTTP/1.1\nHost: x\n"
                       f"Content-Type: application/sparql-query\nContent-Length: {length}\n",
                  (chunk for _ in range(64)))
    status = int(answer.split(b" ", 2)[1])
    assert status == (413 if length.isdigit() else 400), answer[:300]
    assert b"Traceback" not in answer
    assert _rss_kb(proc.pid) - before < 16 << 10  # KB: the 64 MB sent were not kept


def test_a_chunked_body_over_the_limit_is_refused(server):
    url, proc = server
    before = _rss_kb(proc.pid)
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b"x" * (1 << 20))
    answer = _raw(url, f"POST {urllib.parse.urlsplit(url).path} HTTP/1.1\nHost: x\n"
                       "Content-Type: application/sparql-query\nTransfer-Encoding: chunked\n",
                  (chunk for _ in range(64)))
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    assert _rss_kb(proc.pid) - before < 16 << 10


def test_a_bad_accept_weight_is_ignored_and_406_is_short(endpoint):
    query = "SELECT ?s WHERE { ?s a kg:Paper } LIMIT 2"
    status, headers, _ = request(endpoint, query, "text/csv;q=abc")
    assert (status, headers["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert negotiate("text/csv;q=nan, application/sparql-results+xml;q=0.5", "select") == "csv"
    status, _, body = request(endpoint, query, "image/png, " + "x/y, " * 10_000)
    assert status == 406 and len(body) < 300 and b"x/y" not in body


@pytest.fixture(scope="module")
def busy_server(seed_graph):
    """A server with 2 workers to start with, 4 at most, a 4 s time limit and a 2 s idle
    timeout."""
    with serving(seed_graph, "--timeout", "4", "--workers", "2", "--max-workers", "4",
                 "--idle-timeout", "2") as running:
        yield running


@pytest.mark.parametrize("slow", [2, 8])
def test_a_quick_query_is_answered_while_slow_ones_run(busy_server, slow):
    url, _ = busy_server
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(request(url, RUNAWAY)))
               for _ in range(slow)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the slow ones are running
    start = time.monotonic()
    status, _, body = request(url, COUNT, "text/csv")
    took = time.monotonic() - start
    for t in threads:
        t.join()
    assert status == 200 and int(body.decode().split()[1]) > 0
    # as many slow queries as workers: a new worker answers at once; more than the most
    # workers: those past the long-query places are stopped at 1 s, which makes room
    assert took < (1.0 if slow == 2 else 2.5), took
    assert [a[0] for a in answers] == [503] * slow


def test_idle_and_half_sent_connections_are_bounded_and_closed(busy_server):
    url, proc = busy_server
    where = urllib.parse.urlsplit(url)
    threads_before = len(list(Path(f"/proc/{proc.pid}/task").iterdir()))
    half_sent = []
    try:
        for _ in range(300):
            sock = socket.create_connection((where.hostname, where.port), timeout=10)
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")  # no end
            half_sent.append(sock)
        time.sleep(0.5)
        assert len(list(Path(f"/proc/{proc.pid}/task").iterdir())) <= threads_before + 2
        assert request(url, COUNT)[0] == 200  # others are still served
        time.sleep(2 + 2)  # the idle timeout, and the next clean-up round
        closed = 0
        for sock in half_sent:
            sock.settimeout(1)
            with suppress(OSError):
                closed += sock.recv(1) == b""
        assert closed == len(half_sent)
    finally:
        for sock in half_sent:
            sock.close()


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
