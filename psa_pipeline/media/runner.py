"""Every ffmpeg and ffprobe run goes through here: which binary, the command line, timeouts, progress, errors.

Command lines are built elsewhere as argument lists starting with the tool's name ("ffmpeg",
"ffprobe"); this module swaps the name for the binary chosen by `PSA_FFMPEG`/`PSA_FFPROBE` (default:
found on PATH), prints the line shell-quoted to stderr under `psa --verbose` (the first thing to
paste into a bug report), and turns a failure into a typed error that carries the tail of stderr.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from psa_pipeline.core.problems import DiskFullError, MediaError
from psa_pipeline.core.progress import Verbosity, verbosity

ProgressCallback = Callable[[float], None]

TOOLS = {"ffmpeg": "PSA_FFMPEG", "ffprobe": "PSA_FFPROBE"}
STDERR_TAIL_LINES = 3


class ToolMissing(MediaError):
    """ffmpeg or ffprobe cannot be started (not installed, or PSA_FFMPEG/PSA_FFPROBE points nowhere)."""


class ToolTimeout(MediaError):
    """The tool ran longer than its time limit and was stopped."""


class ToolFailed(MediaError):
    """The tool exited with an error (or was killed); `stderr_tail` holds its last words."""

    def __init__(self, message: str, returncode: int, stderr_tail: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


def binary(tool: str) -> str:
    """The executable for `tool`: its environment variable if set, else the one on PATH."""
    variable = TOOLS[tool]
    chosen = os.environ.get(variable, "").strip()
    if chosen:
        return chosen
    return shutil.which(tool) or tool


def resolve(command: Sequence[str]) -> list[str]:
    argv = [str(part) for part in command]
    if argv and argv[0] in TOOLS:
        argv[0] = binary(argv[0])
    return argv


def _start(command: Sequence[str]) -> tuple[str, list[str]]:
    tool = str(command[0]) if command else "?"
    argv = resolve(command)
    if verbosity() >= Verbosity.VERBOSE:
        print(shlex.join(argv), file=sys.stderr, flush=True)
    return tool, argv


def _missing(tool: str, argv: list[str]) -> ToolMissing:
    hint = f" (set by {TOOLS[tool]})" if os.environ.get(TOOLS.get(tool, ""), "").strip() else ""
    return ToolMissing(
        f"{tool} is not installed or cannot be run: {argv[0]}{hint} "
        "(install the ffmpeg package, or point PSA_FFMPEG/PSA_FFPROBE at the binaries)"
    )


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: str


def capture(command: Sequence[str], timeout: float, cwd: Path | None = None) -> Completed:
    """Run to the end and return what it printed; a non-zero exit is the caller's to judge."""
    tool, argv = _start(command)
    try:
        result = subprocess.run(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError):
        raise _missing(tool, argv) from None
    except subprocess.TimeoutExpired:
        raise ToolTimeout(f"{tool} took more than {timeout:g} s and was stopped") from None
    return Completed(result.returncode, result.stdout, result.stderr.decode("utf-8", "replace"))


def run_ffmpeg(
    command: Sequence[str],
    cwd: Path | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float = 3600,
) -> str:
    """Run `command`; call `on_progress(seconds_done)` from its `-progress pipe:1` lines; return stderr."""
    return Running(command, cwd, on_progress, timeout).wait()


class Running:
    """`command` started in the background: `wait()` for its stderr (or its typed error), `stop()` to end it early.

    Whoever starts one must `wait()` or `stop()` it, on every path: no process is left behind.
    """

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path | None = None,
        on_progress: ProgressCallback | None = None,
        timeout: float = 3600,
    ) -> None:
        self.tool, argv = _start(command)
        try:
            self.process = subprocess.Popen(
                argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, errors="replace",
            )  # fmt: skip
        except (FileNotFoundError, PermissionError, NotADirectoryError):
            raise _missing(self.tool, argv) from None
        self.timeout = timeout
        self.stderr_lines: list[str] = []
        self.on_progress = on_progress
        self.readers = [
            threading.Thread(target=lambda: self.stderr_lines.extend(self.process.stderr or []), daemon=True),
            threading.Thread(target=self._read_progress, daemon=True),
        ]
        for reader in self.readers:
            reader.start()
        self.timed_out = threading.Event()
        self.timer = threading.Timer(timeout, self._time_out)
        self.timer.daemon = True  # a run nobody waits for must not keep the interpreter alive for an hour
        self.timer.start()

    def _time_out(self) -> None:
        self.timed_out.set()
        self.process.kill()

    def _read_progress(self) -> None:
        for line in self.process.stdout or []:
            key, _, value = line.strip().partition("=")
            if self.on_progress and key == "out_time_us" and value.isdigit():
                self.on_progress(int(value) / 1_000_000)

    def failed(self) -> bool:
        """Ended with an error already (without waiting): the work that needs its output can stop early."""
        return self.process.poll() not in (None, 0)

    def stop(self) -> None:
        """End it now (if it still runs) and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._close()

    def _close(self) -> None:
        self.timer.cancel()
        for reader in self.readers:
            reader.join(timeout=5)

    def wait(self) -> str:
        """Its stderr once it ends; a typed error if it failed, ran out of time or could not write its output."""
        try:
            self.process.wait()
        except BaseException:  # KeyboardInterrupt while waiting: the process goes with us
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self._close()
        stderr = "".join(self.stderr_lines)
        return _judge(self.tool, self.process.returncode, stderr, self.timed_out.is_set(), self.timeout)


def _judge(tool: str, returncode: int, stderr: str, timed_out: bool, timeout: float) -> str:
    if timed_out:
        raise ToolTimeout(f"{tool} took more than {timeout:g} s and was stopped")
    # ffmpeg can exit 0 after failing to write an output (a full disk while finishing an MP4): trust the log too.
    write_failure = next((line for line in stderr.splitlines() if _WRITE_FAILURE.search(line)), None)
    if (write_failure is not None or returncode > 0) and "No space left on device" in stderr:
        raise DiskFullError("ffmpeg could not write its output: no space left on device (disk full)")
    if write_failure is not None and returncode >= 0:
        raise ToolFailed(f"{tool} could not write its output: {gist(stderr)}", returncode, gist(stderr))
    if returncode != 0:
        if returncode < 0:
            raise ToolFailed(f"{tool} was stopped (signal {-returncode})", returncode, gist(stderr))
        raise ToolFailed(f"{tool} failed: {gist(stderr)}", returncode, gist(stderr))
    return stderr


@cache
def tool_version(tool: str = "ffmpeg") -> str:
    """First line of `ffmpeg -version` (or ffprobe's); '<tool>-missing' when it cannot be run."""
    try:
        result = capture([tool, "-version"], timeout=30)
    except MediaError:
        return f"{tool}-missing"
    text = result.stdout.decode("utf-8", "replace")
    return text.splitlines()[0] if text.strip() else "unknown"


_WRITE_FAILURE = re.compile(
    r"No space left on device|Error writing trailer|Error closing file|av_interleaved_write_frame\(\)|"
    r"Failed to update header|Disk quota exceeded"
)


def gist(stderr: str) -> str:
    """The last lines of a tool's stderr, where ffmpeg says what went wrong; a full disk said plainly."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if "No space left on device" in line:
            return "no space left on device (disk full)"
    return " | ".join(lines[-STDERR_TAIL_LINES:])[:600] if lines else "no error message"
