"""`psa batch run`: validate, build and publish a whole folder of submissions, resumably, on one machine or a cluster.

A journal in the build folder records each step's outcome with a fingerprint of the PSA's
inputs; a re-run after a crash or Ctrl-C reuses every finished step whose inputs did not change.
Builds and publishes are tasks on a local process pool (the default) or on a Dask distributed
cluster (`--scheduler tcp://host:port`); one PSA's failure never stops the others.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from psa_pipeline import __version__
from psa_pipeline.build.many import STATE_FILE
from psa_pipeline.build.one_psa import RECORD, build_psa
from psa_pipeline.channels.config import load_config
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.problems import ManifestReport, PsaError
from psa_pipeline.core.progress import environment
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.media.inputs import Fingerprints
from psa_pipeline.publish.publish import publish_psa
from psa_pipeline.validation.validate import Context, find_manifests, validate_file

JOURNAL = "batch-journal.json"
LOCK = ".batch.lock"
STEPS = ("validate", "build", "publish")


# ---- tasks: top-level functions of plain arguments, so a process pool or a Dask worker can run them ----


def build_task(manifest: str, channels_file: str | None, build_root: str) -> dict[str, Any]:
    config = load_config(Path(channels_file) if channels_file else None)
    fingerprints = Fingerprints(Path(build_root) / STATE_FILE)
    started = time.perf_counter()
    result = build_psa(Path(manifest), config, Path(build_root), fingerprints)
    fingerprints.save()
    status = {"built": "ok", "cached": "ok"}.get(result.status, "failed")
    return {"status": status, "error": result.error, "rendered": result.rendered, "reused": result.reused,
            "seconds": round(time.perf_counter() - started, 3)}  # fmt: skip


def publish_task(manifest: str, channels_file: str | None, build_root: str) -> dict[str, Any]:
    config = load_config(Path(channels_file) if channels_file else None)
    started = time.perf_counter()
    result = publish_psa(Path(manifest), config, Path(build_root))
    status = {"published": "ok", "up to date": "ok", "refused": "refused"}.get(result.status, "failed")
    files = [{"file": f.local.name, "channel": f.channel, "url": f.url, "action": f.action} for f in result.files]
    return {"status": status, "error": result.error, "files": files, "seconds": round(time.perf_counter() - started, 3)}


# ---- executors ------------------------------------------------------------------------------------------------


def _in_environment(env: dict[str, str], fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run a task with the caller's verbosity: a Dask worker on another machine has its own environment."""
    os.environ.update(env)
    return fn(*args)


Task = tuple[str, Callable[..., dict[str, Any]], tuple[Any, ...]]  # (key, function, arguments)


class LocalRunner:
    """A process pool; a worker that dies (OOM, kill) breaks the pool, so its tasks get one more try in a new one."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def run(self, tasks: list[Task]) -> Generator[tuple[str, dict[str, Any]], None, None]:
        pending = list(tasks)
        for attempt in (1, 2):
            broken: list[Task] = []
            # forkserver, not fork: forked workers would inherit the batch lock's descriptor and keep the
            # folder locked after the main process dies.
            context = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(max_workers=min(self.jobs, max(1, len(pending))), mp_context=context)
            try:
                futures: dict[Future[dict[str, Any]], Task] = {
                    pool.submit(_in_environment, environment(), fn, *args): (key, fn, args) for key, fn, args in pending
                }
                for future in as_completed(futures):
                    key = futures[future][0]
                    try:
                        yield key, future.result()
                    except BrokenProcessPool:
                        if attempt == 1:
                            broken.append(futures[future])
                        else:
                            yield (
                                key,
                                {"status": "failed", "error": "the worker process died twice (out of memory? killed?)"},
                            )
                    except Exception as exc:  # the task itself raised: report it, keep going
                        yield key, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            finally:
                # Closing the generator early (a full disk) must not wait for queued tasks to run.
                pool.shutdown(wait=True, cancel_futures=True)
            if not broken:
                return
            pending = broken


class DaskRunner:
    """An existing Dask distributed cluster; the scheduler reruns tasks of a worker that dies."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise PsaError("--scheduler needs the `distributed` package (pip install distributed)") from None
        try:
            self.client = Client(address, timeout=20)
        except OSError as exc:
            raise PsaError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    def run(self, tasks: list[Task]) -> Generator[tuple[str, dict[str, Any]], None, None]:
        from distributed import as_completed as dask_completed

        # A fresh task key per run: the scheduler must not hand back a result kept from an earlier batch.
        futures = {
            self.client.submit(
                _in_environment, environment(), fn, *args, key=f"psa-{key}-{time.time_ns()}", pure=False
            ): key
            for key, fn, args in tasks
        }
        for future in dask_completed(futures):
            key = futures[future]
            try:
                yield key, future.result()
            except Exception as exc:  # KilledWorker after the scheduler's retries, or the task's own error
                yield key, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}

    def close(self) -> None:
        self.client.close()


# ---- journal and lock -----------------------------------------------------------------------------------------


@dataclass
class PsaState:
    manifest: Path
    key: str  # the manifest's path relative to the batch folder
    fingerprint: str
    psa_id: str | None = None
    approved: bool = False
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: ManifestReport | None = None


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}
        self.data.setdefault("psas", {})
        # What earlier runs finished; `record` rewrites entries as this run goes, so read from this copy.
        self.earlier: dict[str, Any] = json.loads(json.dumps(self.data["psas"]))

    def reusable(self, state: PsaState, step: str) -> dict[str, Any] | None:
        """The step's outcome from an earlier run, if it finished and the inputs are unchanged."""
        entry = self.earlier.get(state.key)
        if not entry or entry.get("fingerprint") != state.fingerprint:
            return None
        outcome = entry.get("steps", {}).get(step)
        if outcome and outcome.get("status") in ("ok", "invalid", "refused"):
            return outcome  # type: ignore[no-any-return]
        return None

    def record(self, state: PsaState) -> None:
        self.data["psas"][state.key] = {"fingerprint": state.fingerprint, "psa_id": state.psa_id, "steps": state.steps}
        self.data["updated_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with atomic_text(self.path) as handle:
            json.dump(self.data, handle, indent=1, ensure_ascii=False)


class BatchLock:
    """One batch per build folder: a second run is refused, not interleaved."""

    def __init__(self, build_root: Path) -> None:
        self.path = build_root / LOCK
        self.handle: IO[str] | None = None

    def __enter__(self) -> BatchLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise PsaError(
                f"another psa batch run is using {self.path.parent} (pid {holder}); wait for it to finish or stop it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def fingerprint(manifest: Path, channels_file: Path | None, build_root: Path) -> str:
    """Cheap: manifest bytes and the size and mtime of every file the PSA can read, not their contents."""
    digest = hashlib.sha256(f"{__version__}\n".encode())
    digest.update(manifest.read_bytes())
    if channels_file is not None:
        digest.update(channels_file.read_bytes())
    files = [p for p in manifest.parent.rglob("*") if p.is_file()]
    loaded = load_manifest(manifest)
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
        return [s for s in self.states if any(o.get("status") != "ok" for o in s.steps.values())]


Announce = Callable[[str, PsaState, dict[str, Any]], None]


def run_batch(
    folder: Path,
    build_root: Path,
    channels_file: Path | None = None,
    publish: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    announce: Announce = lambda step, state, outcome: None,
) -> BatchResult:
    started = time.perf_counter()
    config = load_config(channels_file)  # a bad channels.yaml stops the batch before anything runs
    manifests = list(find_manifests([folder]))
    if not manifests:
        raise PsaError(f"no psa.yaml found below {folder}")
    with BatchLock(build_root):
        journal = Journal(build_root / JOURNAL)
        states = [
            PsaState(
                m,
                str(m.relative_to(folder)) if m.is_relative_to(folder) else str(m),
                fingerprint(m, channels_file, build_root),
            )
            for m in manifests
        ]
        if force:
            journal.earlier = {}
        _validate(states, journal, config.channels, announce)
        valid = [s for s in states if s.steps["validate"]["status"] == "ok"]
        runner: LocalRunner | DaskRunner = (
            DaskRunner(scheduler) if scheduler else LocalRunner(jobs or os.cpu_count() or 1)
        )
        channels_arg = str(channels_file.resolve()) if channels_file else None
        root_arg = str(build_root.resolve())
        try:
            _run_step("build", build_task, valid, journal, runner, channels_arg, root_arg, announce)
            if publish:
                ready = [s for s in valid if s.steps["build"]["status"] == "ok"]
                for state in ready:
                    if not state.approved:
                        state.steps["publish"] = {"status": "refused", "error": "not approved: no `approval` block"}
                        journal.record(state)
                        announce("publish", state, state.steps["publish"])
                approved = [s for s in ready if s.approved]
                _run_step("publish", publish_task, approved, journal, runner, channels_arg, root_arg, announce)
        finally:
            if isinstance(runner, DaskRunner):
                runner.close()
        for state in states:  # fingerprints move when builds write renditions.json
            state.fingerprint = fingerprint(state.manifest, channels_file, build_root)
            journal.record(state)
    return BatchResult(states, time.perf_counter() - started)


def _validate(states: list[PsaState], journal: Journal, channels: Any, announce: Announce) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(state: PsaState) -> None:
        loaded = load_manifest(state.manifest)
        if loaded.manifest is not None:
            state.psa_id = loaded.manifest.id
            state.approved = loaded.manifest.approval is not None
        earlier = journal.reusable(state, "validate")
        if earlier is not None:
            state.steps["validate"] = earlier
            reused.add(state.key)
            return
        started = time.perf_counter()
        report = validate_file(state.manifest, Context(known_channels=channels))
        state.report = report
        state.steps["validate"] = {
            "status": "ok" if report.ok() else "invalid",
            "errors": [str(p) for p in report.errors],
            "warnings": [str(p) for p in report.warnings],
            "checks": {c: _check_status(report, c) for c in report.checks},
            "seconds": round(time.perf_counter() - started, 3),
        }

    reused: set[str] = set()
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 2) * 2)) as pool:
        list(pool.map(one, states))
    for state in states:
        journal.record(state)
        outcome = state.steps["validate"]
        announce("validate", state, outcome | {"reused": True} if state.key in reused else outcome)


def _check_status(report: ManifestReport, check: str) -> str:
    mine = [p for p in report.problems if p.check == check]
    if any(p.severity == "error" for p in mine):
        return "error"
    return "warning" if mine else "ok"


def _run_step(
    step: str,
    task: Callable[..., dict[str, Any]],
    states: list[PsaState],
    journal: Journal,
    runner: LocalRunner | DaskRunner,
    channels_arg: str | None,
    root_arg: str,
    announce: Announce,
) -> None:
    todo: list[Task] = []
    by_key = {s.key: s for s in states}
    for state in states:
        earlier = journal.reusable(state, step)
        if earlier is not None:
            state.steps[step] = earlier
            announce(step, state, earlier | {"reused": True})
        else:
            todo.append((state.key, task, (str(state.manifest.resolve()), channels_arg, root_arg)))
    results = runner.run(todo)
    for key, outcome in results:
        state = by_key[key]
        outcome["at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        state.steps[step] = outcome
        announce(step, state, outcome)
        if "disk full" in str(outcome.get("error")):
            results.close()  # cancels what has not started; every other task would fail the same way
            raise PsaError(
                f"the disk holding {journal.path.parent} is full ({state.psa_id}: {outcome['error']}); "
                "free some space and run again: finished steps are kept in the journal"
            )
        journal.record(state)  # after every task: a crash loses at most the tasks still running
