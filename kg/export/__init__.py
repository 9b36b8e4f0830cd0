"""Export stage: the graph -> files (Turtle, node-link JSON, HTML), written atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path

DEFAULT_BASE = "https://w3id.org/paperkg/id/"


def write_atomically(files: Iterable[tuple[Path, Callable[[], str]]]) -> list[Path]:
    """Render every file to a temporary name beside its target, then rename them all.

    Nothing is renamed until every file has rendered, so a failure (or an interrupt) leaves
    the previous outputs untouched and no partial file behind.
    """
    temps: list[tuple[Path, Path]] = []
    with ExitStack() as cleanup:
        for target, render in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            tmp_path = Path(tmp)
            cleanup.callback(lambda p=tmp_path: p.unlink(missing_ok=True))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                os.fchmod(fd, 0o644)
                f.write(render())
                f.flush()
                os.fsync(f.fileno())  # on disk before the rename: a crash leaves no empty file
            temps.append((tmp_path, target))
        for tmp_path, target in temps:
            os.replace(tmp_path, target)
    return [target for _, target in temps]
