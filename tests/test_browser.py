"""graph.html in a real browser: Debian's Chromium driven by Playwright, opened from file://.

Every request that is not for a file:// (or blob:) URL is blocked and fails the test, as does
any console error, uncaught exception or dialog. Without Chromium (or Playwright) the tests
are skipped on a developer's machine and fail in CI (CI is set), which installs Chromium in
.ci/run. What the page shows is checked against the graph (graph.json), not against itself.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pytest
from conftest import ROOT, run_kg

from kg.export.html import find_entities, neighbourhood, to_html
from kg.graph import relation_edges
from kg.model import PAPER_KINDS, RELATIONS

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import synthetic_graph, write_triples  # noqa: E402
from test_serve import serving  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"
XSS = "<img src=x onerror=alert(1)>"
LOCAL = ("file:", "data:", "blob:")


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

    def relaid(self, action) -> None:
        """Do `action` (a filter change) and wait until what remains is laid out again."""
        before = self.js("kgView.layouts")
        action()
        self.page.wait_for_function("(n) => kgView.layouts > n && kgView.ready", arg=before)

    def open(self, node: str) -> None:
        """Open the panel of `node` as a click on it would, and wait for its record."""
        self.js("(id) => { kgView.open(id); kgView.focus(id); }", node)
        self.page.wait_for_function("(id) => { const p = document.getElementById('panel');"
                                    " return p.dataset.node === id && p.dataset.loaded === 'true'"
                                    " && !kgView.moving; }", arg=node)

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
    """visit(path_or_url, allowed=LOCAL) -> a `Visit` of the page once its first view is laid
    out; requests to URLs outside `allowed` are blocked and recorded."""
    contexts = []

    def open_page(target, allowed: tuple[str, ...] = LOCAL, **context_options) -> Visit:
        context = browser.new_context(viewport={"width": 1400, "height": 900},
                                      accept_downloads=True, **context_options)
        contexts.append(context)
        page = context.new_page()
        v = Visit(page)
        page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.errors.append(str(e)))
        page.on("dialog", lambda d: (v.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(allowed)
                else v.requests.append(r.url))

        def route(r):
            if r.request.url.startswith(allowed):
                r.continue_()
            else:
                v.requests.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page.goto(target.as_uri() if isinstance(target, Path) else target)
        page.wait_for_function("() => window.kgView && window.kgView.ready", timeout=60_000)
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


def drawn(v: Visit) -> set[str]:
    """The nodes vis-network draws now."""
    return set(v.js("network.body.nodeIndices"))


def entities(g: nx.MultiDiGraph) -> set[str]:
    return {n for n, k in g.nodes(data="kind") if k == "entity"}


def papers_of(g: nx.MultiDiGraph, entity: str) -> set[str]:
    return {p for p, _, k in g.in_edges(entity, keys=True) if k in PAPER_KINDS}


def shared_counts(g: nx.MultiDiGraph, entity: str) -> Counter:
    """Other entity -> number of papers that mention both."""
    counts: Counter = Counter()
    for p in papers_of(g, entity):
        counts.update(e for _, e, k in g.out_edges(p, keys=True)
                      if k in PAPER_KINDS and e != entity)
    return counts


LABEL_BOXES = """(n) => {
    network.redraw();
    const scale = network.getScale();
    const frame = document.getElementById("network").getBoundingClientRect();
    return kgView.nodes.get().filter((x) => x.kind === "entity")
      .sort((a, b) => a.rank - b.rank).slice(0, n).map((x) => {
        const node = network.body.nodes[x.id];
        const box = node.labelModule.size;
        const topLeft = network.canvasToDOM({x: box.left, y: box.top});
        const bottomRight = network.canvasToDOM({x: box.left + box.width, y: box.top + box.height});
        return {id: x.id, text: node.options.label, px: node.options.font.size * scale,
                left: frame.left + topLeft.x, top: frame.top + topLeft.y,
                right: frame.left + bottomRight.x, bottom: frame.top + bottomRight.y};
      });
}"""


def test_first_view_reads(seed_outputs, seed_graph_json, visit):
    """Entities in 2+ papers, papers folded, a summary; the top 30 labels legible, inside the
    canvas and not overlapping; the layout stopped."""
    g = seed_graph_json
    connected = {n for n in entities(g) if g.nodes[n]["papers"] >= 2}
    v = visit(seed_outputs / "graph.html")
    assert 10 <= len(connected) <= 150
    assert drawn(v) == connected  # papers folded into their entities
    assert v.js("network.physics.options.enabled") is False  # settled, then stopped
    summary = v.page.locator("#summary").text_content()
    assert f"Showing {len(connected)} entities of {len(entities(g))}" in summary
    assert "seen in 2+ papers" in summary and "papers folded" in summary
    assert f"{len(entities(g)) - len(connected)} entities hidden" in summary

    boxes = v.js(LABEL_BOXES, 30)
    frame = v.page.locator("#network").bounding_box()
    assert len(boxes) == 30
    for b in boxes:
        assert b["text"], f"{b['id']}: no label"
        assert b["px"] >= 11, f"{b['id']}: label {b['px']:.1f} px high"
        assert frame["x"] <= b["left"] and b["right"] <= frame["x"] + frame["width"]
        assert frame["y"] <= b["top"] and b["bottom"] <= frame["y"] + frame["height"]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = (a["right"] <= b["left"] or b["right"] <= a["left"]
                     or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])
            assert apart, f"labels of {a['id']} and {b['id']} overlap"
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "graph.png"))
    v.assert_clean()


def test_entity_panel_lists_neighbours_and_relations_as_the_graph_has_them(
        seed_outputs, seed_graph_json, visit):
    g = seed_graph_json
    gsm8k = find_entities(g, "GSM8K")[0]
    v = visit(seed_outputs / "graph.html")
    v.page.locator("#search").press_sequentially("GSM8K", delay=20)
    v.page.keyboard.press("Enter")
    panel = v.page.locator("#panel")
    v.page.wait_for_function("() => document.getElementById('panel').dataset.loaded === 'true'")
    assert panel.get_attribute("data-node") == gsm8k

    # the focused node is in the middle of the canvas, which the panel does not cover
    x, y = v.node_point(gsm8k)
    canvas = v.page.locator("#network").bounding_box()
    side = panel.bounding_box()
    assert abs(x - canvas["x"] - canvas["width"] / 2) < 3
    assert abs(y - canvas["y"] - canvas["height"] / 2) < 3
    assert x < side["x"] and canvas["x"] + canvas["width"] <= side["x"] + 1

    # neighbours by type, with the number of shared papers, as in the graph
    more = panel.locator(".neighbours button.more")
    for _ in range(more.count()):
        more.first.click()
    listed = {li.get_attribute("data-entity"): int(li.get_attribute("data-n"))
              for li in panel.locator(".neighbours li[data-entity]").all()}
    assert listed == dict(shared_counts(g, gsm8k))
    for group in panel.locator(".neighbours .type-group").all():
        t = group.get_attribute("data-type")
        assert all(g.nodes[e.get_attribute("data-entity")]["type"] == t
                   for e in group.locator("li[data-entity]").all())

    # typed relations under the table's label (outgoing) or inverse (incoming)
    expected = {}
    for h, t, kind, _ in relation_edges(g, gsm8k):
        name = RELATIONS[kind].label if h == gsm8k else RELATIONS[kind].inverse
        expected.setdefault(name, set()).add(t if h == gsm8k else h)
    got = {grp.get_attribute("data-relation"): {li.get_attribute("data-entity") for li in
                                                 grp.locator("li[data-entity]").all()}
           for grp in panel.locator(".relations .rel-group").all()}
    assert got == expected and expected
    sentences = panel.locator(".relations ul.evidence li").all_text_contents()
    assert any("GSM8K" in s for s in sentences)

    # the papers behind a neighbour, and a click that goes on to it
    first = panel.locator(".neighbours li[data-entity]").first
    other = first.get_attribute("data-entity")
    first.locator("button.count").click()
    first.locator("ul.shared li[data-paper]").first.wait_for()
    behind = {li.get_attribute("data-paper") for li in first.locator("ul.shared li").all()}
    assert behind == papers_of(g, gsm8k) & papers_of(g, other)
    first.locator("button.entity").first.click()
    v.page.wait_for_function("(id) => document.getElementById('panel').dataset.node === id"
                             " && document.getElementById('panel').dataset.loaded === 'true'",
                             arg=other)
    ARTIFACTS.mkdir(exist_ok=True)
    v.open(gsm8k)
    v.relaid(lambda: v.page.locator('input[name=radius][value="1"]').check())
    assert v.js("(id) => network.body.nodes[id].options.label", gsm8k) == "GSM8K"
    v.page.screenshot(path=str(ARTIFACTS / "graph-neighbours.png"))
    v.assert_clean()


def test_results_are_listed_with_their_roles(seed_outputs, visit):
    """The numbers papers report, in the panel of an entity they belong to and of their paper,
    as graph.json has them."""
    data = json.loads((seed_outputs / "graph.json").read_text(encoding="utf-8"))
    g = nx.node_link_graph(data, edges="edges")
    results = {n: (d, {k: v for _, v, k in g.out_edges(n, keys=True)})
               for n, d in g.nodes(data=True) if d["kind"] == "result"}
    counted = Counter(e for _, roles in results.values() for e in set(roles.values()))
    entity = counted.most_common(1)[0][0]
    v = visit(seed_outputs / "graph.html")
    v.open(entity)
    items = v.page.locator("#panel .results ul.items > li").all()
    expected = sorted((d["value"], d["paper"], tuple(sorted(roles.items())))
                      for d, roles in results.values() if entity in roles.values())
    got = sorted((li.get_attribute("data-value"), li.get_attribute("data-paper"), tuple(sorted(
        (role.get_attribute("data-role"), button.get_attribute("data-entity"))
        for role in li.locator(".role").all() for button in role.locator("button").all())))
        for li in items)
    assert got == expected and len(got) == counted[entity]
    marks = v.page.locator("#panel .results ul.evidence mark").all_text_contents()
    assert sorted(marks) == sorted(value for value, _, _ in expected)
    paper = expected[0][1]
    v.open(paper)
    values = v.page.locator("#panel .results ul.items > li").evaluate_all(
        "(items) => items.map((li) => li.dataset.value)")
    assert sorted(values) == sorted(d["value"] for d, _ in results.values()
                                    if d["paper"] == paper)
    v.assert_clean()


def test_lists_are_saved_as_csv_and_copied(seed_outputs, seed_graph_json, visit):
    g = seed_graph_json
    llm = find_entities(g, "large language models")[0]
    v = visit(seed_outputs / "graph.html", permissions=["clipboard-read", "clipboard-write"])
    v.open(llm)
    section = v.page.locator("#panel .neighbours")
    with v.page.expect_download() as info:
        section.locator("button[data-action=csv]").click()
    download = info.value
    assert download.suggested_filename == "large-language-models-neighbours.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["type", "entity", "papers together", "papers of the entity"]
    counts = shared_counts(g, llm)
    shown = v.js("(labels) => labels.map((l) => kgView.tex(l))",  # the CSV has what is shown
                 [g.nodes[e]["label"] for e in counts])
    by_label = {(g.nodes[e]["type"], label): n for (e, n), label in zip(counts.items(), shown,
                                                                      strict=True)}
    assert {(t, label): int(n) for t, label, n, _ in rows[1:]} == by_label
    assert len(rows) - 1 == len(counts)

    section.locator("button[data-action=copy]").click()
    copied = v.js("navigator.clipboard.readText()")
    assert copied.splitlines()[0] == "type\tentity\tpapers together\tpapers of the entity"
    assert len(copied.splitlines()) == len(rows)
    v.assert_clean()


def test_tex_is_shown_as_text(seed_outputs, seed_graph_json, visit):
    v = visit(seed_outputs / "graph.html")
    cases = {
        "improves accuracy by 3.2\\%": "improves accuracy by 3.2%",
        "$\\mathcal{B}$-Coder": "B-Coder",
        "R\\&D": "R&D",
        "$\\alpha$-divergence, $\\beta=0.5$": "α-divergence, β=0.5",
        "a $10\\times$ speed-up": "a 10× speed-up",
        "$O(n^2)$, $x_{i}$, $10^{-3}$": "O(n²), xᵢ, 10⁻³",
        "\\textbf{bold} \\emph{em} {\\it it} $\\mathbf{W}$": "bold em it W",
        "costs $5 and $10": "costs $5 and $10",
        "$\\leq 5$ $\\geq 3$ $\\sim 7$ $\\approx 2$ $a \\cdot b$": "≤ 5 ≥ 3 ~ 7 ≈ 2 a · b",
        "regularization, \\etc. and \\eg, this": "regularization, etc. and e.g., this",
        "Schr\\\"odinger, $\\mathbb{R}^d$": "Schrödinger, ℝᵈ",
        "plain text": "plain text",
    }
    assert v.js("(cases) => Object.keys(cases).map((k) => kgView.tex(k))", cases) == list(
        cases.values())
    # offsets of the stored text fall on the same words of the text shown
    assert v.js("""() => { const s = "$\\\\mathcal{B}$-Coder beats BERT by 8\\\\%";
        const t = kgView.texText(s); const a = s.indexOf("BERT");
        return [t.text, t.text.slice(t.start(a), t.end(a + 4)),
                t.text.slice(t.start(0), t.end(19))];
        }""") == ["B-Coder beats BERT by 8%", "BERT", "B-Coder"]

    g = seed_graph_json
    coder = next(n for n, d in g.nodes(data=True) if d.get("kind") == "paper"
                 and d["label"].startswith("$\\mathcal{B}$-Coder"))
    v.open(coder)
    title = v.page.locator("#panel h2 .label").text_content()
    assert title.startswith("B-Coder: Value-Based") and "\\" not in title and "$" not in title
    percent = next(n for n, d in g.nodes(data=True) if d.get("kind") == "paper"
                   and "8\\%" in d["abstract"])
    v.open(percent)
    abstract = v.page.locator("#panel .abstract").text_content()
    assert "8%" in abstract and "\\%" not in abstract
    for mark in v.page.locator("#panel .abstract mark.entity").all()[:12]:  # marks still fit
        label = g.nodes[mark.get_attribute("data-entity")]
        names = {s.casefold() for s in [label["label"], *label["aliases"]]}
        assert mark.text_content().casefold() in names
    v.assert_clean()


def test_filters_lay_out_what_remains(seed_outputs, seed_graph_json, visit):
    g = seed_graph_json
    v = visit(seed_outputs / "graph.html")
    first = drawn(v)
    methods = {n for n in first if g.nodes[n]["type"] == "Method"}
    v.relaid(lambda: v.page.locator('input[data-type="Method"]').uncheck())
    assert drawn(v) == first - methods
    assert v.js("network.physics.options.enabled") is False
    frame = v.page.locator("#network").bounding_box()
    for n in drawn(v):  # laid out again and fitted: every remaining node is in view
        x, y = v.node_point(n)
        assert frame["x"] <= x <= frame["x"] + frame["width"]
        assert frame["y"] <= y <= frame["y"] + frame["height"]
    v.relaid(lambda: v.page.locator('input[data-type="Method"]').check())
    assert drawn(v) == first

    v.relaid(lambda: v.page.locator("#min-papers").fill("3"))
    assert drawn(v) == {n for n in entities(g) if g.nodes[n]["papers"] >= 3}
    v.relaid(lambda: v.page.locator("#min-papers").fill("1"))
    assert drawn(v) == entities(g)

    v.relaid(lambda: v.page.locator("#show-papers").check())
    assert drawn(v) == set(g.nodes)
    kinds = set(v.js("kgView.edges.get().map((e) => e.relation)"))
    assert {"mentions", "introduces", "uses"} <= kinds and "co_occurs" not in kinds
    v.relaid(lambda: v.page.locator('input[data-kind="uses"]').uncheck())
    kinds = Counter(v.js("kgView.edges.get().map((e) => e.relation)"))
    assert "uses" not in kinds
    assert kinds["evaluated_on"] == sum(1 for *_, k, _ in relation_edges(g)
                                        if k == "evaluated_on")
    v.assert_clean()


def test_neighbourhood_filter(seed_outputs, seed_graph_json, visit):
    g = seed_graph_json
    gsm8k = find_entities(g, "GSM8K")[0]
    v = visit(seed_outputs / "graph.html")
    v.open(gsm8k)
    for radius in (1, 2):
        v.relaid(lambda r=radius: v.page.locator(f'input[name=radius][value="{r}"]').check())
        assert drawn(v) == entities(neighbourhood(g, gsm8k, radius))
        assert f"within {radius} step" in v.page.locator("#summary").text_content()
    v.relaid(lambda: v.page.locator('input[name=radius][value="0"]').check())
    assert drawn(v) == entities(g)  # the filter set "at least 1 paper"
    v.assert_clean()


@pytest.fixture(scope="module")
def dated_graph() -> nx.MultiDiGraph:
    return synthetic_graph(40, 60, seed=3)


def test_date_filter(dated_graph, tmp_path, visit):
    g = dated_graph
    page = tmp_path / "dated.html"
    page.write_text(to_html(g), encoding="utf-8")
    v = visit(page)
    months = v.js("kgView.data.months")
    dates = sorted(d for _, d in g.nodes(data="date") if d)
    assert [f"{m // 12}-{m % 12 + 1:02d}" for m in months] == [dates[0][:7], dates[-1][:7]]
    v.relaid(lambda: v.page.locator("#min-papers").fill("1"))
    # papers of 2021 and 2022 only
    lo, hi = 2021 * 12, 2022 * 12 + 11
    v.relaid(lambda: v.js("([a, b]) => kgView.setDates(a, b)", [lo, hi]))
    assert v.page.locator("#date-from-value").text_content() == "2021-01"
    assert v.page.locator("#date-to-value").text_content() == "2022-12"
    in_range = {p for p, d in g.nodes(data="date") if d and "2021" <= d[:4] <= "2022"}
    expected = {e for e in entities(g) if papers_of(g, e) & in_range}
    assert drawn(v) == expected and expected < entities(g)
    v.relaid(lambda: v.page.locator("#min-papers").fill("2"))
    assert drawn(v) == {e for e in entities(g) if len(papers_of(g, e) & in_range) >= 2}
    v.relaid(lambda: v.page.locator("#show-papers").check())
    assert drawn(v) - entities(g) <= in_range
    assert "from 2021-01 to 2022-12" in v.page.locator("#summary").text_content()
    v.assert_clean()


def test_a_new_relation_kind_shows_up_without_an_explorer_change(seed_graph_json, tmp_path,
                                                                  visit, monkeypatch):
    """A kind added to the table (say successor_of: Llama-3 8B succeeds Llama-2) is drawn,
    filtered and listed under its label and inverse, with no change to the explorer."""
    import kg.export.html
    import kg.graph
    import kg.model

    successor = kg.model.RelationKind(
        "successor_of", "entity", "successorOf", "successor of", "succeeded by",
        "A later model of the same makers.", ("Model",), ("Model",),
        style={"color": {"color": "#123456"}, "width": 3})
    kinds = (*kg.model.RELATION_KINDS, successor)
    monkeypatch.setattr(kg.model, "RELATION_KINDS", kinds)
    monkeypatch.setattr(kg.export.html, "RELATION_KINDS", kinds)
    monkeypatch.setattr(kg.graph, "ENTITY_KINDS", (*kg.graph.ENTITY_KINDS, "successor_of"))
    g = seed_graph_json.copy()
    new, old = find_entities(g, "Llama-3 8B")[0], find_entities(g, "Llama-2")[0]
    paper = sorted(papers_of(g, new))[0]
    g.add_edge(new, old, key="successor_of", relation="successor_of", statements=[
        {"paper": paper, "sentence": "Llama-3 8B is the successor of Llama-2.", "rule": "test"}])
    page = tmp_path / "successor.html"
    page.write_text(to_html(g), encoding="utf-8")
    v = visit(page)
    assert v.page.locator('input[data-kind="successor_of"]').count() == 1
    v.relaid(lambda: v.page.locator("#min-papers").fill("1"))
    edge = v.js("kgView.edges.get().find((e) => e.relation === 'successor_of')")
    assert edge["from"] == new and edge["to"] == old and edge["color"]["color"] == "#123456"
    v.open(new)
    group = v.page.locator('#panel .rel-group[data-relation="successor of"]')
    assert group.locator("li[data-entity]").get_attribute("data-entity") == old
    assert "is the successor of" in group.text_content()
    v.open(old)
    assert v.page.locator('#panel .rel-group[data-relation="succeeded by"] '
                          'li[data-entity]').get_attribute("data-entity") == new
    v.relaid(lambda: v.page.locator('input[data-kind="successor_of"]').uncheck())
    assert "successor_of" not in v.js("kgView.edges.get().map((e) => e.relation)")
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
    v.page.wait_for_function("() => document.getElementById('panel').dataset.loaded === 'true'")
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
    g = seed_graph_json
    page = tmp_path / "cut.html"
    page.write_text(to_html(g, max_nodes=60), encoding="utf-8")
    v = visit(page)
    assert "can draw the 60 entities" in v.page.locator("#note").text_content()
    v.relaid(lambda: v.page.locator("#min-papers").fill("1"))
    top = sorted(entities(g), key=lambda n: (-g.nodes[n]["papers"],
                                             g.nodes[n]["label"].casefold(), n))[:60]
    assert drawn(v) == set(top)
    rare = next(n for n in entities(g) if n not in top)
    v.open(rare)  # not drawn, but in the page: its panel, papers and evidence
    assert v.page.locator("#panel .hint").text_content().startswith("Not drawn")
    assert v.page.locator("#panel ol.papers > li").count() == g.nodes[rare]["papers"]
    v.assert_clean()


def test_a_lean_page_says_what_it_leaves_out(seed_graph_json, tmp_path, visit):
    g = seed_graph_json
    page = tmp_path / "lean.html"
    page.write_text(to_html(g, budget=200_000), encoding="utf-8")
    v = visit(page)
    assert "leaves out abstracts and evidence" in v.page.locator("#missing").text_content()
    llm = find_entities(g, "large language models")[0]
    v.open(llm)
    commands = v.page.locator("#panel .missing code").all_text_contents()
    assert commands == ["kg view 'large language models' -o page.html",
                        "kg query --example evidence --bind 'entity=large language models'"]
    assert v.page.locator("#panel ol.papers ul.evidence").count() == 0
    listed = {li.get_attribute("data-entity"): int(li.get_attribute("data-n"))
              for li in v.page.locator("#panel .neighbours li[data-entity]").all()}
    counts = shared_counts(g, llm)
    assert all(counts[e] == n for e, n in listed.items())  # neighbours still exact
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
    sub = neighbourhood(seed_graph_json, clip, 1)
    assert drawn(v) == set(sub.nodes)  # the entity, its papers and their entities
    assert math.isclose(len(drawn(v)), sub.number_of_nodes())
    v.assert_clean()


@pytest.fixture(scope="module")
def served_10k(tmp_path_factory):
    """`kg serve` on a synthetic graph of 10,000 papers: (the graph, the server's root URL)."""
    g = synthetic_graph(5000, 10_000, seed=5)
    path = tmp_path_factory.mktemp("served") / "graph.ttl"
    write_triples(g, path)
    with serving(path) as (url, proc):
        yield g, url.rsplit("/", 1)[0]
        proc.terminate()  # as Ctrl-C would: the server removes its store
        proc.wait(timeout=30)


def test_the_served_explorer_opens_an_entity_and_its_evidence_on_a_10k_paper_graph(
        served_10k, visit):
    g, root = served_10k
    v = visit(root + "/", allowed=(root + "/", "blob:"))
    asked = []
    v.page.on("request", lambda r: asked.append(r.url))
    assert v.js("kgView.source.mode") == "served"
    assert v.js("kgView.data.total.papers") == 10_000
    assert "papers folded into their entities (10,000)" in v.page.locator("#summary").text_content()
    ranked = sorted(entities(g), key=lambda n: (-g.nodes[n]["papers"], n))
    entity = ranked[50]
    label = g.nodes[entity]["label"]

    v.page.locator("#search").press_sequentially(label, delay=10)
    v.page.keyboard.press("Enter")
    v.page.wait_for_function("(id) => { const p = document.getElementById('panel');"
                             " return p.dataset.node === id && p.dataset.loaded === 'true'; }",
                             arg=entity)
    panel = v.page.locator("#panel")
    assert panel.locator("h2 .label").text_content() == label
    # neighbours: each listed with the number of papers it shares, as in the graph
    counts = shared_counts(g, entity)
    listed = {li.get_attribute("data-entity"): int(li.get_attribute("data-n"))
              for li in panel.locator(".neighbours li[data-entity]").all()}
    assert listed and all(counts[e] == n for e, n in listed.items())
    for group in panel.locator(".neighbours .type-group").all():
        t = group.get_attribute("data-type")
        shown = group.locator("h4 .n").text_content().strip("()").replace(",", "")
        assert int(shown) == sum(1 for e in counts if g.nodes[e]["type"] == t)
    # its papers, the newest first, with the sentences that name it
    first = panel.locator("ol.papers > li").first
    paper = first.get_attribute("data-paper")
    assert paper in papers_of(g, entity)
    assert g.nodes[paper]["date"] == max(g.nodes[p]["date"] for p in papers_of(g, entity))
    sentences = first.locator("ul.evidence li").all_text_contents()
    edge = next(d for _, e, d in g.out_edges(paper, data=True) if e == entity)
    assert sentences == [ev["sentence"] for ev in edge["evidence"]]
    assert first.locator("ul.evidence mark").first.text_content() == label
    # on to the paper: its abstract, its entities marked
    first.locator("button.open").click()
    v.page.wait_for_function("(id) => document.getElementById('panel').dataset.node === id"
                             " && document.getElementById('panel').dataset.loaded === 'true'",
                             arg=paper)
    assert panel.locator(".abstract").text_content() == g.nodes[paper]["abstract"]
    assert {m.get_attribute("data-entity") for m in panel.locator(".abstract mark").all()} == {
        e for _, e, k in g.out_edges(paper, keys=True) if k in PAPER_KINDS}
    ARTIFACTS.mkdir(exist_ok=True)
    v.page.screenshot(path=str(ARTIFACTS / "served-10k.png"))
    assert any("/api/entity?" in u for u in asked) and any("/api/paper?" in u for u in asked)
    assert all(u.startswith(root + "/") for u in asked)  # every request answered locally
    v.assert_clean()
