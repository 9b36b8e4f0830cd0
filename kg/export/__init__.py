"""Export stage: the graph -> files (Turtle, N-Triples, node-link JSON, HTML, an Oxigraph
store), written atomically: each to a temporary name beside its target, renamed when all are
ready."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_BASE = "https://w3id.org/paperkg/id/"
TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"


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
        for tmp, _ in staging.temps:
            if tmp.is_file():
                with open(tmp, "rb") as f:
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
    the previous outputs untouched and no partial file behind.
    """
    targets = []
    with staged() as staging:
        for target, render in files:
            with open(staging.file(target), "w", encoding="utf-8", newline="\n") as f:
                f.write(render())
            targets.append(target)
    return targets
