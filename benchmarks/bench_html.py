"""The explorer at 1k, 10k and 100k papers: page size and time to interactive of graph.html,
and the time `kg serve`'s explorer takes to show an entity's neighbourhood.

Run by hand (not by pytest; 100k papers take a few minutes and a few GB of memory):

    python benchmarks/bench_html.py                      # file pages at 1k, 10k, 100k papers
    python benchmarks/bench_html.py --papers 10000       # one size
    python benchmarks/bench_html.py --served 100000      # kg serve's explorer at 100k papers
    python benchmarks/bench_html.py --papers 1000 --keep /tmp/1k.html

The graphs are synthetic (`synthetic.py`: half as many entities as papers, power-law
popularity, 3-9 entities a paper with evidence, dates, typed relations). A file page is
rendered with `kg.export.html.to_html` and opened from file:// in headless Chromium with every
other request blocked; time to interactive is from navigation start until the first view has
been laid out and its physics stopped (``kgView.ready``). The served explorer: the same graph
written as Turtle, `kg serve` started on it, its page opened, and an entity's panel opened by
the page's API: the time from the click until the panel shows the entity's neighbours (the
median of five entities spread over the popularity ranks). Targets: page <= 25 MB,
interactive <= 5 s, served neighbourhood <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import synthetic_graph, write_triples  # noqa: E402

from kg.export.html import to_html  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_MB, MAX_S, MAX_SERVED_S = 25, 5.0, 1.0


def open_page(url: str, allowed: tuple[str, ...], timeout_s: float = 120, entities=()) -> dict:
    """Open `url`; the time until kgView.ready, and for each of `entities` the seconds from
    opening its panel until its neighbours show."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(allowed):
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
        page.goto(url)
        page.wait_for_function("() => window.kgView && window.kgView.ready",
                               timeout=timeout_s * 1000)
        wall = time.perf_counter() - start
        info = page.evaluate("""() => ({stabilised: kgView.stabilisedMs,
            drawn: kgView.nodes.length, lines: kgView.edges.length})""")
        shown = []
        for entity in entities:
            seconds = page.evaluate("""async (id) => {
                const t0 = performance.now();
                await kgView.open(id);
                if (!document.querySelector('#panel .neighbours li[data-entity]'))
                    throw new Error('no neighbours shown for ' + id);
                return (performance.now() - t0) / 1000; }""", entity)
            shown.append(seconds)
        browser.close()
    return {**info, "wall": wall, "blocked": blocked, "errors": errors, "shown": shown}


def bench_file(papers: int, keep: Path | None) -> bool:
    t = time.perf_counter()
    g = synthetic_graph(papers // 2, papers)
    made = time.perf_counter() - t
    t = time.perf_counter()
    html = to_html(g)
    rendered = time.perf_counter() - t
    mb = len(html.encode()) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "graph.html"
        path.write_text(html, encoding="utf-8")
        r = open_page(path.as_uri(), ("file://",))
    ready = r["stabilised"] / 1000
    ok = mb <= MAX_MB and ready <= MAX_S and not r["blocked"] and not r["errors"]
    data = json.loads(re.search(r'id="kg-data">(.*?)</script>', html, re.S).group(1))
    level = f"{data['level']}, {len(data['P']):,} papers listed"
    print(f"{papers:>7,} papers: {g.number_of_nodes() - papers:>6,} entities, graph {made:5.1f} s,"
          f" to_html {rendered:5.1f} s; page {mb:5.1f} MB ({level}), interactive "
          f"{ready:4.2f} s ({r['drawn']:,} nodes, {r['lines']:,} lines drawn)"
          f"{'' if ok else '  FAIL'}", flush=True)
    if r["blocked"] or r["errors"]:
        print(f"  requests {r['blocked'][:3]}, errors {r['errors'][:3]}")
    return ok


def bench_served(papers: int) -> bool:
    g = synthetic_graph(papers // 2, papers)
    ranked = sorted((n for n, k in g.nodes(data="kind") if k == "entity"),
                    key=lambda n: -g.nodes[n]["papers"])
    # entities across the ranks: the most common one, and ones from the head to the tail
    picks = [ranked[i] for i in (0, 10, 100, 1000, len(ranked) // 2)]
    with tempfile.TemporaryDirectory() as tmp:
        ttl = Path(tmp) / "graph.ttl"
        t = time.perf_counter()
        n = write_triples(g, ttl)
        print(f"{papers:,} papers served: {n:,} triples written in {time.perf_counter() - t:.0f} s",
              flush=True)
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", str(ttl), "--port", "0",
                                 "--quiet"], stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stderr.readline()
            if "SPARQL endpoint" not in line:
                print("FAIL: kg serve did not start:", line, proc.stderr.read())
                return False
            started = time.perf_counter() - t
            root = line.split()[2].rstrip(":").rsplit("/", 1)[0]
            r = open_page(root + "/", (root + "/",), entities=picks)
        finally:
            proc.terminate()  # as Ctrl-C would: the server removes its store
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    median = statistics.median(r["shown"])
    ok = median <= MAX_SERVED_S and not r["blocked"] and not r["errors"]
    print(f"  kg serve started in {started:.0f} s; page interactive {r['stabilised'] / 1000:.2f} s;"
          f" an entity's neighbourhood shown in {median:.2f} s (median; "
          + ", ".join(f"{g.nodes[e]['papers']:,} papers: {s:.2f} s"
                      for e, s in zip(picks, r["shown"], strict=True))
          + f"){'' if ok else '  FAIL'}")
    if r["blocked"] or r["errors"]:
        print(f"  requests {r['blocked'][:3]}, errors {r['errors'][:3]}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, action="append",
                    help="file page at this many papers (repeatable; default 1k, 10k, 100k)")
    ap.add_argument("--served", type=int, help="kg serve's explorer at this many papers")
    ap.add_argument("--keep", type=Path, help="also write the (single) file page here")
    args = ap.parse_args()
    ok = True
    if args.served:
        ok &= bench_served(args.served)
    if args.papers or not args.served:
        for papers in args.papers or [1_000, 10_000, 100_000]:
            ok &= bench_file(papers, args.keep)
    print("OK" if ok else "FAIL: over a target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
