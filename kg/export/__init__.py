"""Export stage: the graph -> files (Turtle, N-Triples, node-link JSON, HTML, an Oxigraph
store), written atomically: each to a temporary name beside its target, renamed when all are
ready, in a directory locked against another writer. A file-system error is one line."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

DEFAULT_BASE = "https://w3id.org/paperkg/id/"
TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"


class OutputError(Exception):
    """An output that cannot be written (read-only or full file system, a path through a
    file, another writer at work, ...), in one line."""


@contextmanager
def writing(path: Path, doing: str = "cannot write") -> Iterator[None]:
    """A file-system error while writing `path`, as one line: "<path>: <doing>: <why>"."""
    try:
        yield
    except OSError as e:
        what = {errno.ENOTDIR: "not a directory", errno.EEXIST: "not a directory",
                errno.EROFS: "read-only file system",
                errno.EACCES: "not writable (permission denied)",
                errno.ENOSPC: "no space left on device"}.get(e.errno, e.strerror or str(e))
        raise OutputError(f"{path}: {doing}: {what}") from None


@contextmanager
def locked(directory: Path, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on a directory (flock on the directory itself, so no lock file
    is left beside the outputs): whatever temporary file is there meanwhile is no other live
    writer's, and so a leftover of one that was killed. With `wait` False, a directory that
    another writer holds is an `OutputError` at once."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise OutputError(f"{directory}: another kg build is writing there") from None
        yield
    finally:
        os.close(fd)  # which releases the lock


def check_writable(directory: Path, need: int = 0) -> None:
    """Make the directory and write a file in it, now, and see that `need` bytes are free:
    a build must not find out that it cannot write after the whole extraction has run."""
    with writing(directory, "cannot write there"):
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".kg-probe-", dir=directory)
        try:
            os.write(fd, b"paperkg")
        finally:
            os.close(fd)
            os.unlink(probe)
    free = shutil.disk_usage(directory).free
    if free < need:
        raise OutputError(f"{directory}: not enough space: {free / 2**20:,.0f} MiB free, the "
                          f"outputs need about {need / 2**20:,.0f} MiB")


class Staging:
    """Temporary files and directories beside their targets, for `staged` to rename."""

    def __init__(self) -> None:
        self.temps: list[tuple[Path, Path]] = []

    def file(self, target: Path) -> Path:
        """A new empty temporary file that becomes `target`."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX,
                                   dir=target.parent)
        os.fchmod(fd, 0o644)
        os.close(fd)
        self.temps.append((Path(tmp), target))
        return Path(tmp)

    def directory(self, target: Path) -> Path:
        """A new empty temporary directory that replaces the directory `target`."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX,
                                    dir=target.parent))
        tmp.chmod(0o755)
        self.temps.append((tmp, target))
        return tmp


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def staged() -> Iterator[Staging]:
    """Write into ``staging.file(target)`` / ``staging.directory(target)``; when the block
    ends without an error, every file is synced to disk and renamed to its target (files
    first, then directories). On an error (or an interrupt) the temporaries are removed and
    the previous outputs are untouched; a build killed outright leaves temporaries that
    `remove_stale` clears."""
    staging = Staging()
    try:
        yield staging
        for tmp, target in staging.temps:
            if tmp.is_file():
                with writing(target), open(tmp, "rb") as f:
                    os.fsync(f.fileno())  # on disk before the rename: a crash leaves no empty file
        for tmp, target in sorted(staging.temps, key=lambda t: t[0].is_dir()):
            if tmp.is_dir() and target.exists():
                old = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{target.name}.",
                                            suffix=TEMP_SUFFIX, dir=target.parent))
                os.replace(target, old / "old")
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
    finally:
        for tmp, _ in staging.temps:
            if tmp.exists():
                _remove(tmp)


def remove_stale(directory: Path, names: Iterable[str]) -> None:
    """Remove the temporaries a killed build left for these target names."""
    for name in names:
        for tmp in directory.glob(f"{TEMP_PREFIX}{name}.*{TEMP_SUFFIX}"):
            _remove(tmp)


def write_atomically(files: Iterable[tuple[Path, Callable[[], str]]]) -> list[Path]:
    """Render every file to a temporary name beside its target, then rename them all.

    Nothing is renamed until every file has rendered, so a failure (or an interrupt) leaves
    the previous outputs untouched and no partial file behind; temporaries a killed run left
    beside the targets are removed first.
    """
    files = list(files)
    targets = []
    with ExitStack() as stack:
        for directory in sorted({t.parent for t, _ in files}):
            with writing(directory):
                directory.mkdir(parents=True, exist_ok=True)
            stack.enter_context(locked(directory))
            remove_stale(directory, [t.name for t, _ in files if t.parent == directory])
        with writing(files[0][0] if files else Path()), staged() as staging:
            for target, render in files:
                text = render()
                with writing(target), open(staging.file(target), "w", encoding="utf-8",
                                           newline="\n") as f:
                    f.write(text)
                targets.append(target)
    return targets
