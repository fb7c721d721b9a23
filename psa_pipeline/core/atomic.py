"""Files that appear whole or not at all: write under a temporary name, fsync, rename."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from psa_pipeline.core.problems import DiskFullError


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
    except OSError as exc:
        if exc.errno == errno.ENOSPC:  # typed, so callers need not look for "disk full" in messages
            raise DiskFullError(f"{path}: no space left on device (disk full)") from None
        raise
    finally:
        temporary.unlink(missing_ok=True)
