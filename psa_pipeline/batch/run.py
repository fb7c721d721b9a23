"""`psa batch run`: validate and build a whole folder of submissions, resumably, on one machine or a cluster.

A journal in the build folder records each step's outcome with a fingerprint of the PSA's
inputs; a re-run after a crash or Ctrl-C reuses every finished step whose inputs did not change.
Builds are tasks on a local process pool (the default) or on a Dask distributed cluster
(`--scheduler tcp://host:port`); one PSA's failure never stops the others. Publishing is a
separate step (batch/publish.py), after reviewers have seen the report and approved.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from psa_pipeline import __version__
from psa_pipeline.batch.executors import DaskRunner, LocalRunner, Task
from psa_pipeline.build.many import STATE_FILE
from psa_pipeline.build.one_psa import RECORD, build_psa
from psa_pipeline.build.shared import Prepared, batch_parts, prepare_batch
from psa_pipeline.channels.config import load_config
from psa_pipeline.core.i18n import _
from psa_pipeline.core.oslock import try_lock, unlock
from psa_pipeline.core.problems import DiskFullError, ManifestReport, PsaError
from psa_pipeline.core.status import Status
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.load import Loaded, load_manifest
from psa_pipeline.media.inputs import Fingerprints, ffmpeg_version
from psa_pipeline.publish.publish import publish_psa
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.journal import BatchJournal, CheckResult, PsaEntry, PublishedFile, Step, StepOutcome, now
from psa_pipeline.validation.validate import Context, find_manifests, validate_file

JOURNAL = "batch-journal.json"
LOCK = ".batch.lock"


# ---- tasks: top-level functions of plain arguments, so a process pool or a Dask worker can run them ----


# A pool or Dask worker runs many build tasks: it reads the state file (1.3 MB for 1,000 PSAs) again
# only when another process changed it, not once per task.
_WORKER_STATE: dict[Path, tuple[tuple[int, int, int] | None, Fingerprints]] = {}


def worker_fingerprints(state_file: Path) -> Fingerprints:
    try:
        stat = state_file.stat()
        stamp: tuple[int, int, int] | None = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    except OSError:
        stamp = None
    known = _WORKER_STATE.get(state_file)
    if known is not None and known[0] == stamp:
        return known[1]
    fingerprints = Fingerprints(state_file)
    _WORKER_STATE[state_file] = (stamp, fingerprints)
    return fingerprints


def build_task(manifest: str, channels_file: str | None, build_root: str) -> StepOutcome:
    config = load_config(Path(channels_file) if channels_file else None)
    fingerprints = worker_fingerprints(Path(build_root) / STATE_FILE)
    started = time.perf_counter()
    result = build_psa(Path(manifest), config, Path(build_root), fingerprints)
    fingerprints.save()
    if isinstance(result.failure, DiskFullError):
        raise result.failure  # the whole run stops: every other build would fail the same way
    return StepOutcome(status=result.status, error=result.error, rendered=result.rendered, reused=result.reused,
                       seconds=round(time.perf_counter() - started, 3))  # fmt: skip


def publish_task(manifest: str, channels_file: str | None, build_root: str, approvals: str) -> StepOutcome:
    config = load_config(Path(channels_file) if channels_file else None)
    started = time.perf_counter()
    result = publish_psa(Path(manifest), config, Path(build_root), approvals=Path(approvals))
    files = [PublishedFile(file=f.local.name, channel=f.channel, url=f.url, action=f.action) for f in result.files]
    return StepOutcome(status=result.status, error=result.error, files=files,
                       seconds=round(time.perf_counter() - started, 3))  # fmt: skip


# ---- journal and lock -----------------------------------------------------------------------------------------


@dataclass
class PsaState:
    manifest: Path
    key: str  # the manifest's path relative to the batch folder
    fingerprint: str
    psa_id: str | None = None
    steps: dict[Step, StepOutcome] = field(default_factory=dict)
    report: ManifestReport | None = None
    # The manifest as read when the batch started: read once, not again by each step and the report.
    loaded: Loaded | None = field(default=None, repr=False)

    def manifest_loaded(self) -> Loaded:
        if self.loaded is None:
            self.loaded = load_manifest(self.manifest)
        return self.loaded

    @property
    def status(self) -> Status:
        """OK when every step finished, else the status of the first step that did not."""
        return next((o.status for o in self.steps.values() if not o.status.finished), Status.OK)


class Journal:
    """The batch journal of one build folder: read once at the start, written after every task."""

    def __init__(self, path: Path, fresh: bool = False) -> None:
        self.path = path
        try:
            found = None if fresh else BatchJournal.read_if_exists(path)
        except RecordError as exc:
            raise PsaError(
                _("{error}; move it away or run again with --force to start a new journal").format(error=exc)
            ) from None
        self.data = found or BatchJournal()
        # What earlier runs finished; `record` replaces entries as this run goes, so read from this copy.
        self.earlier: dict[str, PsaEntry] = dict(self.data.psas)

    def reusable(self, state: PsaState, step: Step) -> StepOutcome | None:
        """The step's outcome from an earlier run, if it settled and the inputs are unchanged."""
        entry = self.earlier.get(state.key)
        if entry is None or entry.fingerprint != state.fingerprint:
            return None
        outcome = entry.steps.get(step)
        return outcome if outcome is not None and outcome.settled else None

    def record(self, state: PsaState, write: bool = True) -> None:
        """Note the state's steps; `write=False` leaves the file to a later `write()` (one write for many PSAs)."""
        self.data.psas[state.key] = PsaEntry(
            fingerprint=state.fingerprint, psa_id=state.psa_id, steps=dict(state.steps)
        )
        if write:
            self.write()

    def write(self) -> None:
        # The whole journal each time: writing it once per PSA where one write does (steps taken from the
        # journal, the final fingerprints) made a no-op re-run of 1,000 PSAs quadratic.
        self.data = self.data.model_copy(update={"updated_at": now()})
        self.data.write(self.path)


class BatchLock:
    """One batch per build folder: a second run is refused, not interleaved."""

    def __init__(self, build_root: Path) -> None:
        self.path = build_root / LOCK
        self.handle: BinaryIO | None = None

    def __enter__(self) -> BatchLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The cross-platform lock of publish/locks.py: fcntl at module level would keep `psa` from starting on Windows.
        handle = self.path.open("a+b")
        if not try_lock(handle):
            handle.seek(0)
            holder = handle.read().decode("utf-8", "replace").strip() or _("unknown")
            handle.close()
            raise PsaError(
                _("another psa batch run is using {folder} (pid {pid}); wait for it to finish or stop it").format(
                    folder=self.path.parent, pid=holder
                )
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            unlock(self.handle)
            self.handle.close()


def fingerprint(manifest: Path, channels_file: Path | None, build_root: Path, loaded: Loaded | None = None) -> str:
    """Cheap: manifest bytes and the size and mtime of every file the PSA can read, not their contents.

    `loaded`: the manifest already read (the references come from it; the bytes are read again).
    """
    digest = hashlib.sha256(f"{__version__}\n".encode())
    digest.update(manifest.read_bytes())
    if channels_file is not None:
        digest.update(channels_file.read_bytes())
    files = [p for p in manifest.parent.rglob("*") if p.is_file()]
    loaded = loaded or load_manifest(manifest)
    if loaded.manifest is not None:
        shared = assets.find_assets_dir(manifest.parent)
        for ref in assets.references(loaded.manifest):
            if ref.value.startswith(assets.SHARED_PREFIX) and shared is not None:
                files.append(shared / ref.value[len(assets.SHARED_PREFIX) :])
        record = build_root / loaded.manifest.id / RECORD
        files.append(record)  # outputs deleted or rebuilt by hand: redo the steps after
    for path in sorted(files):
        try:
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}:missing\n".encode())
    return digest.hexdigest()


# ---- the run --------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    states: list[PsaState]
    seconds: float

    @property
    def failed(self) -> list[PsaState]:
        return [s for s in self.states if not s.status.finished]


# (step, PSA, its outcome, whether the outcome was reused from the journal)
Announce = Callable[[Step, PsaState, StepOutcome, bool], None]


def batch_states(folder: Path, channels_file: Path | None, build_root: Path) -> list[PsaState]:
    """One state per manifest below `folder`; two manifests with the same id refuse the whole batch."""
    manifests = list(find_manifests([folder]))
    if not manifests:
        raise PsaError(_("no psa.yaml found below {folder}").format(folder=folder))
    states = []
    seen: dict[str, Path] = {}
    for m in manifests:
        key = str(m.relative_to(folder)) if m.is_relative_to(folder) else str(m)
        loaded = load_manifest(m)
        state = PsaState(m, key, fingerprint(m, channels_file, build_root, loaded), loaded=loaded)
        if loaded.manifest is not None:
            state.psa_id = loaded.manifest.id
            # One build folder per id: two submissions with one id would overwrite each other's renditions.
            if state.psa_id in seen:
                raise PsaError(
                    _("{first} and {second} both have id '{id}': every PSA in a batch needs its own id; "
                      "change the id in one of them").format(first=seen[state.psa_id], second=m, id=state.psa_id)
                )  # fmt: skip
            seen[state.psa_id] = m
        states.append(state)
    return states


def run_batch(
    folder: Path,
    build_root: Path,
    channels_file: Path | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    announce: Announce = lambda step, state, outcome, reused: None,
) -> BatchResult:
    started = time.perf_counter()
    config = load_config(channels_file)  # a bad channels.yaml stops the batch before anything runs
    states = batch_states(folder, channels_file, build_root)
    with BatchLock(build_root):
        try:
            journal = Journal(build_root / JOURNAL, fresh=force)
            # Probes remembered in the build folder's state file: a jingle every PSA names is probed once,
            # and the build tasks (other processes) find every probe made here.
            fingerprints = Fingerprints(build_root / STATE_FILE)
            context = Context(config=config, channels_file=channels_file, probe=fingerprints.probe)
            _validate(states, journal, context, announce)
            valid = [s for s in states if s.steps["validate"].status == Status.OK]
            # Parts several PSAs to build share: prepared once here, before any task starts (build/shared.py).
            to_build = [s for s in valid if journal.reusable(s, "build") is None]
            shared = batch_parts(((s.manifest, s.manifest_loaded()) for s in to_build), None)
            if shared:
                prepared = Prepared(build_root, fingerprints, ffmpeg_version(fingerprints))
                prepare_batch(shared, prepared, jobs or os.cpu_count() or 1)
            fingerprints.save()  # what validation probed, for the build tasks
            runner: LocalRunner | DaskRunner = (
                DaskRunner(scheduler) if scheduler else LocalRunner(jobs or os.cpu_count() or 1)
            )
            try:
                arguments = (str(channels_file.resolve()) if channels_file else None, str(build_root.resolve()))

                def refresh(state: PsaState) -> str:
                    return fingerprint(state.manifest, channels_file, build_root, state.loaded)

                _run_step("build", build_task, valid, journal, runner, *arguments, announce, refresh)
            finally:
                if isinstance(runner, DaskRunner):
                    runner.close()
            for state in states:  # fingerprints move when builds write renditions.json
                state.fingerprint = fingerprint(state.manifest, channels_file, build_root, state.loaded)
                journal.record(state, write=False)
            journal.write()
        except DiskFullError as exc:  # from a task or from writing the journal itself
            raise PsaError(
                _("the disk holding {folder} is full ({error}); "
                  "free some space and run again: finished steps are kept in the journal"
                  ).format(folder=build_root, error=exc)
            ) from None  # fmt: skip
    return BatchResult(states, time.perf_counter() - started)


def _validate(states: list[PsaState], journal: Journal, context: Context, announce: Announce) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(state: PsaState) -> None:
        loaded = state.manifest_loaded()
        if loaded.manifest is not None:
            state.psa_id = loaded.manifest.id
        earlier = journal.reusable(state, "validate")
        if earlier is not None:
            state.steps["validate"] = earlier
            reused.add(state.key)
            return
        started = time.perf_counter()
        report = validate_file(state.manifest, context)
        state.report = report
        state.steps["validate"] = StepOutcome(
            status=Status.OK if report.ok() else Status.REFUSED,
            errors=[str(p) for p in report.errors],
            warnings=[str(p) for p in report.warnings],
            checks={c: _check_status(report, c) for c in report.checks},
            seconds=round(time.perf_counter() - started, 3),
        )

    reused: set[str] = set()
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2) * 2)) as pool:
        list(pool.map(one, states))
    for state in states:
        journal.record(state, write=False)
        announce("validate", state, state.steps["validate"], state.key in reused)
    journal.write()


def _check_status(report: ManifestReport, check: str) -> CheckResult:
    mine = [p for p in report.problems if p.check == check]
    if any(p.severity == "error" for p in mine):
        return "error"
    return "warning" if mine else "ok"


def _run_step(
    step: Step,
    task: Callable[..., StepOutcome],
    states: list[PsaState],
    journal: Journal,
    runner: LocalRunner | DaskRunner,
    channels_arg: str | None,
    root_arg: str,
    announce: Announce,
    refresh: Callable[[PsaState], str],
) -> None:
    todo: list[Task] = []
    by_key = {s.key: s for s in states}
    for state in states:
        earlier = journal.reusable(state, step)
        if earlier is not None:
            state.steps[step] = earlier
            announce(step, state, earlier, True)
        else:
            todo.append((state.key, task, (str(state.manifest.resolve()), channels_arg, root_arg)))
    # A DiskFullError from a task ends the runner, which cancels what has not started.
    for key, outcome in runner.run(todo):
        state = by_key[key]
        state.steps[step] = outcome.model_copy(update={"at": now()})
        announce(step, state, state.steps[step], False)
        # The fingerprint as the task left it (it wrote renditions.json): after a crash, a re-run finds
        # this PSA unchanged and takes its finished steps from the journal instead of checking them again.
        state.fingerprint = refresh(state)
        journal.record(state)  # after every task: a crash loses at most the tasks still running
