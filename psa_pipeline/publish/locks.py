"""Publishing's locks: a destination file held exclusively, with a deadline and a clear message."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psa_pipeline.core.i18n import _
from psa_pipeline.core.oslock import POLL_SECONDS, try_lock, unlock
from psa_pipeline.publish.destinations import PublishError


@contextmanager
def file_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """Hold `path` exclusively; wait up to `timeout` seconds, then fail naming `what` is busy.

    The operating system drops the lock when its holder dies (kill -9, power cut), so a crashed
    publisher never leaves the destination locked.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with path.open("a+b") as handle:
        while not try_lock(handle):
            if time.monotonic() > deadline:
                raise PublishError(
                    _("{what} is being published by another psa process (lock {path} held for over {seconds:.0f} s); "
                      "run again when it has finished").format(what=what, path=path, seconds=timeout)
                )  # fmt: skip
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            unlock(handle)


def unique_suffix() -> str:
    # pid alone is not unique: two threads of one process, or two hosts sharing a folder.
    return f"{os.getpid()}.{os.urandom(4).hex()}"
