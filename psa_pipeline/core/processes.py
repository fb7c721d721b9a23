"""Whether a process still runs: how a lock or a temporary folder left by a killed run is told from a live one's."""

from __future__ import annotations

import os
import sys


def alive(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # os.kill would end the process there; callers wait for their own expiry instead
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
