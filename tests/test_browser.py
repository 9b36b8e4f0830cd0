"""graph.html in a real browser: Debian's Chromium driven by Playwright, opened from file://.

Every request that is not for a file:// URL is blocked and fails the test, as does any console
error, uncaught exception or dialog. Without Chromium (or Playwright) the tests are skipped on
a developer's machine and fail in CI (CI is set), which installs Chromium in .ci/run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pytest
from conftest import ROOT, run_kg

from kg.export.html import find_entities
from kg.model import PAPER_KINDS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def browser():
    problem = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[test]')"
    if not problem and not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}: CI must run the browser tests", pytrace=False)
        pytest.skip(problem)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.requests == [], "the page made network requests"
        assert self.errors == [], "console errors or uncaught exceptions"
        assert self.dialogs == [], "the page opened dialogs"

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def node_point(self, node: str) -> tuple[float, float]:
        """Where `node` is drawn, in page coordinates, once the view has stopped moving."""
        self.page.wait_for_function("() => !kgView.moving")
        return tuple(self.js("""(id) => {
            const p = network.canvasToDOM(network.getPositions([id])[id]);
            const box = document.getElementById("network").getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""", node))


@pytest.fixture
def visit(browser):
    """visit(path) -> a `Visit` of the page at `path`, once its layout has settled."""
    contexts = []

    def open_page(path: Path) -> Visit:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        v = Visit(page)
        page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.errors.append(str(e)))
        page.on("dialog", lambda d: (v.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:"))
                else v.requests.append(r.url))

        def route(r):
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                v.requests.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page.goto(path.as_uri())
        page.wait_for_function("() => window.kgView && window.kgView.ready", timeout=30_000)
        return v

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def seed_graph_json(seed_outputs) -> nx.MultiDiGraph:
    """The papers and entities of the seeds' graph.json: what the page draws (results are
    listed in panels, not drawn)."""
    data = json.loads((seed_outputs / "graph.json").read_text(encoding="utf-8"))
    g = nx.node_link_graph(data, edges="edges")
    return g.subgraph(n for n, k in g.nodes(data="kind") if k in ("paper", "entity")).copy()


def visible(v: Visit) -> set[str]:
    """The nodes vis-network draws now (not hidden by a filter)."""
    return set(v.js("network.body.nodeIndices"))


def test_seed_page_draws_every_node_offline(seed_outputs, seed_graph_json, visit):
    v = visit(seed_outputs / "graph.html")
    n = seed_graph_json.number_of_nodes()
    assert v.js("network.body.data.nodes.length") == n
    assert visible(v) == set(seed_graph_json.nodes)
    assert v.js("network.physics.options.enabled") is False  # settled, then stopped
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "graph.png"))
    v.assert_clean()


def test_find_clip_then_follow_it_to_papers_and_back(seed_outputs, seed_graph_json, visit):
    g = seed_graph_json
    clip = find_entities(g, "CLIP")[0]
    papers = {g.nodes[p]["label"] for p, _, rel in g.in_edges(clip, data="relation")
              if rel in PAPER_KINDS}
    v = visit(seed_outputs / "graph.html")
    v.page.locator("#search").press_sequentially("CLIP", delay=20)
    v.page.wait_for_function("(id) => kgView.focused === id", arg=clip)
    assert v.js("network.getSelectedNodes()") == [clip]
    x, y = v.node_point(clip)  # focused: in the middle of the canvas
    box = v.page.locator("#network").bounding_box()
    assert abs(x - box["x"] - box["width"] / 2) < 2 and abs(y - box["y"] - box["height"] / 2) < 2
    v.page.mouse.click(x, y)
    panel = v.page.locator("#panel")
    panel.wait_for(state="visible")
    assert panel.get_attribute("data-node") == clip
    assert panel.locator("h2 .label").text_content() == g.nodes[clip]["label"]
    titles = panel.locator("ol.papers > li a.open").all_text_contents()
    assert sorted(titles) == sorted(papers)
    marks = {m.casefold() for m in panel.locator("ul.evidence mark").all_text_contents()}
    assert "clip" in marks
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "graph-clip.png"))

    # a paper: its abstract, with its entities marked and clickable
    panel.locator("ol.papers > li a.open").first.click()
    v.page.wait_for_function("() => kgView.panelNode.startsWith('paper/')")
    marks = panel.locator(".abstract mark.entity")
    assert marks.count() >= 1
    target = marks.first.get_attribute("data-entity")
    marks.first.click()
    assert panel.get_attribute("data-node") == target
    panel.locator("#panel-back").click()
    assert panel.get_attribute("data-node").startswith("paper/")
    v.assert_clean()


def test_filters_hide_types_long_tails_and_papers(seed_outputs, seed_graph_json, visit):
    g = seed_graph_json
    kind = dict(g.nodes(data="kind"))
    of_type = {n for n, t in g.nodes(data="type") if t == "Method"}
    v = visit(seed_outputs / "graph.html")

    v.page.locator('input[data-type="Method"]').uncheck()
    shown = visible(v)
    assert of_type and not of_type & shown
    assert {n for n in g if kind[n] == "entity"} - of_type <= shown
    v.page.locator('input[data-type="Method"]').check()
    assert visible(v) == set(g.nodes)

    v.page.locator("#min-papers").fill("3")
    shown = visible(v)
    entities = {n for n in g if kind[n] == "entity"}
    assert shown & entities == {n for n in entities if g.nodes[n]["papers"] >= 3}
    v.page.locator("#min-papers").fill("1")

    v.page.locator("#show-papers").uncheck()
    assert visible(v) == entities
    v.page.locator("#show-papers").check()
    assert visible(v) == set(g.nodes)
    v.assert_clean()


def test_a_hostile_title_shows_as_text(tmp_path, visit):
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({
        "id": "2401.99999", "title": XSS, "url": "javascript:alert(2)",
        "abstract": "We fine-tune BERT on ImageNet. The results <b>improve</b> & hold."}) + "\n",
        encoding="utf-8")
    result = run_kg("build", papers, "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "graph.html").read_text(encoding="utf-8")
    assert XSS not in html
    v = visit(tmp_path / "out" / "graph.html")

    v.page.locator("#search").press_sequentially("<img src", delay=10)
    suggestion = v.page.locator("#suggestions li").first
    assert XSS in suggestion.text_content()
    suggestion.click()
    panel = v.page.locator("#panel")
    assert panel.locator("h2 .label").text_content() == XSS
    assert "<b>improve</b>" in panel.locator(".abstract").text_content()
    assert panel.locator("a.ext").count() == 0  # a javascript: url is no link

    paper = v.js("kgView.panelNode")
    v.page.mouse.move(*v.node_point(paper))
    tooltip = v.page.locator("div.vis-tooltip")
    tooltip.wait_for(state="visible")
    assert XSS in tooltip.text_content()
    assert tooltip.locator("*").count() == 0  # text, no elements
    assert v.js("document.querySelectorAll('img, b').length") == 0
    v.assert_clean()


def test_a_big_graph_page_draws_the_top_entities_and_says_so(seed_graph_json, tmp_path,
                                                              visit):
    from kg.export.html import to_html

    g = seed_graph_json
    page = tmp_path / "cut.html"
    page.write_text(to_html(g, max_nodes=60), encoding="utf-8")
    v = visit(page)
    assert v.js("network.body.data.nodes.length") == 60
    assert "showing the 60 of" in v.page.locator("#note").text_content()
    assert v.page.locator("#show-papers").is_disabled()
    top = v.js("kgView.nodes.getIds()")[0]
    v.js("(id) => kgView.open(id)", top)
    listed = v.page.locator("#panel ol.papers > li").count()
    assert listed == min(60, g.nodes[top]["papers"])  # papers are listed, though not drawn
    v.assert_clean()


def test_a_kg_view_page_opens_on_its_entity(seed_outputs, seed_graph_json, tmp_path, visit):
    clip = find_entities(seed_graph_json, "CLIP")[0]
    result = run_kg("view", "clip", "--graph", seed_outputs / "graph.json",
                    "-o", tmp_path / "clip.html")
    assert result.exit_code == 0, result.output
    v = visit(tmp_path / "clip.html")
    assert v.page.locator("#panel").get_attribute("data-node") == clip
    assert v.js("network.getSelectedNodes()") == [clip]
    assert "neighbourhood" in v.page.title()
    v.assert_clean()
