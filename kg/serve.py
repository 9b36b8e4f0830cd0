"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint over an exported graph.

The ``oxigraph`` package's server has a read-only mode and a query timeout but no cap on
result rows, so this is a thin layer of glue instead: the standard library's WSGI server for
HTTP, pyoxigraph for SPARQL and kg.query for the result formats. Each query runs in a worker
process that holds a read-only copy of the store on disk (loaded once, at start). A running
pyoxigraph query cannot be interrupted, so a query past the time limit is stopped by killing
its worker, which is replaced at once. Updates are refused (403) before they reach a worker,
and could not change anything there anyway: the workers' store is opened read-only.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import queue
import shutil
import tempfile
import time
from dataclasses import dataclass
from http import HTTPStatus
from multiprocessing.connection import Connection
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pyoxigraph as ox

from kg.export.rdf import current_store
from kg.query import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    QueryError,
    UpdateRefused,
    execute,
    load_turtle,
    serialize,
    uses_service,
)

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
STARTUP = 60.0  # seconds a new worker may take to start and open the store
HELP = """paperkg SPARQL endpoint (read-only)

  GET  {path}?query=...                          (URL-encoded)
  POST {path}   Content-Type: application/x-www-form-urlencoded   query=...
  POST {path}   Content-Type: application/sparql-query             (the query as body)

Results: JSON, XML, CSV or TSV (SELECT, ASK); Turtle, N-Triples or RDF/XML (CONSTRUCT,
DESCRIBE), chosen by the Accept header. Prefixes kg, rdf, rdfs, skos, dcterms, owl, xsd,
schema and prov are predeclared. Time limit {timeout:g} s a query, at most {max_rows} rows.
"""


def negotiate(accept: str, kind: str) -> str | None:
    """The format to answer in: the best of the Accept header that fits the result's kind."""
    types = GRAPH_TYPES if kind == "graph" else RESULT_TYPES
    default = next(iter(types.values()))
    ranges = []
    for i, part in enumerate((accept or "*/*").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            ranges.append((-float(q), i, media.lower()))
        except ValueError:
            continue
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


def answer(store: ox.Store, query: str, accept: str, max_rows: int) -> tuple:
    """(HTTP status, content type, body, extra headers) for a query."""
    if uses_service(query):  # the endpoint must not be a way to make this machine fetch URLs
        return _text(403, "SERVICE (a federated query) is refused by this endpoint")
    try:
        result = execute(store, query)
        fmt = negotiate(accept, result.kind)
        if fmt is None:
            offered = GRAPH_TYPES if result.kind == "graph" else RESULT_TYPES
            return _text(406, f"cannot answer in {accept!r}: try one of {', '.join(offered)}")
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
    store = ox.Store.read_only(store_dir)
    conn.send("ready")
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
    """Worker processes; a query that overruns the time limit gets its worker killed."""

    def __init__(self, store_dir: str, size: int, timeout: float, max_rows: int):
        self.store_dir, self.timeout, self.max_rows = store_dir, timeout, max_rows
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.Queue = queue.Queue()
        self._all: set = set()
        for _ in range(size):
            self._idle.put(self._start())

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

    def run(self, query: str, accept: str) -> tuple:
        """Run a query on a free worker: its reply, or 503 when it overran the time limit
        (which counts the query's run, not the wait for a free worker or for a new one)."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return _text(503, f"busy: no worker free within {self.timeout:g} s")
        try:
            if not worker.ready:  # a new one: wait for it to open the store
                worker.ready = worker.conn.poll(STARTUP) and worker.conn.recv() == "ready"
                if not worker.ready:
                    raise OSError("the worker did not start")
            deadline = time.monotonic() + self.timeout
            worker.conn.send((query, accept))
            if worker.conn.poll(max(0.0, deadline - time.monotonic())):
                reply = worker.conn.recv()
                self._idle.put(worker)
                return reply
            status = _text(503, f"query stopped: it ran past the {self.timeout:g} s time limit")
        except (EOFError, OSError):
            status = _text(500, "the query's worker failed; it has been restarted")
        self._stop(worker)
        self._idle.put(self._start())
        return status

    def close(self) -> None:
        for proc in list(self._all):
            proc.kill()
            proc.join()
        self._all.clear()


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        pass


class Endpoint:
    """The endpoint for one graph: load it, then ``serve_forever()``; ``close()`` cleans up."""

    def __init__(self, graph: Path, host: str = "127.0.0.1", port: int = 7878,
                 timeout: float = 10.0, max_rows: int = 10_000, workers: int = 2,
                 path: str = "/sparql", log: bool = True, cors: bool = False):
        self.path, self.timeout, self.max_rows, self.cors = path, timeout, max_rows, cors
        self._dir = tempfile.mkdtemp(prefix="kg-serve-")
        try:
            store_dir = _built(graph, self._dir)
            self.triples = _load(graph, self._dir) if store_dir is None else len(
                ox.Store.read_only(store_dir))
            self.workers = Workers(store_dir or self._dir, workers, timeout, max_rows)
            self.httpd = make_server(host, port, self.app, server_class=_ThreadingServer,
                                     handler_class=WSGIRequestHandler if log else _QuietHandler)
        except BaseException:
            self.close()
            raise
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Stop serve_forever() running in another thread."""
        self.httpd.shutdown()

    def close(self) -> None:
        if hasattr(self, "httpd"):
            self.httpd.server_close()
        if hasattr(self, "workers"):
            self.workers.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def app(self, environ, start_response):
        status, ctype, body, headers = self._handle(environ)
        start_response(f"{status} {HTTPStatus(status).phrase}",
                       [("Content-Type", ctype), ("Content-Length", str(len(body))),
                        ("Vary", "Accept"), *headers.items(),
                        *([("Access-Control-Allow-Origin", "*")] if self.cors else [])])
        return [body]

    def _handle(self, environ) -> tuple:
        method, route = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if route == "/update":
            return _text(403, "read-only endpoint: updates are refused")
        if route not in (self.path, "/query", "/"):
            return _text(404, f"no such resource: the endpoint is {self.path}")
        if method == "POST":
            ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length > MAX_BODY:
                return _text(413, f"request body over {MAX_BODY} bytes")
            body = environ["wsgi.input"].read(length)
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
