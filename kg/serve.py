"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over an exported graph.

The ``oxigraph`` package's server has a read-only mode and a query timeout but no cap on
result rows, so this is a thin layer of glue instead: waitress for HTTP (it bounds
connections, idle time, header and body sizes), pyoxigraph for SPARQL and kg.query for the
result formats. Each query runs in a worker process that holds a read-only copy of the store
on disk (loaded once, at start). A running pyoxigraph query cannot be interrupted, so a query
past the time limit is stopped by killing its worker, which is replaced at once. Updates are
refused (403) and could not change anything anyway: the workers' store is opened read-only.

At ``/`` it also serves the explorer (kg.explore), whose JSON API runs its queries through
the same workers, with the same limits.

No query makes the server connect anywhere: a SERVICE is refused (403) as rdflib's SPARQL
parser reads the query, and the workers run under a seccomp filter (kg.sandbox) that denies
them network sockets, so a SERVICE that a parser missed fails instead of connecting.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import parse_qs

import pyoxigraph as ox
import waitress

from kg.explore import Explorer
from kg.export.rdf import current_store
from kg.query import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    QueryError,
    UpdateRefused,
    calls_service,
    execute,
    load_turtle,
    serialize,
)
from kg.sandbox import deny_network

#: media type -> our format name, for content negotiation; the first of each kind is the default.
RESULT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
}
GRAPH_TYPES = {
    "text/turtle": "turtle", "application/turtle": "turtle", "application/x-turtle": "turtle",
    "application/n-triples": "ntriples", "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml", "application/xml": "rdfxml", "text/xml": "rdfxml",
}
MAX_BODY = 1 << 20  # bytes of a POSTed query
MAX_HEADERS = 256 << 10  # bytes of the request line and headers (a GET's query is in the URL)
CONNECTIONS = 500  # open connections at most; more wait to be accepted
STARTUP = 60.0  # seconds a new worker may take to start and open the store
LONG_QUERY = 1.0  # seconds after which a running query counts as long
HELP = """paperkg SPARQL endpoint (read-only)

  GET  {path}?query=...                          (URL-encoded)
  POST {path}   Content-Type: application/x-www-form-urlencoded   query=...
  POST {path}   Content-Type: application/sparql-query             (the query as body)

Results: JSON, XML, CSV or TSV (SELECT, ASK); Turtle, N-Triples or RDF/XML (CONSTRUCT,
DESCRIBE), chosen by the Accept header. Prefixes kg, rdf, rdfs, skos, dcterms, owl, xsd,
schema and prov are predeclared. Time limit {timeout:g} s a query, at most {max_rows} rows;
SERVICE and updates are refused.
"""


def negotiate(accept: str, kind: str) -> str | None:
    """The format to answer in: the best of the Accept header that fits the result's kind.
    A weight that is not a number from 0 to 1 is ignored (the range counts as q=1)."""
    types = GRAPH_TYPES if kind == "graph" else RESULT_TYPES
    default = next(iter(types.values()))
    ranges = []
    for i, part in enumerate((accept or "*/*").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = next((_weight(p[2:]) for p in params if p.lower().startswith("q=")), 1.0)
        ranges.append((-q, i, media.lower()))
    for q, _, media in sorted(ranges):
        if q == 0:
            break
        if media in types:
            return types[media]
        if media == "*/*":
            return default
        if media.endswith("/*"):
            found = next((f for m, f in types.items() if m.startswith(media[:-1])), None)
            if found:
                return found
    return None


def _weight(text: str) -> float:
    try:
        q = float(text)
    except ValueError:
        return 1.0
    return q if math.isfinite(q) and 0 <= q <= 1 else 1.0


def answer(store: ox.Store, query: str, accept: str, max_rows: int) -> tuple:
    """(HTTP status, content type, body, extra headers) for a query."""
    if calls_service(query):  # the endpoint must not be a way to make this machine fetch URLs
        return _text(403, "SERVICE (a federated query) is refused by this endpoint")
    try:
        result = execute(store, query)
        fmt = negotiate(accept, result.kind)
        if fmt is None:
            offered = GRAPH_TYPES if result.kind == "graph" else RESULT_TYPES
            return _text(406, f"cannot answer in a format the Accept header allows: try one "
                              f"of {', '.join(offered)}")
        body = io.BytesIO()
        cut = serialize(result, fmt, body, max_rows)
    except UpdateRefused as e:
        return _text(403, str(e))
    except QueryError as e:
        return _text(400, str(e))
    media = RESULT_FORMATS[fmt] if fmt in RESULT_FORMATS else GRAPH_FORMATS[fmt].media_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return 200, media, body.getvalue(), {"X-SPARQL-MaxRows": str(max_rows)} if cut else {}


def _text(status: int, message: str) -> tuple:
    return status, "text/plain; charset=utf-8", (message + "\n").encode(), {}


def _worker(store_dir: str, conn, max_rows: int) -> None:
    """A worker process: answer the queries that come down the pipe until it closes."""
    sandboxed = deny_network()
    store = ox.Store.read_only(store_dir)
    conn.send(sandboxed)
    while True:
        try:
            query, accept = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = answer(store, query, accept, max_rows)
        except Exception as e:  # the engine's own failure: answer it, and go on serving
            reply = _text(500, f"query failed: {type(e).__name__}: {e}")
        conn.send(reply)


@dataclass
class _Worker:
    proc: multiprocessing.Process
    conn: Connection
    ready: bool = False  # it said it has opened the store


class Workers:
    """Worker processes: `size` from the start, more when all are busy, up to `most`.

    Every query gets a worker of its own (the OS shares the processor between them), so a
    quick query is answered while long ones run. At most `size` queries may run longer than
    LONG_QUERY seconds at once; a further one is stopped then (503), so long queries can never
    hold every worker. A query past the time limit gets its worker killed and replaced.
    """

    def __init__(self, store_dir: str, size: int, most: int, timeout: float, max_rows: int):
        self.store_dir, self.most, self.timeout, self.max_rows = store_dir, most, timeout, max_rows
        self.sandboxed = True  # every worker so far runs without network
        self._ctx = multiprocessing.get_context("forkserver")  # no fork of a threaded server
        self._ctx.set_forkserver_preload(["kg.serve"])  # a new worker starts in milliseconds
        self._idle: list[_Worker] = []
        self._waiting: list[queue.Queue] = []  # a slot per request waiting for a worker
        self._all: set = set()
        self._lock = threading.Lock()
        self._long = threading.BoundedSemaphore(size)
        for worker in [self._start() for _ in range(size)]:
            self._ready(worker)  # at start: a store that cannot be opened is seen at once
            self._give(worker)

    def _start(self) -> _Worker:
        mine, theirs = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker, args=(self.store_dir, theirs, self.max_rows),
                                 daemon=True, name="kg-serve-worker")
        proc.start()
        theirs.close()
        self._all.add(proc)
        return _Worker(proc, mine)

    def _stop(self, worker: _Worker) -> None:
        worker.proc.kill()
        worker.proc.join()
        worker.conn.close()
        self._all.discard(worker.proc)

    def _take(self) -> _Worker | None:
        """An idle worker, a new one if all are busy and there is room, else the first to be
        free within the time limit (None if none is)."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if len(self._all) < self.most:
                return self._start()
            slot: queue.Queue = queue.Queue(maxsize=1)
            self._waiting.append(slot)
        try:
            return slot.get(timeout=self.timeout)
        except queue.Empty:
            with self._lock:
                if slot in self._waiting:
                    self._waiting.remove(slot)
                    return None
            return slot.get()  # a worker was handed over just now

    def _give(self, worker: _Worker) -> None:
        """A free worker goes to the request that has waited least (last in, first out): when
        a flood of long queries keeps every worker busy, a request that just came is served
        next instead of after the flood; the older waiters get 503 when their wait runs out."""
        with self._lock:
            if self._waiting:
                self._waiting.pop().put(worker)
            else:
                self._idle.append(worker)

    def run(self, query: str, accept: str) -> tuple:
        """Run a query on a worker: its reply, or 503 when it overran the time limit (which
        counts the query's run, not the wait for a worker) or was one long query too many."""
        worker = self._take()
        if worker is None:
            return _text(503, f"busy: no worker free within {self.timeout:g} s")
        try:
            self._ready(worker)
            deadline = time.monotonic() + self.timeout
            worker.conn.send((query, accept))
            if self._answers(worker, deadline):
                reply = worker.conn.recv()
                self._give(worker)
                return reply
            status = _text(503, f"query stopped: it ran past the {self.timeout:g} s time limit"
                           if time.monotonic() >= deadline else
                           "query stopped: too many long queries are running; try again later")
        except (EOFError, OSError):
            status = _text(500, "the query's worker failed; it has been restarted")
        with self._lock:
            self._stop(worker)
            replacement = self._start()
        self._give(replacement)
        return status

    def _ready(self, worker: _Worker) -> None:
        """Wait for a new worker to open the store (and learn whether it is sandboxed)."""
        if not worker.ready:
            if not worker.conn.poll(STARTUP):
                raise OSError("a worker did not start")
            self.sandboxed &= worker.conn.recv()
            worker.ready = True

    def _answers(self, worker: _Worker, deadline: float) -> bool:
        """Whether the worker answers by the deadline. Past LONG_QUERY seconds the query must
        take one of the places for long queries; with none free it is given up at once."""
        if worker.conn.poll(min(LONG_QUERY, deadline - time.monotonic())):
            return True
        if time.monotonic() >= deadline or not self._long.acquire(blocking=False):
            return False
        try:
            return worker.conn.poll(max(0.0, deadline - time.monotonic()))
        finally:
            self._long.release()

    def close(self) -> None:
        with self._lock:
            for proc in list(self._all):
                proc.kill()
                proc.join()
            self._all.clear()


class Endpoint:
    """The endpoint for one graph: load it, then ``serve_forever()``; ``close()`` cleans up."""

    def __init__(self, graph: Path, host: str = "127.0.0.1", port: int = 7878,
                 timeout: float = 10.0, max_rows: int = 10_000, workers: int = 2,
                 max_workers: int = 8, idle_timeout: int = 30, path: str = "/sparql",
                 log: bool = True, cors: bool = False):
        self.path, self.timeout, self.max_rows, self.cors = path, timeout, max_rows, cors
        self.log = log
        self._dir = tempfile.mkdtemp(prefix="kg-serve-")
        try:
            # the store `kg build` wrote beside the graph when it is current, else a new one
            store_dir = _built(graph, self._dir)
            if store_dir is None:
                store_dir = self._dir
                self.triples = _load(graph, store_dir)
            else:
                self.triples = len(ox.Store.read_only(store_dir))
            self.workers = Workers(store_dir, workers, max(workers, max_workers), timeout,
                                   max_rows)
            self.explorer = Explorer(store_dir, self.workers.run)  # the page at /, its API
            self.server = waitress.create_server(
                self.app, host=host, port=port, ident="paperkg",
                # a thread per running or waiting query (waiters beyond these would queue in
                # waitress in arrival order, behind a flood of long queries), and two spare
                threads=4 * max(workers, max_workers) + 2,
                connection_limit=CONNECTIONS, channel_timeout=idle_timeout,
                cleanup_interval=max(1, idle_timeout // 2),
                max_request_header_size=MAX_HEADERS, max_request_body_size=MAX_BODY,
                asyncore_use_poll=True)  # select() fails past 1,024 descriptors
        except BaseException:
            self.close()
            raise
        host, port = self.server.effective_host, self.server.effective_port
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"

    def serve_forever(self) -> None:
        self.server.run()

    def shutdown(self) -> None:
        """Stop serve_forever() running in another thread: close every connection and the
        listening socket from the server's own loop, which then ends."""
        def close_all() -> None:
            for channel in list(self.server._map.values()):
                channel.close()

        self.server.trigger.pull_trigger(close_all)

    def close(self) -> None:
        if hasattr(self, "server"):
            self.server.task_dispatcher.shutdown(timeout=1)
            for channel in list(self.server._map.values()):
                channel.close()
        if hasattr(self, "explorer"):
            self.explorer.close()
        if hasattr(self, "workers"):
            self.workers.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def app(self, environ, start_response):
        status, ctype, body, headers = self._handle(environ)
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", ctype), ("Content-Length", str(len(body))),
                        ("Vary", "Accept"), *headers.items(),
                        *([("Access-Control-Allow-Origin", "*")] if self.cors else [])])
        if self.log:
            target = environ.get("PATH_INFO", "") + "?" * bool(environ.get("QUERY_STRING"))
            print(f'{environ.get("REMOTE_ADDR", "-")} "{environ["REQUEST_METHOD"]} '
                  f'{target}{environ.get("QUERY_STRING", "")[:200]}" {status} {len(body)}',
                  file=sys.stderr, flush=True)
        return [body]

    def _handle(self, environ) -> tuple:
        method, route = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if route.startswith("/api/") or (route == "/" and method in ("GET", "HEAD")
                                         and "query" not in params):
            return self.explorer.handle(method, route, params)  # the explorer (kg.explore)
        if route == "/update":
            return _text(403, "read-only endpoint: updates are refused")
        if route not in (self.path, "/query", "/"):
            return _text(404, f"no such resource: the endpoint is {self.path}")
        if method == "POST":
            ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            body = environ["wsgi.input"].read(MAX_BODY + 1)  # waitress has checked the size
            if len(body) > MAX_BODY:
                return _text(413, f"request body over {MAX_BODY} bytes")
            if ctype == "application/sparql-update":
                return _text(403, "read-only endpoint: updates are refused")
            if ctype == "application/x-www-form-urlencoded":
                for k, v in parse_qs(body.decode("utf-8", "replace")).items():
                    params.setdefault(k, []).extend(v)
            elif ctype == "application/sparql-query":
                params.setdefault("query", []).append(body.decode("utf-8", "replace"))
            else:
                return _text(415, "POST a form (application/x-www-form-urlencoded) or "
                                  "application/sparql-query")
        elif method == "OPTIONS" and self.cors:  # a browser's preflight (YASGUI and the like)
            return 204, "text/plain", b"", {"Access-Control-Allow-Methods": "GET, POST",
                                            "Access-Control-Allow-Headers": "Content-Type, Accept"}
        elif method != "GET":
            return 405, "text/plain", b"GET or POST\n", {"Allow": "GET, POST"}
        if "update" in params:
            return _text(403, "read-only endpoint: updates are refused")
        if any(v for k in ("default-graph-uri", "named-graph-uri") for v in params.get(k, [])):
            return _text(400, "default-graph-uri and named-graph-uri are not supported: "
                              "the endpoint serves one graph")
        queries = params.get("query", [])
        if not queries:
            return _text(200 if method == "GET" else 400, HELP.format(
                path=self.path, timeout=self.timeout, max_rows=self.max_rows))
        if len(queries) > 1:
            return _text(400, "one query at a time")
        return self.workers.run(queries[0], environ.get("HTTP_ACCEPT", ""))


def _built(graph: Path, tmp: str) -> str | None:
    """A copy (hard links where it can) in tmp of the store `kg build` wrote beside the graph,
    when current: immune to a rebuild replacing it while the endpoint runs."""
    built = current_store(graph)
    if built is None:
        return None

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(built, Path(tmp) / "built", copy_function=link)
    return str(Path(tmp) / "built")


def _load(graph: Path, store_dir: str) -> int:
    """Load the Turtle into an on-disk store in store_dir (closed again): its size in triples."""
    store = load_turtle(ox.Store(store_dir), graph)
    store.flush()
    size = len(store)
    del store  # the workers open it read-only
    return size
