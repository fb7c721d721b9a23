"""Timing each approach as a child process (wall, CPU and peak RSS from wait4), again if disturbed."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import BENCH_DIR, ROOT, machine_busy_seconds, others_cpu, psa_tool, run_child, wait_for_quiet
from encodes import audio_corrections, logging_env, x264_encodes
from spec import Paths

# ---- 2. timing ------------------------------------------------------------------------------


@dataclass
class Measurement:
    approach: str
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    max_rss_mb: float
    exit_code: int
    log: str
    others_cpu_s: float | None = None
    phases: dict[str, float] = field(default_factory=dict)
    video_encodes: int | None = None  # H.264 encodes the run's ffmpeg processes made (logging shim)
    audio_corrections: list[int] = field(default_factory=list)  # psa: per rendition, from renditions.json
    discarded: list[dict[str, Any]] = field(default_factory=list)  # runs disturbed by other processes


def timed(approach: str, command: list[str], log: Path, env: dict[str, str] | None = None) -> Measurement:
    """Run `command` as a child; wall clock, and from wait4 the CPU and peak RSS of its whole tree.

    wait4 reports the child plus every descendant it waited for; ru_maxrss is the largest single
    process among them, not their sum.
    """
    busy_before = machine_busy_seconds()
    wall, exit_code, usage = run_child(command, log, env)
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(
        approach=approach,
        wall_s=round(wall, 3),
        cpu_s=round(cpu, 3),
        user_s=round(usage.ru_utime, 3),
        sys_s=round(usage.ru_stime, 3),
        max_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        exit_code=exit_code,
        log=str(log),
        others_cpu_s=others_cpu(busy_before, machine_busy_seconds(), cpu),
    )


@dataclass(frozen=True)
class Approach:
    key: str
    mark: str
    label: str


APPROACHES = (
    Approach("psa", "(A)", "psa build --force (full build)"),
    Approach("hand", "(a)", "hand-written ffmpeg"),
    Approach("normalize", "(b)", "ffmpeg-normalize + ffmpeg"),
    Approach("moviepy", "(c)", "moviepy 2.x script"),
    Approach("noop-samples", "(d)", "psa no-op rebuild, projects/"),
    Approach("noop-bench", "(e)", "psa no-op rebuild, bench project"),
)
BY_KEY = {a.key: a for a in APPROACHES}


# A run during which other processes used more than this share of the machine is run again.
BUSY_SHARE = 0.10


def contaminated(m: Measurement) -> bool:
    return m.others_cpu_s is not None and m.others_cpu_s > BUSY_SHARE * m.wall_s * (os.cpu_count() or 1)


def run_clean(key: str, paths: Paths, seconds: float, attempt: int, idle_wait: float, retries: int) -> Measurement:
    """run_once, again (up to `retries` times) while other processes on the machine distort the timing."""
    discarded: list[dict[str, Any]] = []
    for n in range(retries + 1):
        result = run_once(key, paths, seconds, attempt, idle_wait, n)
        if result.exit_code != 0 or not contaminated(result) or n == retries:
            result.discarded = discarded
            return result
        print(f"    {result.wall_s:.2f} s, but other processes used {result.others_cpu_s:.1f} CPU-s meanwhile: again")
        discarded.append(asdict(result))
    raise AssertionError("unreachable")


def run_once(key: str, paths: Paths, seconds: float, attempt: int, idle_wait: float, retry: int) -> Measurement:
    logs = paths.out / "logs"
    log = logs / f"{key}-{attempt}{f'-retry{retry}' if retry else ''}.log"

    ffmpeg_log = log.with_suffix(".ffmpeg")

    def go(command: list[str], log: Path = log) -> Measurement:
        waited = wait_for_quiet(idle_wait)
        if waited > 5:
            print(f"    (waited {waited:.0f} s for other processes to go quiet)", flush=True)
        result = timed(key, command, log, logging_env(paths.out / "shim", ffmpeg_log))
        result.video_encodes = x264_encodes(ffmpeg_log)
        return result

    if key == "psa":
        shutil.rmtree(paths.build("psa"), ignore_errors=True)
        result = go([psa_tool(), "build", str(paths.project), "-o", str(paths.build("psa")), "--force"])
        result.audio_corrections = audio_corrections(paths.build("psa"))
        return result
    if key == "noop-bench":
        return go([psa_tool(), "build", str(paths.project), "-o", str(paths.build("psa"))])
    if key == "noop-samples":
        command = [psa_tool(), "build", str(ROOT / "projects"), "-o", str(paths.build("samples"))]
        if attempt == 1 and retry == 0:
            # The first build of the samples renders them; only the run after it is a no-op.
            warm = timed(key, command, logs / "noop-samples-warm.log")
            if warm.exit_code != 0:
                return warm
        return go(command)
    build = paths.build(key)
    shutil.rmtree(build, ignore_errors=True)
    result = go([sys.executable, str(BENCH_DIR), "--out", str(paths.out), "--seconds", f"{seconds:g}",
                 "--child", key])  # fmt: skip
    with contextlib.suppress(OSError, ValueError):
        result.phases = json.loads((build / ".phases.json").read_text())
    shutil.rmtree(build / ".work", ignore_errors=True)
    return result
