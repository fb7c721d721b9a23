"""Exclusive locks on an open file that other processes (and other machines, on NFS/SMB) respect.

`fcntl` exists only on POSIX and `msvcrt` only on Windows, so each is imported where it is used:
agencies run `psa validate` on Windows laptops, and every module is imported when psa starts.
The operating system drops a lock when its holder dies (kill -9, power cut).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

POLL_SECONDS = 0.02


def try_lock(handle: IO[Any]) -> bool:
    """Take the lock if it is free; False at once if another process holds it."""
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


def unlock(handle: IO[Any]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def held(handle: IO[Any]) -> Iterator[None]:
    """Wait for the lock as long as it takes (for short critical sections), hold it, release it."""
    while not try_lock(handle):
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        unlock(handle)
