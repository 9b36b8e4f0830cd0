"""Extraction speed of the default pipeline on one core: abstracts per second, and what the
relation and result components cost.

    python benchmarks/bench_extract.py [--runs 5] [--copies 3]

Runs the pipeline over the seed papers (title + abstract, `copies` times over) after one
warm-up pass, pinned to one core and one BLAS/OpenMP thread, and prints the median. Each run
also times the same papers with `kg_relations` and `kg_results` switched off (the paper-level
stage then finds none), alternating the two so that a busy machine slows both alike; the
median of the paired ratios is what relations and results add to extraction.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from kg.extract import build_pipeline, extract  # noqa: E402
from kg.ingest import read_papers  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ADDED = ["kg_relations", "kg_results"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    papers = read_papers([SEEDS]) * args.copies
    t0 = time.perf_counter()
    nlp = build_pipeline()
    load = time.perf_counter() - t0
    list(extract(papers[:20], nlp))  # warm-up

    def timed() -> tuple[float, int]:
        t0 = time.perf_counter()
        found = list(extract(papers, nlp))
        return time.perf_counter() - t0, sum(len(x.relations) + len(x.results) for x in found)

    rates, ratios = [], []
    for _ in range(args.runs):
        full, n_found = timed()
        with nlp.select_pipes(disable=ADDED):
            bare, _ = timed()
        rates.append(len(papers) / full)
        ratios.append(full / bare)
    print(f"pipeline load {load:.2f} s; {len(papers)} abstracts x {args.runs} runs, "
          f"{n_found} relations and results per run")
    print(f"abstracts/s (one core): median {statistics.median(rates):.1f}  "
          f"min {min(rates):.1f}  max {max(rates):.1f}")
    print(f"time added by {' and '.join(ADDED)}: median "
          f"{100 * (statistics.median(ratios) - 1):+.1f}%  "
          f"(runs: {', '.join(f'{100 * (r - 1):+.1f}%' for r in ratios)})")


if __name__ == "__main__":
    main()
