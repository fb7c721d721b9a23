"""`psa batch run` and `psa batch publish`: thin shells over batch.run, batch.publish and batch.report."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from psa_pipeline.approval.store import default_dir
from psa_pipeline.batch.publish import publish_batch
from psa_pipeline.batch.report import write_report
from psa_pipeline.batch.run import BatchResult, run_batch
from psa_pipeline.cli.common import approvals_option, build_option, channels_option, console
from psa_pipeline.cli.translated import group
from psa_pipeline.core.i18n import N_, _, ngettext
from psa_pipeline.core.progress import Progress
from psa_pipeline.core.status import Status, said
from psa_pipeline.records.journal import StepOutcome


@group()
def batch() -> None:
    """Kominfosantik batches: a whole folder of submissions at once."""


@batch.command("run")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@channels_option
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help=N_("Build folder; also holds the journal and the report."))  # fmt: skip
@approvals_option
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help=N_("Local worker processes [default: number of cores]."))
@click.option("--scheduler", help=N_("Run the builds on a Dask cluster, e.g. tcp://10.0.0.5:8786."))
@click.option("--force", is_flag=True, help=N_("Ignore the journal and redo every step."))
def batch_run(
    folder: Path,
    channels_file: Path | None,
    build_root: Path,
    approvals: Path | None,
    jobs: int | None,
    scheduler: str | None,
    force: bool,
) -> None:
    """Validate and build every PSA below FOLDER, then write a review report.

    Invalid or broken submissions are reported and the rest go on. Publishing
    is a separate step, after review: psa review, then psa batch publish.
    A journal in the build folder makes the run resumable: after a crash or
    Ctrl-C, running it again redoes nothing that finished. Two runs on the same
    build folder at once are refused. The review report is
    BUILD/batch-report.html (self-contained, opens from disk) and
    BUILD/batch-report.json. Exit codes: 0 all PSAs ok, 1 some failed, 2 misuse.

    \b
    Examples:
      psa batch run submissions/
      psa batch run submissions/ --scheduler tcp://10.0.0.5:8786 --channels channels.yaml
    """
    with Progress() as progress:
        steps = _StepLines(progress)
        result = run_batch(folder, build_root, channels_file, jobs, scheduler, force, steps.announce)
        count = len(result.states)
        progress.note(ngettext("writing the review report ({count} PSA)...",
                               "writing the review report ({count} PSAs)...", count).format(count=count))  # fmt: skip
        paths = write_report(result, build_root, approvals or default_dir(build_root))
    _summary(result, paths)
    console().print(
        _("next: review and approve with psa review {folder} --build {build}, then psa batch publish {folder}").format(
            folder=escape(str(folder)), build=escape(str(build_root))),
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    sys.exit(1 if result.failed else 0)


@batch.command("publish")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@channels_option
@build_option
@approvals_option
def batch_publish(folder: Path, channels_file: Path | None, build_root: Path, approvals: Path | None) -> None:
    """Publish the PSAs below FOLDER that a reviewer approved, then update the review report.

    Each PSA is published only when an approval (psa review or psa approve)
    covers exactly its current build; the others are refused with the reason
    and the command to run. Exit codes: 0 all published, 1 some refused or failed.

    \b
    Example:
      psa batch publish submissions/ --channels channels.yaml
    """
    folder_approvals = approvals or default_dir(build_root)
    with Progress() as progress:
        steps = _StepLines(progress)
        result = publish_batch(folder, build_root, channels_file, folder_approvals, steps.announce)
        paths = write_report(result, build_root, folder_approvals)
    _summary(result, paths)
    sys.exit(1 if result.failed else 0)


def _summary(result: BatchResult, paths: tuple[Path, Path]) -> None:
    out = console()
    failed = result.failed
    total = len(result.states)
    out.print(
        ngettext("{ok} of {total} PSA ok, {failed} with problems, in {seconds:.1f} s",
                 "{ok} of {total} PSAs ok, {failed} with problems, in {seconds:.1f} s", total
                 ).format(ok=total - len(failed), total=total, failed=len(failed), seconds=result.seconds),
        highlight=False,
    )  # fmt: skip
    for state in failed:
        reasons = [f"{step} {said(o.status)}" for step, o in state.steps.items() if not o.status.finished]
        out.print(f"  [red]{escape(state.psa_id or state.key)}[/red]: {escape(', '.join(reasons))}", soft_wrap=True)
    out.print(
        _("review report: {html} (and {json})").format(html=escape(str(paths[0])), json=escape(str(paths[1]))),
        highlight=False,
    )


class _StepLines:
    """One line per finished task, with the counts and the time elapsed: readable in a terminal and in a CI log."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.started = time.perf_counter()
        self.done: dict[str, int] = {}

    def announce(self, step: str, state: Any, outcome: StepOutcome, from_journal: bool) -> None:
        self.done[step] = self.done.get(step, 0) + 1
        status = outcome.status
        reused = " " + _("(from journal)") if from_journal else ""
        elapsed = time.perf_counter() - self.started
        took = f" {outcome.seconds:.1f} s" if outcome.seconds is not None and not reused else ""
        colour = "green" if status.finished else "red" if status == Status.FAILED else "yellow"
        done = self.done[step]
        tally = ngettext("{count} {step} step finished, {seconds:.0f} s elapsed",
                         "{count} {step} steps finished, {seconds:.0f} s elapsed", done
                         ).format(count=done, step=step, seconds=elapsed)  # fmt: skip
        self.progress.note(
            f"{step:>8} [{colour}]{said(status):<8}[/{colour}] {escape(state.psa_id or state.key)}{took}{reused}"
            f"  [dim]{escape(tally)}[/dim]"
        )
