"""Scale benchmark: one `kg build` of a corpus, timed, with its peak memory and output sizes.

    python benchmarks/make_corpus.py 10000 -o /tmp/c10k.jsonl
    python benchmarks/bench_scale.py /tmp/c10k.jsonl -o /tmp/out10k -- --workers 2
    python benchmarks/bench_scale.py /tmp/c10k.jsonl -o /tmp/out10k --fresh -- --workers 1

Runs ``kg build CORPUS -o OUT -q ARGS...`` in a subprocess (``--fresh`` first removes OUT, so
the build is cold) under ``/usr/bin/time -v`` and samples the resident memory of the whole
process tree (the build and its worker processes) every 0.2 s, and their CPU time. Prints
one JSON line: wall seconds, papers/s, CPU seconds of the tree and papers per CPU second (the
machine is shared: wall time depends on what else runs, CPU time much less), peak RSS of the
tree (the sum over its processes, and the largest single process as `time -v` reports it),
and the sizes of the outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil


def tree_sample(pid: int, cpu: dict[int, float]) -> int:
    """The resident memory of the process tree now; records each process's CPU seconds so
    far in `cpu` (pid -> user + system)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
            t = p.cpu_times()
            cpu[p.pid] = max(cpu.get(p.pid, 0.0), t.user + t.system)
    return total


def size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--fresh", action="store_true", help="remove OUTPUT first (a cold build)")
    ap.add_argument("--label", default="")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:cut])
    args.args = argv[cut + 1:]  # more `kg build` options, after --
    if args.fresh:
        shutil.rmtree(args.output, ignore_errors=True)
    with open(args.corpus, encoding="utf-8") as f:
        papers = sum(1 for line in f if line.strip())
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "kg.cli", "build", str(args.corpus),
           "-o", str(args.output), *args.args]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, cpu = 0, {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_sample(proc.pid, cpu))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    if proc.returncode:
        sys.exit(f"kg build failed ({proc.returncode}):\n{err[-3000:]}")
    max_one = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)[1]) << 10
    summary = [line for line in err.splitlines() if " extracted, " in line]
    print(json.dumps({
        "label": args.label, "papers": papers, "args": args.args, "wall_s": round(wall, 1),
        "papers_per_s": round(papers / wall, 1), "cpu_s": round(sum(cpu.values()), 1),
        "papers_per_cpu_s": round(papers / max(sum(cpu.values()), 1e-9), 1),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 1),
        "peak_rss_tree_mib": peak >> 20,
        "peak_rss_one_process_mib": max_one >> 20,
        "sizes_mb": {name: round(size(args.output / name) / 1e6, 1) for name in (
            "graph.ttl", "graph.nt", "graph.json", "graph.html", "graph.oxigraph",
            ".paperkg-cache.sqlite")},
        "summary": summary[-1] if summary else "",
    }))


if __name__ == "__main__":
    main()
