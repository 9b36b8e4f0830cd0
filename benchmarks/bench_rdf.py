"""RDF export speed: the old rdflib export against the streaming writer, on the same graph.

    python benchmarks/bench_rdf.py OUT/graph.json [--runs 3]

Reads the graph of a build (its graph.json), then times, median of `runs`:

- old: the export of paperkg before the scale work (commit f070fe7's `kg/export/rdf.py`,
  taken from git): an in-memory rdflib Graph, serialised by rdflib's Turtle serialiser;
- new: `kg.export.rdf`: N-Triples lines written in chunks, Turtle from them by Oxigraph;
- new + store: the same and the on-disk Oxigraph store bulk-loaded from the N-Triples.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402

from kg.export import DEFAULT_BASE  # noqa: E402
from kg.export import rdf as new  # noqa: E402
from kg.graph import nx_items  # noqa: E402

OLD_COMMIT = "f070fe7"


def old_module() -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{OLD_COMMIT}:kg/export/rdf.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("old_rdf")
    exec(compile(source, "old_rdf.py", "exec"), module.__dict__)
    return module


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("graph", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    g = nx.node_link_graph(json.loads(args.graph.read_text(encoding="utf-8")), edges="edges")
    old = old_module()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def old_export() -> None:
            (tmp / "old.ttl").write_text(old.to_turtle(g, DEFAULT_BASE), encoding="utf-8")

        def new_export(store: bool = False) -> int:
            loader = new.StoreLoader(Path(tempfile.mkdtemp(dir=tmp))) if store else None
            n, header, _ = new.write_ntriples(nx_items(g), DEFAULT_BASE, tmp / "new.nt",
                                              loader)
            new.write_turtle(tmp / "new.nt", tmp / "new.ttl", header)
            if loader:
                loader.finish(header, tmp / "new.nt")
            return n

        triples = new_export()
        t_old = timed(old_export, args.runs)
        t_new = timed(new_export, args.runs)
        t_store = timed(lambda: new_export(store=True), args.runs)
    print(json.dumps({"papers": sum(1 for _, k in g.nodes(data="kind") if k == "paper"),
                      "triples": triples, "old_rdflib_s": round(t_old, 2),
                      "new_nt_ttl_s": round(t_new, 2), "new_nt_ttl_store_s": round(t_store, 2),
                      "speedup": round(t_old / t_new, 1),
                      "speedup_with_store": round(t_old / t_store, 1)}))


if __name__ == "__main__":
    main()
