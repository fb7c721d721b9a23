"""`psa build`: every PSA under the given paths, in parallel, with progress; one failure stops no other."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from psa_pipeline.build.one_psa import Events, PsaResult, build_psa
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.media.inputs import Fingerprints
from psa_pipeline.validation.validate import find_manifests

STATE_FILE = ".psa-state.json"


class _BarEvents:
    """One bar per ffmpeg run (the renditions it writes) and one for the whole run, on a terminal."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.lock = threading.Lock()
        self.tasks: dict[str, TaskID] = {}
        self.overall = progress.add_task("all PSAs", total=total)

    def events(self) -> Events:
        def started(label: str, seconds: float) -> None:
            with self.lock:
                self.tasks[label] = self.progress.add_task(label, total=max(seconds, 0.001))

        def progressed(label: str, seconds: float) -> None:
            task = self.tasks.get(label)
            if task is not None:
                self.progress.update(task, completed=seconds)

        def finished(label: str) -> None:
            with self.lock:
                task = self.tasks.pop(label, None)
            if task is not None:
                self.progress.remove_task(task)

        return Events(started, progressed, finished)


class _LineEvents:
    """Plain lines for logs (CI): when each ffmpeg run starts and ends, and a line per 25 %."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.state: dict[str, tuple[float, float, int]] = {}

    def events(self) -> Events:
        def started(label: str, seconds: float) -> None:
            self.state[label] = (time.perf_counter(), max(seconds, 0.001), 0)
            self.console.print(f"start  {label}", highlight=False, soft_wrap=True)

        def progressed(label: str, seconds: float) -> None:
            began, total, shown = self.state.get(label, (time.perf_counter(), 1.0, 0))
            quarter = min(3, int(4 * seconds / total))
            if quarter > shown:
                self.state[label] = (began, total, quarter)
                self.console.print(f"  {25 * quarter:3d}% {label}", highlight=False, soft_wrap=True)

        def finished(label: str) -> None:
            began, _, _ = self.state.pop(label, (time.perf_counter(), 1.0, 0))
            self.console.print(f"done   {label} ({time.perf_counter() - began:.1f} s)", highlight=False, soft_wrap=True)

        return Events(started, progressed, finished)


def build_all(
    paths: list[Path],
    config: ChannelConfig,
    build_root: Path,
    jobs: int | None = None,
    force: bool = False,
    assets_dir: Path | None = None,
    console: Console | None = None,
) -> list[PsaResult]:
    console = console or Console(stderr=True)
    manifests = list(find_manifests(paths))
    fingerprints = Fingerprints(build_root / STATE_FILE)
    workers = max(1, jobs or os.cpu_count() or 1)

    def one(manifest: Path, events: Events) -> PsaResult:
        return build_psa(manifest, config, build_root, fingerprints, force, assets_dir, events)

    try:
        if console.is_terminal:
            columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                       TimeRemainingColumn())  # fmt: skip
            with Progress(*columns, console=console, transient=True) as progress:
                bars = _BarEvents(progress, len(manifests))

                def tracked(manifest: Path) -> PsaResult:
                    result = one(manifest, bars.events())
                    progress.advance(bars.overall)
                    return result

                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return list(pool.map(tracked, manifests))
        lines = _LineEvents(console)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda m: one(m, lines.events()), manifests))
    finally:
        fingerprints.save()
