"""How much psa says while it works, and the one way every stage shows progress.

Verbosity lives in the environment (`PSA_VERBOSE=1`, `PSA_QUIET=1`), set once by the CLI: build
workers in a forkserver pool inherit it, and batch tasks carry it to Dask workers (see `environment`),
so a worker on another machine prints the same ffmpeg command lines as the main process.

`Progress` draws bars on a terminal, writes plain lines in a log (CI, a pipe), and nothing with -q.
Stages only say what started, how far it got and when it ended; they never choose how it is shown.
"""

from __future__ import annotations

import os
import threading
import time
from enum import IntEnum
from typing import Literal

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as RichProgress

from psa_pipeline.core.i18n import _

VERBOSE_ENV = "PSA_VERBOSE"
QUIET_ENV = "PSA_QUIET"

Unit = Literal["seconds", "bytes"]


class Verbosity(IntEnum):
    QUIET = 0  # results and errors only
    NORMAL = 1  # plus progress and information
    VERBOSE = 2  # plus every ffmpeg/ffprobe command line


def verbosity() -> Verbosity:
    if os.environ.get(QUIET_ENV) == "1":
        return Verbosity.QUIET
    if os.environ.get(VERBOSE_ENV) == "1":
        return Verbosity.VERBOSE
    return Verbosity.NORMAL


def set_verbosity(level: Verbosity) -> None:
    """Set for this process and every worker process started after it."""
    os.environ[QUIET_ENV] = "1" if level == Verbosity.QUIET else "0"
    os.environ[VERBOSE_ENV] = "1" if level == Verbosity.VERBOSE else "0"


def environment() -> dict[str, str]:
    """The variables a worker on another machine needs to behave like this process."""
    return {name: os.environ[name] for name in (QUIET_ENV, VERBOSE_ENV) if name in os.environ}


def console(stderr: bool = False) -> Console:
    made = Console(stderr=stderr, highlight=False)
    if not made.is_terminal:
        made.width = 160  # logs are read in wide windows; 80 columns would fold every table cell
    return made


class Task:
    """One thing being done (an ffmpeg run, an upload): tell it how far it got, then that it finished."""

    def __init__(self, progress: Progress, label: str, total: float | None, unit: Unit) -> None:
        self.progress = progress
        self.label = label
        self.total = total
        self.unit = unit
        self.began = time.perf_counter()
        self.completed = 0.0
        self.quarters_shown = 0
        self.bar: TaskID | None = None
        self.done = False
        self.lock = threading.Lock()  # uploads report bytes from several transfer threads

    def update(self, completed: float) -> None:
        with self.lock:
            self.completed = completed
            self.progress._moved(self)

    def advance(self, amount: float) -> None:
        with self.lock:
            self.completed += amount
            self.progress._moved(self)

    def finish(self, summary: str | None = None) -> None:
        """`summary` replaces the plain 'done' line in a log (and is printed above the bars on a terminal)."""
        if not self.done:
            self.done = True
            self.progress._finished(self, summary)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.began


class Progress:
    """Bars on a terminal, plain lines in a log, nothing when quiet; safe to use from several threads."""

    def __init__(self, to: Console | None = None, unit: Unit = "seconds", overall: str | None = None) -> None:
        self.console = to or console(stderr=True)
        self.mode: Literal["bars", "lines", "off"] = (
            "off" if verbosity() == Verbosity.QUIET else "bars" if self.console.is_terminal else "lines"
        )
        self.unit = unit
        self.lock = threading.Lock()
        self.overall_label = overall
        self.overall: TaskID | None = None
        self.bars: RichProgress | None = None

    def __enter__(self) -> Progress:
        if self.mode == "bars":
            amount = (DownloadColumn(), TransferSpeedColumn()) if self.unit == "bytes" else (TimeRemainingColumn(),)
            columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), *amount)
            self.bars = RichProgress(*columns, console=self.console, transient=True)
            self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.stop()
            self.bars = None

    def expect(self, count: int) -> None:
        """How many items the whole run has: one overall bar (terminal only; a log has the per-item lines)."""
        if self.bars is not None and self.overall_label is not None:
            self.overall = self.bars.add_task(escape(self.overall_label), total=count)

    def item_done(self) -> None:
        if self.bars is not None and self.overall is not None:
            self.bars.advance(self.overall)

    def start(self, label: str, total: float | None) -> Task:
        task = Task(self, label, total, self.unit)
        if self.bars is not None:
            with self.lock:
                task.bar = self.bars.add_task(escape(label), total=max(total, 0.001) if total is not None else None)
        elif self.mode == "lines" and self.unit == "seconds":
            self._line(_("start  {label}").format(label=label))
        return task

    def note(self, text: str) -> None:
        """A line of information (rich markup allowed); above the bars on a terminal, silent when quiet."""
        if self.mode != "off":
            target = self.bars.console if self.bars is not None else self.console
            target.print(text, highlight=False, soft_wrap=True)

    def _line(self, text: str) -> None:
        self.console.print(escape(text), highlight=False, soft_wrap=True)

    def _moved(self, task: Task) -> None:
        if self.bars is not None and task.bar is not None:
            self.bars.update(task.bar, completed=task.completed)
        elif self.mode == "lines" and task.unit == "seconds" and task.total:
            # A line per quarter: enough to see a long render move in a CI log without flooding it.
            quarter = min(3, int(4 * task.completed / max(task.total, 0.001)))
            if quarter > task.quarters_shown:
                task.quarters_shown = quarter
                self._line(f"  {25 * quarter:3d}% {task.label}")

    def _finished(self, task: Task, summary: str | None) -> None:
        if self.bars is not None and task.bar is not None:
            with self.lock:
                self.bars.remove_task(task.bar)
                task.bar = None
            if summary is not None:
                self.note(escape(summary))
        elif self.mode == "lines":
            done = _("done   {label} ({seconds:.1f} s)").format(label=task.label, seconds=task.seconds)
            self._line(summary if summary is not None else done)
