"""Extraction fanned out at the paper level: in this process, over worker processes, or over a
Dask cluster; the same per-chunk function everywhere.

A chunk of papers goes out, their cache records (`kg.store.encode` and `kg.store.encode_names`
of each `Extraction`, in input order) come back: the whole per-paper extraction, paper-level
rules included, runs in the worker, which builds the spaCy pipeline once (on its first chunk)
and keeps it. Results are taken in submission order, so what is stored, and so every output
byte, does not depend on the number of workers or on which worker was fastest. At most a few
chunks per worker are in flight, which bounds memory whatever the corpus size.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from kg.model import Paper
from kg.store import encode, encode_names

CHUNK = 32  # papers per task: ~0.6 s of work, small enough for a smooth progress bar
IN_FLIGHT = 3  # chunks queued per worker, so that none waits for the next
# one BLAS/OpenMP thread per worker process: the workers are the parallelism
_ONE_THREAD = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

_pipelines: dict[tuple[str, ...], object] = {}


def load_pipeline(lexicons: tuple[str, ...]):
    """This process's extraction pipeline for these user lexicons, built on first use."""
    if lexicons not in _pipelines:
        from kg.extract import build_pipeline  # spaCy is imported only where it runs

        _pipelines[lexicons] = build_pipeline(lexicons=[*map(os.fspath, lexicons)])
    return _pipelines[lexicons]


def extract_chunk(papers: list[Paper], lexicons: tuple[str, ...] = ()
                  ) -> list[tuple[bytes, bytes]]:
    """The cache records of a chunk of papers, in order (the task every worker runs)."""
    from kg.extract import extract

    return [(encode(x), encode_names(x)) for x in extract(papers, load_pipeline(lexicons))]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


class _InProcess:
    """The executor interface run inline, for one worker (no process to start)."""

    class _Done:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

    slots = 1

    def submit(self, fn, *args):
        return self._Done(fn(*args))

    def close(self) -> None:
        pass


class _Processes:
    def __init__(self, workers: int):
        for var, value in _ONE_THREAD.items():
            os.environ.setdefault(var, value)  # inherited by the worker processes
        self.pool = ProcessPoolExecutor(workers,
                                        mp_context=multiprocessing.get_context("forkserver"))
        self.slots = workers * IN_FLIGHT

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class _Dask:
    """A Dask cluster: ``local`` starts a LocalCluster of processes (one thread each) on this
    machine; anything else is a scheduler address (``tcp://host:8786``)."""

    def __init__(self, address: str, workers: int):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("--dask needs Dask: pip install 'paperkg[dask]'") from None
        if address == "local":
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, env=_ONE_THREAD)
            self.client = Client(self.cluster)
        else:
            self.cluster = None
            self.client = Client(address)
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = threads * IN_FLIGHT

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def extract_chunks(chunks: Iterable[list[Paper]], lexicons: tuple[str, ...] = (),
                   workers: int = 1, dask: str | None = None
                   ) -> Iterator[list[tuple[bytes, bytes]]]:
    """The records of each chunk, in the order of `chunks`, extracted by `workers` processes
    (inline for 1) or on the Dask cluster at `dask`."""
    executor = (_Dask(dask, workers) if dask else _Processes(workers) if workers > 1
                else _InProcess())
    pending: deque = deque()
    try:
        for chunk in chunks:
            pending.append(executor.submit(extract_chunk, chunk, lexicons))
            while len(pending) >= executor.slots:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        executor.close()
