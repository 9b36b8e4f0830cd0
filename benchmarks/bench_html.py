"""How long the default graph.html of a big graph takes to open and settle in headless Chromium.

Run by hand (not by pytest):

    python benchmarks/bench_html.py                # 5,000 entities, 10,000 papers
    python benchmarks/bench_html.py --entities 500 --papers 1000 --keep /tmp/small.html

It builds a synthetic graph of the shape `kg.graph.build_graph` makes (entity popularity
follows a power law, each paper mentions 3-9 entities with evidence), renders the default
page with `kg.export.html.to_html`, opens it from file:// with every network request
blocked, and reports the time from navigation start until vis-network's
``stabilizationIterationsDone`` (when the page's ``kgView.ready`` turns true). The target is
under 10 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

from kg.export.html import DEFAULT_MAX_NODES, to_html
from kg.graph import cooccurrence

TYPES = ["Dataset", "Benchmark", "Model", "Method", "Task", "Metric"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WORDS = ["we", "propose", "a", "method", "that", "improves", "results", "on", "standard",
         "benchmarks", "while", "using", "fewer", "parameters", "and", "less", "compute",
         "than", "prior", "work", "across", "several", "settings"]


def synthetic_graph(n_entities: int, n_papers: int, seed: int = 1) -> nx.MultiDiGraph:
    rnd = random.Random(seed)
    g = nx.MultiDiGraph()
    entities = [f"{TYPES[i % len(TYPES)].lower()}/entity-{i}" for i in range(n_entities)]
    weights = [1 / (i + 1) ** 0.9 for i in range(n_entities)]
    labels = {e: f"Entity{i}" for i, e in enumerate(entities)}
    mentions: dict[str, set[str]] = {e: set() for e in entities}
    papers = {}
    for p in range(n_papers):
        chosen = set(rnd.choices(entities, weights, k=rnd.randint(3, 9)))
        sentences = [" ".join(rnd.choices(WORDS, k=18)).capitalize() + f" with {labels[e]}."
                     for e in sorted(chosen)]
        abstract = " ".join(sentences + [" ".join(rnd.choices(WORDS, k=60)) + "."])
        node = f"paper/paper-{p}"
        papers[node] = (chosen, sentences, abstract)
        g.add_node(node, kind="paper", label=f"Paper {p}: " + " ".join(rnd.choices(WORDS, k=8)),
                   abstract=abstract, url="", arxiv=f"2401.{p:05d}", date="2024-01-01",
                   authors=["A. Author", "B. Author"], paper_id=f"2401.{p:05d}")
        for e in chosen:
            mentions[e].add(node)
    for e in entities:
        g.add_node(e, kind="entity", type=e.split("/")[0].capitalize(), label=labels[e],
                   aliases=[labels[e], labels[e].lower()], papers=len(mentions[e]))
    for node, (chosen, sentences, abstract) in papers.items():
        for e, sentence in zip(sorted(chosen), sentences, strict=True):
            at = abstract.index(sentence)
            start = at + sentence.index(labels[e])
            g.add_edge(node, e, key="mentions", relation="mentions", evidence=[{
                "field": "abstract", "start": start, "end": start + len(labels[e]),
                "text": labels[e], "sentence": sentence, "rule": "synthetic"}])
    for (a, b), w in cooccurrence(g).items():
        g.add_edge(a, b, key="co_occurs", relation="co_occurs", weight=w)
    return g


def open_page(path: Path, timeout_s: float = 60) -> dict:
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.route("**/*", route)
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function("() => window.kgView && window.kgView.ready",
                               timeout=timeout_s * 1000)
        wall = time.perf_counter() - start
        info = page.evaluate("""() => ({stabilised: kgView.stabilisedMs,
            drawn: kgView.nodes.length, lines: kgView.edges.length,
            iterations: kgView.iterations || 0})""")
        browser.close()
    return {**info, "wall": wall, "blocked": blocked, "errors": errors}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entities", type=int, default=5000)
    ap.add_argument("--papers", type=int, default=10000)
    ap.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES)
    ap.add_argument("--keep", type=Path, help="also write the page here")
    args = ap.parse_args()

    t = time.perf_counter()
    g = synthetic_graph(args.entities, args.papers)
    print(f"graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
          f"({time.perf_counter() - t:.1f} s to make)")
    t = time.perf_counter()
    html = to_html(g, max_nodes=args.max_nodes)
    print(f"to_html: {time.perf_counter() - t:.1f} s, {len(html.encode()) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.html"
        path.write_text(html, encoding="utf-8")
        if args.keep:
            args.keep.write_text(html, encoding="utf-8")
        r = open_page(path)
    print(f"drawn: {r['drawn']:,} nodes, {r['lines']:,} lines, {r['iterations']} iterations")
    print(f"open and stabilise: {r['stabilised'] / 1000:.2f} s after navigation start "
          f"({r['wall']:.2f} s wall clock from goto)")
    if r["blocked"] or r["errors"]:
        print(f"FAIL: requests {r['blocked'][:3]}, errors {r['errors'][:3]}")
        return 1
    ok = r["stabilised"] < 10_000
    print("OK: under 10 s" if ok else "FAIL: 10 s or more")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
