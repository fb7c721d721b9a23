"""Run ffmpeg, report its progress, and turn its failures into one clear message."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from psa_pipeline.core.problems import DiskFullError, MediaError

ProgressCallback = Callable[[float], None]


def run_ffmpeg(
    command: Sequence[str],
    cwd: Path | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float = 3600,
) -> str:
    """Run `command`; call `on_progress(seconds_done)` from its `-progress pipe:1` lines; return stderr."""
    try:
        process = subprocess.Popen(
            list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, errors="replace",
        )  # fmt: skip
    except FileNotFoundError:
        raise MediaError("ffmpeg is not installed (run `make demo` or install the ffmpeg package)") from None
    stderr_lines: list[str] = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(process.stderr or []), daemon=True)
    reader.start()
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stdout or []:
            key, _, value = line.strip().partition("=")
            if on_progress and key == "out_time_us" and value.isdigit():
                on_progress(int(value) / 1_000_000)
        process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        timer.cancel()
        reader.join(timeout=5)
    stderr = "".join(stderr_lines)
    # ffmpeg can exit 0 after failing to write an output (a full disk while finishing an MP4): trust the log too.
    write_failure = next((line for line in stderr.splitlines() if _WRITE_FAILURE.search(line)), None)
    if (write_failure is not None or process.returncode > 0) and "No space left on device" in stderr:
        raise DiskFullError("ffmpeg could not write its output: no space left on device (disk full)")
    if write_failure is not None and process.returncode >= 0:
        raise MediaError(f"ffmpeg could not write its output: {_gist(stderr)}")
    if process.returncode != 0:
        if process.returncode < 0:
            raise MediaError(f"ffmpeg was stopped (signal {-process.returncode})")
        raise MediaError(f"ffmpeg failed: {_gist(stderr)}")
    return stderr


_WRITE_FAILURE = re.compile(
    r"No space left on device|Error writing trailer|Error closing file|av_interleaved_write_frame\(\)|"
    r"Failed to update header|Disk quota exceeded"
)


def _gist(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if "No space left on device" in line:
            return "no space left on device (disk full)"
    return " | ".join(lines[-3:])[:600] if lines else "no error message"
