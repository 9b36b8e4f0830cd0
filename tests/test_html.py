"""The HTML explorer's pure parts: escaping, the top-N cut, neighbourhoods, `kg view`."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import networkx as nx
import pytest
from conftest import run_kg

from kg.export.html import (
    DEFAULT_MAX_NODES,
    _evidence,
    drawn_edges,
    drawn_nodes,
    find_entities,
    leaf_anchors,
    neighbourhood,
    page_data,
    paper_link,
    safe_url,
    script_json,
    to_html,
)
from kg.graph import build_graph, to_json
from kg.model import Entity, Mention, Paper

XSS = "<img src=x onerror=alert(1)>"


def mention(paper: Paper, text: str) -> Mention:
    """The first occurrence of `text` in the paper's abstract, as the extractor reports it."""
    start = paper.abstract.index(text)
    sentence = next(s for s in paper.abstract.split(". ") if text in s)
    return Mention(paper_id=paper.id, text=text, field="abstract", start=start,
                   end=start + len(text), sentence=sentence, type="", evidence="test",
                   votes=())


def small_graph() -> nx.MultiDiGraph:
    """Three papers around BERT, ImageNet, GLUE and ResNet, built by `build_graph`."""
    papers = [
        Paper("p1", XSS, "We fine-tune BERT on ImageNet. It works.", url="javascript:alert(1)",
              date="2024-01-01", authors=("A. Author",)),
        Paper("p2", "GLUE & more", "BERT does well on GLUE. Nothing else.",
              url="https://arxiv.org/abs/2401.00002", date="2024-01-01", authors=("A. Author",)),
        Paper("p3", "Residual nets", "ResNet on ImageNet. ResNet is deep.",
              url="https://example.org/p3", date="2024-01-01", authors=("A. Author",))]
    by_id = {p.id: p for p in papers}
    entities = [
        Entity(label.lower(), etype, label, aliases,
               [mention(by_id[pid], label) for pid in pids])
        for etype, label, aliases, pids in [
            ("Model", "BERT", ["BERT", "bert"], ["p1", "p2"]),
            ("Dataset", "ImageNet", ["ImageNet", "ImageNet-1k"], ["p1", "p3"]),
            ("Benchmark", "GLUE", ["GLUE"], ["p2"]),
            ("Model", "ResNet", ["ResNet", "ResNets"], ["p3"])]]
    return build_graph(papers, entities)


def script_blocks(html: str) -> dict[str, str]:
    """id (or "inline-N") -> the text of each <script> element of the page, in order."""
    blocks, at = {}, 0
    opening = re.compile(r'<script(?: type="application/json" id="([^"]+)")?>')
    while m := opening.search(html, at):
        at = html.index("</script>", m.end())
        blocks[m.group(1) or f"inline-{len(blocks)}"] = html[m.end():at]
    return blocks


def test_script_json_cannot_close_the_script_or_open_markup():
    value = {"t": "</script><script>alert(1)</script><!-- & \u2028 >"}
    text = script_json(value)
    assert not set("<>&") & set(text)
    assert "\u2028" not in text
    assert json.loads(text) == value


def test_input_strings_reach_the_page_only_as_escaped_json():
    html = to_html(small_graph())
    assert XSS not in html and "<img" not in html
    assert "javascript:" not in script_blocks(html)["kg-data"]  # the p1 url is no link
    data = json.loads(script_blocks(html)["kg-data"])
    assert data["papers"]["paper/p1"]["l"] == XSS
    assert data["papers"]["paper/p2"]["l"] == "GLUE & more"
    nodes = json.loads(script_blocks(html)["kg-nodes"])
    assert {n["id"]: n["title"] for n in nodes}["paper/p1"] == f"Paper: {XSS}"  # plain text


def test_page_loads_nothing_and_its_csp_allows_exactly_its_scripts():
    html = to_html(small_graph())
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b|\s(?:src|href)=", markup, re.I)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    inline = [s for k, s in script_blocks(html).items() if k.startswith("inline-")]
    assert len(inline) == 2  # vis-network, then the explorer
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "vis-network" in html and "Apache-2.0" in html  # the inlined library and licence


@pytest.mark.parametrize(("url", "expected"), [
    ("https://arxiv.org/abs/2401.00001", "https://arxiv.org/abs/2401.00001"),
    ("http://example.org/x", "http://example.org/x"),
    ("javascript:alert(1)", ""), ("JaVaScRiPt:alert(1)", ""), ("data:text/html,x", ""),
    ("//evil.example/x", ""), ("", ""),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_paper_link_falls_back_to_arxiv():
    assert paper_link({"url": "", "arxiv": "2401.00002"}) == "https://arxiv.org/abs/2401.00002"
    assert paper_link({"url": "javascript:x", "arxiv": ""}) == ""
    assert paper_link({"url": "https://a.org/p", "arxiv": "2401.00002"}) == "https://a.org/p"


def test_small_graph_is_drawn_whole_without_co_occurrence_lines():
    g = small_graph()
    drawn, note = drawn_nodes(g)
    assert sorted(drawn) == sorted(g.nodes) and note == ""
    lines = drawn_edges(g, drawn)
    assert {rel for *_, rel, _ in lines} == {"mentions"}
    assert len(lines) == sum(1 for *_, r in g.edges(data="relation") if r != "co_occurs")


def test_big_graph_is_cut_to_the_top_entities_and_says_so():
    g = small_graph()
    drawn, note = drawn_nodes(g, max_nodes=2)
    assert drawn == ["model/bert", "dataset/imagenet"]  # 2 papers each, then by label
    assert "showing the 2 of 4 entities" in note and "3 papers" in note
    assert "kg view" in note
    lines = drawn_edges(g, drawn)
    assert lines == [("dataset/imagenet", "model/bert", "co_occurs", 1)]
    kept, _ = drawn_nodes(g, max_nodes=2, keep="benchmark/glue")
    assert "benchmark/glue" in kept and len(kept) == 2
    html = to_html(g, max_nodes=2)
    assert len(json.loads(script_blocks(html)["kg-nodes"])) == 2
    data = json.loads(script_blocks(html)["kg-data"])
    assert data["note"] == note and len(data["papers"]) == 3  # all papers stay in the panel


def test_the_page_is_cut_by_default_only_past_its_node_limit():
    g = nx.MultiDiGraph()
    for i in range(DEFAULT_MAX_NODES):
        g.add_node(f"method/m{i:05d}", kind="entity", type="Method", label=f"m{i}", aliases=[],
                   papers=i % 7)
    assert drawn_nodes(g) == (list(g.nodes), "")
    g.add_node("paper/p", kind="paper", label="P", abstract="a")
    drawn, note = drawn_nodes(g)
    assert len(drawn) == DEFAULT_MAX_NODES and "paper/p" not in drawn
    assert f"showing the {DEFAULT_MAX_NODES:,} of {DEFAULT_MAX_NODES:,} entities" in note
    assert json.loads(script_blocks(to_html(g))["kg-data"])["note"] == note


def test_neighbourhood_by_shared_paper_steps():
    g = small_graph()
    assert set(neighbourhood(g, "model/bert", 0)) == {"model/bert"}
    assert set(neighbourhood(g, "model/bert", 1)) == {
        "model/bert", "paper/p1", "paper/p2", "dataset/imagenet", "benchmark/glue"}
    assert set(neighbourhood(g, "model/bert", 2)) == set(g.nodes)
    sub = neighbourhood(g, "model/bert", 1)
    assert sub.has_edge("dataset/imagenet", "model/bert", "co_occurs")
    assert set(neighbourhood(g, "paper/p3", 0)) == {"paper/p3", "model/resnet",
                                                    "dataset/imagenet"}
    with pytest.raises(KeyError):
        neighbourhood(g, "model/nope")


def test_find_entities_by_label_or_alias_any_case():
    g = small_graph()
    assert find_entities(g, "bert") == ["model/bert"]
    assert find_entities(g, " imagenet-1K ") == ["dataset/imagenet"]
    assert find_entities(g, "resnets") == ["model/resnet"]
    assert find_entities(g, "nothing") == []
    g.add_node("method/bert", kind="entity", type="Method", label="Bert-style", aliases=["BERT"],
               papers=9)
    assert find_entities(g, "BERT") == ["model/bert", "method/bert"]  # label match first


def test_evidence_as_offsets_or_fallback():
    text = "A b. We use X here. We use X here. End."
    second = text.rindex("X")
    ev = {"field": "abstract", "start": second, "end": second + 1, "text": "X",
          "sentence": "We use X here."}
    field, start, end, s0, s1 = _evidence(text, ev)
    assert text[s0:s1] == "We use X here." and s0 <= start < end <= s1
    assert s0 == text.rindex("We use")  # the sentence that holds this mention
    assert _evidence(text, {**ev, "start": 0, "end": 1}) == ["abstract", "We use X here.", "X"]
    assert _evidence(text, {**ev, "sentence": "Not in the text."}) == [
        "abstract", "Not in the text.", "X"]


def test_page_data_links_carry_the_evidence():
    g = small_graph()
    data = page_data(g, list(g.nodes))
    assert data["entities"]["model/bert"] == {"l": "BERT", "t": "Model", "a": ["bert"], "n": 2}
    links = {(p, e): (rel, evs) for p, e, rel, evs in data["links"]}
    rel, [ev] = links["paper/p1", "dataset/imagenet"]
    abstract = data["papers"]["paper/p1"]["a"]
    assert rel == "mentions" and abstract[ev[1]:ev[2]] == "ImageNet"
    assert abstract[ev[3]:ev[4]] == "We fine-tune BERT on ImageNet"
    assert data["papers"]["paper/p1"]["u"] == ""
    assert data["papers"]["paper/p2"]["u"] == "https://arxiv.org/abs/2401.00002"


def test_leaves_hang_from_their_only_neighbour():
    lines = [("p1", "a"), ("p1", "b"), ("p2", "b"), ("p2", "c"), ("p3", "d")]
    anchors = leaf_anchors(["p1", "p2", "p3", "a", "b", "c", "d", "e"], lines)
    assert anchors == {"a": "p1", "c": "p2", "p3": "d"}  # p3-d: the larger id hangs


@pytest.fixture
def graph_json(tmp_path):
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(to_json(small_graph())), encoding="utf-8")
    return path


def test_kg_view_writes_the_neighbourhood_page(graph_json, tmp_path):
    out = tmp_path / "bert.html"
    result = run_kg("view", "bert", "--graph", graph_json, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 papers" in result.output and str(out) in result.output
    blocks = script_blocks(out.read_text(encoding="utf-8"))
    data = json.loads(blocks["kg-data"])
    assert data["focus"] == "model/bert" and "radius 1" in data["title"]
    assert {n["id"] for n in json.loads(blocks["kg-nodes"])} == {
        "model/bert", "paper/p1", "paper/p2", "dataset/imagenet", "benchmark/glue"}
    result = run_kg("view", "ImageNet-1k", "--graph", graph_json, "-o", out, "--radius", "2")
    assert result.exit_code == 0, result.output
    assert len(json.loads(script_blocks(out.read_text(encoding="utf-8"))["kg-nodes"])) == 7


@pytest.mark.parametrize(("args", "message"), [
    (["view", "nonesuch"], "no entity named 'nonesuch'"),
    (["view", "bertt"], "did you mean: bert"),
    (["view", "bert", "--radius", "-1"], "-1 is not in the range"),
])
def test_kg_view_errors_are_one_line(graph_json, args, message):
    result = run_kg(*args, "--graph", graph_json)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_kg_view_reports_a_missing_or_bad_graph(tmp_path):
    result = run_kg("view", "bert", "--graph", tmp_path / "missing.json")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].endswith("missing.json: no such file "
                                                           "(make it with: kg build)")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    result = run_kg("view", "bert", "--graph", bad)
    assert result.exit_code == 1 and "not a graph.json" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda d: d["nodes"][0].pop("id"), "node 0 has no id"),
    (lambda d: next(n for n in d["nodes"] if n["kind"] == "entity").pop("label"),
     "has no label"),
    (lambda d: d["nodes"][0].pop("kind"), "node 'paper/p1' has no kind"),
    (lambda d: next(n for n in d["nodes"] if n["kind"] == "entity").update(aliases="x"),
     "has no type or no aliases"),
    (lambda d: d["edges"][0].update(target="nowhere"), "edge 0 does not join two of its nodes"),
    (lambda d: d["edges"][0].pop("relation"), "edge 0 has no relation"),
    (lambda d: d.pop("edges"), "no 'nodes' and 'edges' lists"),
])
def test_kg_view_says_what_is_wrong_with_a_graph_json(graph_json, edit, problem):
    data = json.loads(graph_json.read_text(encoding="utf-8"))
    edit(data)
    graph_json.write_text(json.dumps(data), encoding="utf-8")
    result = run_kg("view", "bert", "--graph", graph_json)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output == f"Error: {graph_json}: not a graph.json written by kg build " \
                            f"({result.output.split('(', 1)[1]}"
    assert problem in result.output and len(result.output.splitlines()) == 1


def test_kg_view_does_not_disguise_a_bug(graph_json, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(nx, "node_link_graph", broken)
    result = run_kg("view", "bert", "--graph", graph_json)
    assert isinstance(result.exception, KeyError)
