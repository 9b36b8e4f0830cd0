"""`kg serve`'s explorer (kg.explore): the page at / and its JSON API, on a running server,
checked against the graph (graph.json) the Turtle was exported with; and the synthetic
graphs' N-Triples (which the big-graph tests serve) against the export."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import networkx as nx
import pytest
from test_serve import serving

from kg.export.html import find_entities
from kg.graph import relation_edges
from kg.model import PAPER_KINDS


@pytest.fixture(scope="module")
def server(seed_outputs):
    with serving(seed_outputs / "graph.ttl", "--timeout", "5") as (url, proc):
        yield url.rsplit("/", 1)[0]  # http://127.0.0.1:PORT
        proc.terminate()  # as Ctrl-C would: the server removes its store
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def graph(seed_outputs) -> nx.MultiDiGraph:
    data = json.loads((seed_outputs / "graph.json").read_text(encoding="utf-8"))
    return nx.node_link_graph(data, edges="edges")


def get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def api(root: str, name: str, **params) -> dict:
    status, headers, body = get(f"{root}/api/{name}?{urllib.parse.urlencode(params)}")
    assert status == 200, body
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(body)


def papers_of(g: nx.MultiDiGraph, entity: str) -> set[str]:
    return {p for p, _, k in g.in_edges(entity, keys=True) if k in PAPER_KINDS}


def test_the_page_at_the_root(server):
    status, headers, body = get(server + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and headers["X-Content-Type-Options"] == "nosniff"
    page = body.decode()
    assert re.search(r'content="[^"]*connect-src \'self\'', page)  # the page's own CSP too
    data = json.loads(re.search(r'id="kg-data">(.*?)</script>', page, re.S).group(1))
    assert data["api"] == "/api/" and data["P"] == [] and data["drawable"] == len(data["E"])
    # the endpoint is where it was, and / still answers a query
    assert get(server + "/sparql")[0] == 200
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    status, _, body = get(f"{server}/?{query}")
    assert status == 200 and json.loads(body)["boolean"] is True


def test_an_entity_record_is_the_graphs(server, graph):
    g = graph
    gsm8k = find_entities(g, "GSM8K")[0]
    r = api(server, "entity", id=gsm8k)
    d = g.nodes[gsm8k]
    assert (r["l"], r["t"], r["n"]) == (d["label"], d["type"], d["papers"])
    assert set(r["a"]) == {a for a in d["aliases"] if a != d["label"]}
    assert {p["p"] for p in r["papers"]} == papers_of(g, gsm8k)
    for p in r["papers"]:
        evidence = g.edges[p["p"], gsm8k, next(k for k in PAPER_KINDS
                                               if g.has_edge(p["p"], gsm8k, k))]["evidence"]
        assert {ev["s"] for ev in p["ev"]} == {ev["sentence"] for ev in evidence}
        for ev in p["ev"]:
            assert all(ev["s"][a:b] in {e["text"] for e in evidence} for a, b in ev["m"])
    shared: Counter = Counter()
    for p in papers_of(g, gsm8k):
        shared.update(e for _, e, k in g.out_edges(p, keys=True)
                      if k in PAPER_KINDS and e != gsm8k)
    assert {nb["e"]: nb["n"] for nb in r["neighbours"]} == dict(shared)
    assert r["totals"] == dict(Counter(g.nodes[e]["type"] for e in shared))
    expected = {(k, "out" if h == gsm8k else "in", t if h == gsm8k else h,
                 frozenset((s["paper"], s["sentence"]) for s in d["statements"]))
                for h, t, k, d in relation_edges(g, gsm8k)}
    got = {(x["k"], x["d"], x["e"], frozenset((s["p"], s["s"]) for s in x["st"]))
           for x in r["relations"]}
    assert got == expected and expected
    named = {gsm8k, *(p["p"] for p in r["papers"]), *(x["e"] for x in r["relations"]),
             *(nb["e"] for nb in r["neighbours"])}
    assert named <= set(r["refs"])  # the page can name everything the record names


def test_a_paper_record_and_shared_papers(server, graph):
    g = graph
    gsm8k, math = find_entities(g, "GSM8K")[0], find_entities(g, "MATH")[0]
    both = papers_of(g, gsm8k) & papers_of(g, math)
    newest = sorted(sorted(both), key=lambda p: g.nodes[p]["date"], reverse=True)
    assert api(server, "shared", a=gsm8k, b=math)["papers"] == newest  # then by id
    paper = sorted(both)[0]
    r = api(server, "paper", id=paper)
    d = g.nodes[paper]
    assert (r["l"], r["a"]) == (d["label"], d["abstract"])
    entities = {e: k for _, e, k in g.out_edges(paper, keys=True) if k in PAPER_KINDS}
    assert {x["e"]: x["r"] for x in r["ents"]} == entities
    for x in r["ents"]:
        evidence = g.edges[paper, x["e"], entities[x["e"]]]["evidence"]
        assert sorted(map(tuple, x["sp"])) == sorted(
            (ev["field"], ev["start"], ev["end"]) for ev in evidence)
    stated = {(k, h, t) for h, t, k, dd in relation_edges(g)
              if any(s["paper"] == paper for s in dd["statements"])}
    assert {(x["k"], x["h"], x["t"]) for x in r["relations"]} == stated


def test_results_of_an_entity_and_a_paper(server, seed_outputs):
    data = json.loads((seed_outputs / "graph.json").read_text(encoding="utf-8"))
    g = nx.node_link_graph(data, edges="edges")  # with its results
    results = {n: (d, {k: v for _, v, k in g.out_edges(n, keys=True)})
               for n, d in g.nodes(data=True) if d["kind"] == "result"}
    counted = Counter(e for _, roles in results.values() for e in set(roles.values()))
    entity = counted.most_common(1)[0][0]
    r = api(server, "entity", id=entity)
    assert sorted((x["v"], x["p"], tuple(sorted(map(tuple, x["roles"])))) for x in r["results"]) \
        == sorted((d["value"], d["paper"], tuple(sorted(roles.items())))
                  for d, roles in results.values() if entity in roles.values())
    for x in r["results"]:
        assert [x["ev"]["s"][a:b] for a, b in x["ev"]["m"]] == [x["v"]]
    paper = r["results"][0]["p"]
    assert sorted(x["v"] for x in api(server, "paper", id=paper)["results"]) == sorted(
        d["value"] for d, _ in results.values() if d["paper"] == paper)


def test_search_and_around(server, graph):
    g = graph
    gsm8k = find_entities(g, "GSM8K")[0]
    hits = api(server, "search", q="gsm8")["hits"]
    assert hits[0]["id"] == gsm8k and hits[0]["score"] == 1
    assert api(server, "search", q="GSM8K")["hits"][0]["score"] == 0
    near = set(api(server, "around", id=gsm8k, radius=1)["entities"])
    assert near == {e for p in papers_of(g, gsm8k) for _, e, k in g.out_edges(p, keys=True)
                    if k in PAPER_KINDS}
    assert near < set(api(server, "around", id=gsm8k, radius=2)["entities"])


@pytest.mark.parametrize(("path", "status"), [
    ("/api/entity", 400), ("/api/entity?id=", 400), ("/api/entity?id=a&id=b", 400),
    ("/api/entity?id=" + urllib.parse.quote("x> } DROP ALL #"), 400),
    ("/api/entity?id=" + "x" * 2001, 400), ("/api/entity?id=model/nonesuch", 404),
    ("/api/paper?id=paper/nonesuch", 404), ("/api/around?id=model/x&radius=3", 400),
    ("/api/nothing", 404),
])
def test_bad_requests_are_answered_in_one_line(server, path, status):
    got, headers, body = get(server + path)
    assert got == status and set(json.loads(body)) == {"error"}
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_explorer_only_reads(server):
    assert get(server + "/api/entity?id=model/x", method="POST")[0] == 405
    assert get(server + "/api/entity?id=model/x", method="DELETE")[0] == 405
    count = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    before = get(f"{server}/sparql?{count}")[2]
    search = urllib.parse.quote('x")) } INSERT DATA { <a:b> <a:c> "d" } #')
    assert get(f"{server}/api/search?q={search}")[0] == 200  # text, not SPARQL
    assert get(f"{server}/sparql?{count}")[2] == before
