"""Files that appear whole or not at all: write under a temporary name, fsync, rename."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def temporary_name(path: Path) -> Path:
    # Hidden and marked .part, so nothing that lists finished files mistakes it for one.
    return path.with_name(f".{path.name}.{os.getpid()}.part")


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    temporary = temporary_name(path)
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
