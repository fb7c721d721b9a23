"""An exclusive lock on a file that other processes and other machines (NFS, SMB shares) respect.

`fcntl` exists only on POSIX and `msvcrt` only on Windows, so each is imported where it is used:
the validate path imports the publish package's config models on every platform.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from psa_pipeline.publish.destinations import PublishError

POLL_SECONDS = 0.02


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
                    f"{what} is being published by another psa process (lock {path} held for over {timeout:.0f} s); "
                    "run again when it has finished"
                )
            time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            unlock(handle)


def try_lock(handle: BinaryIO) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(handle: BinaryIO) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def unique_suffix() -> str:
    # pid alone is not unique: two threads of one process, or two hosts sharing a folder.
    return f"{os.getpid()}.{os.urandom(4).hex()}"
