"""Load on `kg serve`: requests per second and latency with concurrent clients.

Run by hand (not by pytest):

    python benchmarks/bench_serve.py                       # 2,000 papers, 8 clients, 10 s
    python benchmarks/bench_serve.py --clients 16 --seconds 20 --graph output/graph.ttl
    python benchmarks/bench_serve.py --serve '--workers 4 --max-workers 4'

It writes the synthetic graph of `bench_sparql.py` (2,000 papers, 6,000 entities unless
--graph is given), starts `kg serve` on a free loopback port, and runs --clients client
processes that each send one short SELECT after another (a new connection per request, as
SPARQLWrapper and curl do) for --seconds. Prints requests per second and the latency
percentiles; every answer must be a 200.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sparql import generate  # noqa: E402  (a sibling script, not a package)

QUERY = ("SELECT ?paper ?label WHERE { ?paper kg:mentions ?e . ?e a kg:Benchmark ; "
         "rdfs:label ?label } LIMIT 20")


def client(port: int, start: float, until: float, out) -> None:
    """From start, send queries until the deadline; report (latencies, non-200 answers)."""
    path = "/sparql?" + urllib.parse.urlencode({"query": QUERY})
    latencies, errors = [], 0
    time.sleep(max(0.0, start - time.perf_counter()))
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        response.read()
        conn.close()
        latencies.append(time.perf_counter() - t0)
        errors += response.status != 200
    out.send((latencies, errors))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=2000)
    ap.add_argument("--entities", type=int, default=6000)
    ap.add_argument("--graph", type=Path, help="Serve this graph instead of a synthetic one.")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--serve", default="", metavar="OPTIONS",
                    help="More options for kg serve, e.g. '--max-workers 2'.")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        graph = args.graph
        if graph is None:
            graph = Path(tmp) / "graph.ttl"
            generate(graph, args.papers, args.entities)
        server = subprocess.Popen([sys.executable, "-m", "kg.cli", "serve", str(graph),
                                   "--port", "0", "--quiet", *args.serve.split()],
                                  stderr=subprocess.PIPE, text=True)
        try:
            line = server.stderr.readline()
            port = urllib.parse.urlsplit(line.split()[2].rstrip(":")).port
            ctx = multiprocessing.get_context("spawn")
            start = time.perf_counter() + 2.0  # every client started and connected
            until = start + args.seconds
            pipes = []
            for _ in range(args.clients):
                mine, theirs = ctx.Pipe()
                ctx.Process(target=client, args=(port, start, until, theirs), daemon=True).start()
                pipes.append(mine)
            results = [p.recv() for p in pipes]
        finally:
            server.terminate()
            server.wait()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    wall = args.seconds

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print(f"{graph.name if args.graph else f'synthetic {args.papers} papers'}, "
          f"{args.clients} clients, {wall:.0f} s: {len(latencies) / wall:.0f} requests/s, "
          f"latency p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, p99 {pct(99):.1f} ms, "
          f"mean {statistics.fmean(latencies) * 1000:.1f} ms; {errors} not 200")


if __name__ == "__main__":
    sys.exit(main())
