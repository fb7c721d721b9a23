"""When psa itself breaks: one short line for the user, everything a maintainer needs in a file."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from psa_pipeline import __version__
from psa_pipeline.core.i18n import _
from psa_pipeline.media.runner import tool_version

EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): an internal software error


def report_to() -> str:
    return _("the psa-pipeline maintainers (Kominfosantik), with the command you ran")


def crash_dir() -> Path:
    """Where crash reports go: $XDG_STATE_HOME/psa/crashes (~/.local/state/psa/crashes by default)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "psa" / "crashes"


def report_text(error: BaseException, argv: list[str]) -> str:
    lines = [
        f"psa {__version__} crash report, {dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}",
        f"command:  {shlex.join(argv)}",
        f"cwd:      {os.getcwd()}",
        f"python:   {sys.version.split()[0]} ({sys.executable})",
        f"platform: {platform.platform()}",
        f"ffmpeg:   {_safe(tool_version, 'ffmpeg')}",
        f"ffprobe:  {_safe(tool_version, 'ffprobe')}",
        "",
        "".join(traceback.format_exception(error)).rstrip(),
        "",
    ]
    return "\n".join(lines)


def write_report(error: BaseException, argv: list[str]) -> Path:
    """Write the report and return its path; falls back to the temporary folder if the state folder is not writable."""
    text = report_text(error, argv)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"psa-crash-{stamp}-{os.getpid()}.txt"
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    raise OSError("no writable folder for the crash report")


def _safe(fn: Callable[[str], str], tool: str) -> str:
    # The report must be written even if asking ffmpeg for its version is what fails.
    try:
        return fn(tool)
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"
