"""What the benchmarks share: running tools, how busy the machine is, waiting for it to go quiet, atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


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


def run_child(command: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, int, Any]:
    """Run `command` as a child with its output in `log`: (wall seconds, exit code, its wait4 rusage).

    The rusage covers the child and every descendant it waited for (ru_maxrss: the largest one).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return wall, process.returncode, usage


def others_cpu(busy_before: float | None, busy_after: float | None, own_cpu: float) -> float | None:
    """CPU seconds other processes used on the machine meanwhile: how far to trust a timing."""
    if busy_before is None or busy_after is None:
        return None
    return round(max(0.0, busy_after - busy_before - own_cpu), 2)


def write_atomically(target: Path, make: Callable[[Path], object]) -> None:
    """`make` writes a hidden temporary file; only a complete one takes the target's name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part{target.suffix}")
    make(temporary)
    os.replace(temporary, target)


ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent  # `python tools/bench` runs its __main__.py

BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]


class BenchError(Exception):
    """A tool is missing or a step failed; the message says which."""


def run(command: Sequence[str], cwd: Path | None = None, timeout: float = 3600) -> str:
    """Run a command (argument list); return its stderr; BenchError with the gist if it fails."""
    try:
        result = subprocess.run(
            list(command), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise BenchError(f"{command[0]} is not installed") from None
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        tail = " | ".join(line.strip() for line in stderr.splitlines()[-4:] if line.strip())
        raise BenchError(f"{Path(command[0]).name} failed ({result.returncode}): {tail[:800]}")
    return stderr


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")
