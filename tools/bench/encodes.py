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
    """Environment whose PATH starts with an `ffmpeg` that appends its arguments to `log`, then runs ffmpeg."""
    real = shutil.which("ffmpeg")
    if real is None:
        raise BenchError("ffmpeg is not installed")
    shim_dir.mkdir(parents=True, exist_ok=True)
    shim = shim_dir / "ffmpeg"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "$PSA_BENCH_FFMPEG_LOG"\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    log.unlink(missing_ok=True)
    return {
        **os.environ,
        "PATH": f"{shim_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PSA_BENCH_FFMPEG_LOG": str(log),
    }


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
