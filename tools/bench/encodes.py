"""Counting what each approach really encodes: every ffmpeg it starts is logged by a shim first on PATH.

Independent of psa's own record: the shim sees the command lines, so "each picture encoded once"
is counted, not taken on trust. psa's audio corrections are read from its renditions.json.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from common import BenchError


def logging_env(shim_dir: Path, log: Path) -> dict[str, str]:
    """Environment whose PATH starts with an `ffmpeg` and an `ffprobe` that append their arguments to `log`.

    ffmpeg's lines are its arguments; ffprobe's start with `ffprobe `.
    """
    shim_dir.mkdir(parents=True, exist_ok=True)
    for tool, prefix in (("ffmpeg", ""), ("ffprobe", "ffprobe ")):
        real = shutil.which(tool)
        if real is None:
            raise BenchError(f"{tool} is not installed")
        shim = shim_dir / tool
        text = f'#!/bin/sh\nprintf "{prefix}%s\\n" "$*" >> "$PSA_BENCH_FFMPEG_LOG"\nexec "{real}" "$@"\n'
        # Left untouched when it is already there: psa remembers ffmpeg's version by the binary's mtime.
        if not shim.is_file() or shim.read_text() != text:
            shim.write_text(text)
            shim.chmod(0o755)
    log.unlink(missing_ok=True)
    return {
        **os.environ,
        "PATH": f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PSA_BENCH_FFMPEG_LOG": str(log),
    }


def tool_runs(log: Path) -> list[str]:
    """The logged command lines, one per ffmpeg or ffprobe run."""
    return log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []


def reads_of(log: Path, path: Path) -> tuple[int, int]:
    """(ffmpeg runs that decode `path`, ffprobe runs that probe it): how often a shared file was prepared."""
    runs = tool_runs(log)
    decoded = sum(1 for line in runs if not line.startswith("ffprobe ") and f"-i {path} " in f"{line} ")
    probed = sum(1 for line in runs if line.startswith("ffprobe ") and line.endswith(f" {path}"))
    return decoded, probed


def x264_encodes(log: Path) -> int | None:
    """How many H.264 encodes the logged ffmpeg runs made (one per `-c:v libx264` output)."""
    if not log.is_file():
        return None
    text = log.read_text(encoding="utf-8", errors="replace")
    return text.count("-c:v libx264") + text.count("-vcodec libx264")


def audio_corrections(build: Path) -> list[int]:
    """psa's audio-only re-encodes per rendition, from every renditions.json under `build`."""
    found: list[int] = []
    for record in sorted(build.glob("*/renditions.json")):
        data = json.loads(record.read_text(encoding="utf-8"))
        found += [int(entry.get("audio_corrections", 0)) for entry in data.get("renditions", [])]
    return found
