"""The HTML explorer's pure parts: escaping, the page's data (ranks, links, evidence, relations,
dates, the size budget), neighbourhoods, `kg view`."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys

import networkx as nx
import pytest
from conftest import ROOT, run_kg

from kg.export.html import (
    DEFAULT_MAX_NODES,
    _evidence,
    find_entities,
    month,
    neighbourhood,
    page_data,
    paper_link,
    safe_url,
    script_json,
    to_html,
)
from kg.graph import build_graph, to_json
from kg.model import RELATION_KINDS, Entity, Mention, Paper

sys.path.insert(0, str(ROOT / "benchmarks"))

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
    papers = {p[0]: p for p in data["P"]}
    assert papers["paper/p1"][1] == XSS
    assert papers["paper/p2"][1] == "GLUE & more"


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
    assert "{{" not in markup  # every placeholder filled


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


def test_entities_are_ranked_and_the_drawable_ones_come_first():
    g = small_graph()
    data = page_data(g)
    assert [e[0] for e in data["E"]] == ["model/bert", "dataset/imagenet", "benchmark/glue",
                                         "model/resnet"]  # 2 papers each, then by label
    assert data["drawable"] == 4 and data["note"] == ""
    types = [t for t, _, _ in data["types"]]
    assert data["E"][0][1:] == ["BERT", types.index("Model"), 2, ["bert"]]
    cut = page_data(g, max_nodes=2)
    assert cut["drawable"] == 2 and "can draw the 2 entities" in cut["note"]
    assert len(cut["E"]) == 4 and len(cut["P"]) == 3  # every entity and paper still listed
    kept = page_data(g, max_nodes=2, focus="benchmark/glue")
    assert "benchmark/glue" in [e[0] for e in kept["E"][:2]]


def test_the_canvas_draws_at_most_its_node_limit_of_entities():
    g = nx.MultiDiGraph()
    for i in range(DEFAULT_MAX_NODES):
        g.add_node(f"method/m{i:05d}", kind="entity", type="Method", label=f"m{i}", aliases=[],
                   papers=i % 7)
    g.add_node("paper/p", kind="paper", label="P", abstract="a")  # papers are folded
    data = page_data(g)
    assert data["drawable"] == DEFAULT_MAX_NODES and data["note"] == ""
    g.add_node("method/one-more", kind="entity", type="Method", label="z", aliases=[], papers=0)
    data = page_data(g)
    assert data["drawable"] == DEFAULT_MAX_NODES and "method/one-more" not in [
        e[0] for e in data["E"][:DEFAULT_MAX_NODES]]
    assert (f"can draw the {DEFAULT_MAX_NODES:,} entities seen in the most papers (each in at "
            f"least 0) of {DEFAULT_MAX_NODES + 1:,}") in data["note"]
    assert json.loads(script_blocks(to_html(g))["kg-data"])["note"] == data["note"]


def test_links_carry_the_evidence_as_offsets():
    g = small_graph()
    data = page_data(g)
    e_index = {e[0]: i for i, e in enumerate(data["E"])}
    papers = {p[0]: i for i, p in enumerate(data["P"])}
    p1 = papers["paper/p1"]
    row = data["L"][p1]
    k = row.index(e_index["dataset/imagenet"])
    [ev] = data["V"][p1][k]
    abstract = data["P"][p1][5]
    assert ev[0] == 1 and abstract[ev[1]:ev[2]] == "ImageNet"
    assert abstract[ev[3]:ev[4]] == "We fine-tune BERT on ImageNet"
    assert data["P"][p1][2] == ""
    assert data["P"][papers["paper/p2"]][2] == "https://arxiv.org/abs/2401.00002"


def test_introduces_links_are_complemented():
    g = small_graph()
    g.edges["paper/p3", "model/resnet", "mentions"]["relation"] = "introduces"
    data = page_data(g)
    resnet = [e[0] for e in data["E"]].index("model/resnet")
    p3 = [p[0] for p in data["P"]].index("paper/p3")
    assert ~resnet in data["L"][p3]


def test_relations_and_kinds_come_from_the_table():
    g = small_graph()
    g.add_edge("model/bert", "dataset/imagenet", key="trained_on", relation="trained_on",
               statements=[{"paper": "paper/p1", "sentence": "We fine-tune BERT on ImageNet",
                            "rule": "train-on"},
                           {"paper": "paper/p2", "sentence": "Not in the text.", "rule": "x"}])
    data = page_data(g)
    assert [k[0] for k in data["kinds"]] == [k.name for k in RELATION_KINDS]
    trained = next(k for k in data["kinds"] if k[0] == "trained_on")
    assert trained[2:4] == ["trained on", "trains"] and trained[4]["color"]
    [(h, k, t, statements)] = data["R"]
    assert data["E"][h][0] == "model/bert" and data["E"][t][0] == "dataset/imagenet"
    assert data["kinds"][k][0] == "trained_on"
    papers = [p[0] for p in data["P"]]
    (p1, at, rule), (p2, text, _) = statements
    assert papers[p1] == "paper/p1" and rule == "train-on"
    assert data["P"][p1][5][at[1]:at[2]] == "We fine-tune BERT on ImageNet" and at[0] == 1
    assert papers[p2] == "paper/p2" and text == "Not in the text."


def test_results_carry_their_roles_and_the_sentence_with_the_value():
    g = small_graph()
    abstract = g.nodes["paper/p1"]["abstract"]
    g.add_node("result/p1/abstract-3", kind="result", value="fine", number=1.0, unit="",
               result_kind="score", paper="paper/p1", sentence="We fine-tune BERT on ImageNet",
               field="abstract", start=3, end=7, rule="test")
    g.add_edge("result/p1/abstract-3", "model/bert", key="system", relation="system")
    g.add_edge("result/p1/abstract-3", "dataset/imagenet", key="dataset", relation="dataset")
    data = page_data(g)
    names = [e[0] for e in data["E"]]
    kinds = [k[0] for k in data["kinds"]]
    [(p, value, kind, roles, ev)] = data["X"]
    assert data["P"][p][0] == "paper/p1" and (value, kind) == ("fine", "score")
    assert {(kinds[k], names[e]) for k, e in roles} == {("system", "model/bert"),
                                                        ("dataset", "dataset/imagenet")}
    assert abstract[ev[1]:ev[2]] == "fine" and abstract[ev[3]:ev[4]].startswith("We fine-tune")
    assert "result/p1/abstract-3" not in names  # a result is no entity to draw
    lean = page_data(g, budget=len(script_json(data).encode()) - 1)
    assert lean["level"] == "lean" and lean["X"][0][:4] == data["X"][0][:4]
    assert lean["X"][0][4] is None  # a lean page keeps the number, not its sentence


def test_dates_give_the_months_and_each_drawable_entity_its_papers_by_month():
    assert month("2024-05-01") == 2024 * 12 + 4
    assert month("2024-05") == month("2024-05-31")
    assert month("2024") == 2024 * 12
    assert month("") is None and month("May 2024") is None and month("2024-13") is None
    g = small_graph()
    g.nodes["paper/p3"]["date"] = "2023-02-10"
    data = page_data(g)
    assert data["months"] == [2023 * 12 + 1, 2024 * 12]
    imagenet = [e[0] for e in data["E"]].index("dataset/imagenet")
    assert data["H"][imagenet] == [[2023 * 12 + 1, 1], [2024 * 12, 1]]


def test_co_occurrences_keep_each_drawable_entitys_strongest():
    g = small_graph()
    data = page_data(g)
    names = [e[0] for e in data["E"]]
    assert all(a < b for a, b, _ in data["C"])
    assert {(frozenset((names[a], names[b])), w) for a, b, w in data["C"]} == {
        (frozenset(("dataset/imagenet", "model/bert")), 1),
        (frozenset(("dataset/imagenet", "model/resnet")), 1),
        (frozenset(("model/bert", "benchmark/glue")), 1)}


def test_a_big_graph_leaves_out_abstracts_and_evidence_then_papers_to_stay_small():
    from synthetic import synthetic_graph

    g = synthetic_graph(300, 600)
    full = page_data(g)
    size = len(script_json(full).encode())
    lean = page_data(g, budget=size - 1)
    assert lean["level"] == "lean" and lean["V"] is None
    assert all(p[5] is None and len(p[4]) <= 3 for p in lean["P"])
    assert all(s[1] is None for r in lean["R"] for s in r[3])
    assert "leaves out abstracts and evidence" in lean["missing"]
    assert lean["L"] == full["L"] and lean["E"] == full["E"]  # neighbours stay exact
    budget = len(script_json(lean).encode()) // 2
    cut = page_data(g, budget=budget)
    assert cut["level"] == "cut" and len(script_json(cut).encode()) <= budget
    assert 0 < len(cut["P"]) < len(full["P"]) and "It lists" in cut["missing"]
    assert cut["E"][:cut["drawable"]] == full["E"][:full["drawable"]]
    names = [e[0] for e in cut["E"]]
    for p, row in zip(cut["P"], cut["L"], strict=True):  # links renumbered, still true
        assert {names[e if e >= 0 else ~e] for e in row} <= {
            v for _, v, k in g.out_edges(p[0], keys=True)}


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
    assert field == 1 and text[s0:s1] == "We use X here." and s0 <= start < end <= s1
    assert s0 == text.rindex("We use")  # the sentence that holds this mention
    assert _evidence(text, {**ev, "start": 0, "end": 1}) == [1, "We use X here.", "X"]
    assert _evidence(text, {**ev, "sentence": "Not in the text."}) == [
        1, "Not in the text.", "X"]


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
    assert data["radius"] == 1
    assert {e[0] for e in data["E"]} | {p[0] for p in data["P"]} == {
        "model/bert", "paper/p1", "paper/p2", "dataset/imagenet", "benchmark/glue"}
    result = run_kg("view", "ImageNet-1k", "--graph", graph_json, "-o", out, "--radius", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(script_blocks(out.read_text(encoding="utf-8"))["kg-data"])
    assert len(data["E"]) + len(data["P"]) == 7 and data["radius"] == 2


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
