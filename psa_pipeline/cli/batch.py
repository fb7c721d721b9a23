"""`psa batch run`: a thin shell over batch.run and batch.report."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from psa_pipeline.batch.report import write_report
from psa_pipeline.batch.run import run_batch
from psa_pipeline.cli.common import channels_option, console
from psa_pipeline.core.progress import Progress
from psa_pipeline.core.status import Status
from psa_pipeline.records.journal import StepOutcome


@click.group()
def batch() -> None:
    """Kominfosantik batches: a whole folder of submissions at once."""


@batch.command("run")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@channels_option
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Build folder; also holds the journal and the report.")  # fmt: skip
@click.option("--publish", "do_publish", is_flag=True, help="Publish the approved PSAs after building.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Local worker processes [default: number of cores].")
@click.option("--scheduler", help="Run builds and publishes on a Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--force", is_flag=True, help="Ignore the journal and redo every step.")
def batch_run(
    folder: Path,
    channels_file: Path | None,
    build_root: Path,
    do_publish: bool,
    jobs: int | None,
    scheduler: str | None,
    force: bool,
) -> None:
    """Validate, build and (with --publish) publish every PSA below FOLDER, then write a review report.

    Invalid, broken or unapproved submissions are reported and the rest go on.
    A journal in the build folder makes the run resumable: after a crash or
    Ctrl-C, running it again redoes nothing that finished. Two runs on the same
    build folder at once are refused. The review report is
    BUILD/batch-report.html (self-contained, opens from disk) and
    BUILD/batch-report.json. Exit codes: 0 all PSAs ok, 1 some failed, 2 misuse.

    \b
    Examples:
      psa batch run submissions/ --publish
      psa batch run submissions/ --scheduler tcp://10.0.0.5:8786 --channels channels.yaml
    """
    out = console()
    with Progress() as progress:
        steps = _StepLines(progress)
        result = run_batch(folder, build_root, channels_file, do_publish, jobs, scheduler, force, steps.announce)
        progress.note(f"writing the review report ({len(result.states)} PSAs)...")
        html_path, json_path = write_report(result, build_root)
    failed = result.failed
    out.print(
        f"{len(result.states) - len(failed)} of {len(result.states)} PSA(s) ok, {len(failed)} with problems, "
        f"in {result.seconds:.1f} s",
        highlight=False,
    )
    for state in failed:
        reasons = [f"{step} {o.status}" for step, o in state.steps.items() if not o.status.finished]
        out.print(f"  [red]{escape(state.psa_id or state.key)}[/red]: {escape(', '.join(reasons))}", soft_wrap=True)
    out.print(f"review report: {escape(str(html_path))} (and {escape(str(json_path))})", highlight=False)
    sys.exit(1 if failed else 0)


class _StepLines:
    """One line per finished task, with the counts and the time elapsed: readable in a terminal and in a CI log."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.started = time.perf_counter()
        self.done: dict[str, int] = {}

    def announce(self, step: str, state: Any, outcome: StepOutcome, from_journal: bool) -> None:
        self.done[step] = self.done.get(step, 0) + 1
        status = outcome.status
        reused = " (from journal)" if from_journal else ""
        elapsed = time.perf_counter() - self.started
        took = f" {outcome.seconds:.1f} s" if outcome.seconds is not None and not reused else ""
        colour = "green" if status.finished else "red" if status == Status.FAILED else "yellow"
        self.progress.note(
            f"{step:>8} [{colour}]{status:<8}[/{colour}] {escape(state.psa_id or state.key)}{took}{reused}"
            f"  [dim]{self.done[step]} {step} step(s) finished, {elapsed:.0f} s elapsed[/dim]"
        )
