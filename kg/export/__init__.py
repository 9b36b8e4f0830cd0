"""Export stage: the graph -> files (Turtle, node-link JSON, HTML), written atomically."""

from __future__ import annotations

import fcntl
import glob
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

DEFAULT_BASE = "https://w3id.org/paperkg/id/"


class OutputError(Exception):
    """An output that cannot be written (read-only or full file system, a path through a
    file, ...), in one line."""


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on a directory (flock on the directory itself, so no lock file
    is left beside the outputs): whatever temporary file is there meanwhile is no other live
    writer's, and so a leftover of one that was killed."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # which releases the lock


def check_writable(directory: Path) -> None:
    """Make the directory and a file in it, now: a build must not find out that it cannot
    write after the whole extraction has run."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".kg-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"{directory}: cannot write there: {e.strerror or e}") from None


def write_atomically(files: Iterable[tuple[Path, Callable[[], str]]]) -> list[Path]:
    """Render every file to a temporary name beside its target, then rename them all.

    Nothing is renamed until every file has rendered, so a failure (or an interrupt) leaves
    the previous outputs untouched and no partial file behind. Temporary files that a killed
    run left beside the targets are removed first.
    """
    files = list(files)
    temps: list[tuple[Path, Path]] = []
    with ExitStack() as cleanup:
        for directory in sorted({t.parent for t, _ in files}):
            with _writing(directory):
                directory.mkdir(parents=True, exist_ok=True)
                cleanup.enter_context(locked(directory))
                for t, _ in files:
                    if t.parent == directory:
                        for stale in directory.glob(f".{glob.escape(t.name)}.*.tmp"):
                            stale.unlink(missing_ok=True)
        for target, render in files:
            text = render()
            with _writing(target):
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                           dir=target.parent)
                tmp_path = Path(tmp)
                cleanup.callback(lambda p=tmp_path: p.unlink(missing_ok=True))
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                    os.fchmod(fd, 0o644)
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())  # on disk before the rename: a crash leaves no empty file
            temps.append((tmp_path, target))
        for tmp_path, target in temps:
            with _writing(target):
                os.replace(tmp_path, target)
    return [target for _, target in temps]


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A file-system error while writing path, as one line."""
    try:
        yield
    except OSError as e:
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
