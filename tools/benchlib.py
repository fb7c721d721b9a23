"""What the two benchmark scripts share: how busy the machine is, waiting for it to go quiet, atomic writes."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path


def psa_tool() -> str:
    return str(Path(sys.executable).parent / "psa")


def machine_busy_seconds() -> float | None:
    """CPU time the whole machine has spent busy since boot, from /proc/stat (None elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_wait: float) -> float:
    """Wait (up to `max_wait` s) until other processes use under a fifth of a core; return the seconds waited.

    Other sessions may share the machine; starting a run in the middle of their burst would time them too.
    """
    began = time.perf_counter()
    while True:
        before = machine_busy_seconds()
        time.sleep(2.0)
        after = machine_busy_seconds()
        waited = time.perf_counter() - began
        if before is None or after is None or (after - before) / 2.0 < 0.2 or waited >= max_wait:
            return waited
        time.sleep(1.0)


def write_atomically(target: Path, make: Callable[[Path], object]) -> None:
    """`make` writes a hidden temporary file; only a complete one takes the target's name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part{target.suffix}")
    make(temporary)
    os.replace(temporary, target)
