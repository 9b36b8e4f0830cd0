"""SPARQL speed: pyoxigraph (what `kg query` and `kg serve` use) against rdflib's in-memory
engine, on a synthetic graph of the export's shape with about a million triples.

    python benchmarks/bench_sparql.py [--papers 6600] [--entities 20000] [--runs 3]
                                      [--rdflib-timeout 60] [--keep graph.ttl]

The graph: kg:Paper nodes (title, abstract, identifier, arXiv id, date, URL, creators),
entities of the six types (label, some aliases, paper count) whose popularity follows a
Zipf law, kg:mentions / kg:introduces edges and one kg:Mention node (9 triples) per
occurrence; "GPT-4", "fine-tuning" and an "Orca: Progressive Learning ..." paper are planted
so that every worked example (kg/examples/*.rq, with its default parameters) has work to do.

Prints the load times, then each example's time on both engines (pyoxigraph: median of
--runs; rdflib: one run, in a forked process stopped at --rdflib-timeout seconds, shown as
">T"), the rows each returned, and the speed-up.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

from kg.query import PREFIX_IRIS, examples, execute

BASE = "https://w3id.org/paperkg/id/"
TYPES = [("Method", 0.59), ("Task", 0.16), ("Model", 0.13), ("Dataset", 0.04),
         ("Metric", 0.04), ("Benchmark", 0.04)]
WORDS = ["learning", "model", "language", "training", "data", "task", "method", "results",
         "performance", "neural", "network", "large", "reasoning", "benchmark", "evaluation",
         "propose", "show", "approach", "improve", "accuracy", "dataset", "agents", "policy",
         "generation", "representation", "attention"]
PLANTED = [("Model", "large language models", ["LLMs", "LLM", "large language model"]),
           ("Method", "fine-tuning", ["finetuning", "fine tuning"]),
           ("Model", "GPT-4", ["GPT4"]),
           ("Benchmark", "MATH", []), ("Dataset", "ImageNet", []), ("Benchmark", "GSM8K", [])]
ORCA = "Orca: Progressive Learning from Complex Explanation Traces of GPT-4"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(path: Path, papers: int, entities: int, seed: int = 7) -> None:
    """Write the synthetic Turtle to path."""
    rnd = random.Random(seed)
    kinds = rnd.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES], k=entities)
    names = []
    for i, kind in enumerate(kinds):
        if i < len(PLANTED):
            kind, label, aliases = PLANTED[i]
            kinds[i] = kind
        else:
            label = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {i}"
            aliases = [label.upper()[:12] + f"-{i}"] if rnd.random() < 0.2 else []
        names.append((label, aliases))
    iris = [f"{BASE}{k.lower()}/e{i}" for i, k in enumerate(kinds)]
    weights = [1 / (rank + 1) for rank in range(entities)]  # Zipf: a few very common ones
    cum = list(__import__("itertools").accumulate(weights))
    lines = ["".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIX_IRIS.items())]
    paper_count = Counter()
    for n in range(papers):
        p = f"{BASE}paper/p{n:06d}"
        title = ORCA if n == 0 else " ".join(rnd.choices(WORDS, k=8)).capitalize()
        abstract = ". ".join(" ".join(rnd.choices(WORDS, k=15)) for _ in range(8)) + "."
        chosen = {rnd.choices(range(entities), cum_weights=cum)[0]
                  for _ in range(max(1, int(rnd.gauss(12, 4))))}
        if n == 0:
            chosen |= {2, 3, 4}
        introduced = [e for e in chosen if rnd.random() < 0.1]
        out = [f"<{p}> a kg:Paper ;", f" dcterms:title {_lit(title)} ;",
               f" dcterms:abstract {_lit(abstract)} ;", f' dcterms:identifier "p{n:06d}" ;',
               f' kg:arxivId "24{n % 12 + 1:02d}.{n:05d}" ;', ' dcterms:date "2024-05-01" ;',
               f' schema:url "https://arxiv.org/abs/24{n % 12 + 1:02d}.{n:05d}"^^xsd:anyURI ;',
               ' dcterms:creator "A. Author", "B. Author", "C. Author" ;']
        for e in introduced:
            out.append(f" kg:introduces <{iris[e]}> ;")
        out.append(" kg:mentions " + ", ".join(f"<{iris[e]}>" for e in sorted(chosen)) + " .")
        for e in sorted(chosen):
            paper_count[e] += 1
            label = names[e][0]
            for k in range(1 + (rnd.random() < 0.3)):
                start = 40 * k + rnd.randrange(0, 900)
                m = f"{BASE}mention/p{n:06d}/abstract-{start}-{start + len(label)}"
                out.append(f"<{m}> a kg:Mention ; kg:mentionOf <{iris[e]}> ; kg:inPaper <{p}> ;"
                           f" kg:surfaceForm {_lit(label)} ; kg:field \"abstract\" ;"
                           f" kg:start {start} ; kg:end {start + len(label)} ;"
                           f" kg:sentence {_lit(f'We use {label} to improve the results.')} ;"
                           ' kg:rule "lexicon" .')
        lines.append("\n".join(out) + "\n")
    for e, count in sorted(paper_count.items()):
        label, aliases = names[e]
        alt = "".join(f" skos:altLabel {_lit(a)} ;" for a in aliases)
        lines.append(f"<{iris[e]}> a kg:{kinds[e]} ; rdfs:label {_lit(label)} ;{alt}"
                     f" kg:paperCount {count} .\n")
    path.write_text("".join(lines), encoding="utf-8")


def _rdflib_run(graph, text: str, conn) -> None:
    start = time.perf_counter()
    rows = len(list(graph.query(text, initNs=PREFIX_IRIS)))
    conn.send((time.perf_counter() - start, rows))


def rdflib_time(graph, text: str, timeout: float) -> tuple[float | None, int | None]:
    """(seconds, rows) of one rdflib run in a forked child (sharing the parsed graph), or
    (None, None) when it ran past the timeout and was stopped."""
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=_rdflib_run, args=(graph, text, theirs))
    child.start()
    done = mine.poll(timeout)
    result = mine.recv() if done else (None, None)
    child.kill()
    child.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=6600)
    ap.add_argument("--entities", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rdflib-timeout", type=float, default=60.0)
    ap.add_argument("--keep", type=Path, help="Also write the synthetic graph here.")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sparql-") as tmp:
        path = args.keep or Path(tmp) / "graph.ttl"
        t0 = time.perf_counter()
        generate(path, args.papers, args.entities)
        written = time.perf_counter() - t0

        t0 = time.perf_counter()
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        ox_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        ox.Store(Path(tmp) / "disk").bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        disk_load = time.perf_counter() - t0
        from rdflib import Graph

        t0 = time.perf_counter()
        graph = Graph()
        graph.parse(path, format="turtle")
        rdf_load = time.perf_counter() - t0
        assert len(store) == len(graph)
        print(f"synthetic graph: {len(store):,} triples, {args.papers:,} papers, "
              f"{path.stat().st_size / 1e6:.0f} MB of Turtle ({written:.1f} s to write)")
        print(f"load: pyoxigraph in memory {ox_load:.1f} s, pyoxigraph on disk (kg serve) "
              f"{disk_load:.1f} s, rdflib {rdf_load:.1f} s\n")

        print(f"{'example':<20}{'pyoxigraph s':>14}{'rows':>7}{'rdflib s':>11}{'rows':>7}"
              f"{'speed-up':>10}")
        for name, ex in examples().items():
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                rows = len(list(execute(store, ex.text).rows))
                times.append(time.perf_counter() - t0)
            ours = statistics.median(times)
            theirs, their_rows = rdflib_time(graph, ex.text, args.rdflib_timeout)
            if theirs is None:
                shown, speedup = f">{args.rdflib_timeout:g}", f">{args.rdflib_timeout / ours:.0f}x"
            else:
                shown, speedup = f"{theirs:.2f}", f"{theirs / ours:.0f}x"
            print(f"{name:<20}{ours:>14.3f}{rows:>7}{shown:>11}{their_rows or '-':>7}"
                  f"{speedup:>10}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
