"""Extraction speed of the default pipeline on one core: abstracts per second.

    python benchmarks/bench_extract.py [--runs 5] [--copies 3]

Runs the pipeline over the seed papers (title + abstract, `copies` times over) after one
warm-up pass, pinned to one core and one BLAS/OpenMP thread, and prints the median.
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
    rates = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        n_mentions = sum(len(x.mentions) for x in extract(papers, nlp))
        rates.append(len(papers) / (time.perf_counter() - t0))
    print(f"pipeline load {load:.2f} s; {len(papers)} abstracts x {args.runs} runs, "
          f"{n_mentions} mentions per run")
    print(f"abstracts/s (one core): median {statistics.median(rates):.1f}  "
          f"min {min(rates):.1f}  max {max(rates):.1f}")


if __name__ == "__main__":
    main()
