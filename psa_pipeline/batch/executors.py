"""Where batch tasks run: a local process pool (the default) or an existing Dask distributed cluster.

Both take tasks of plain, picklable arguments and yield each task's typed outcome as it
finishes; a task that crashes is reported as a failed outcome, never lost, except a full
disk (DiskFullError), which ends the run because every other task would fail the same way.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import DiskFullError, PsaError
from psa_pipeline.core.progress import environment
from psa_pipeline.core.status import Status
from psa_pipeline.records.journal import StepOutcome

Task = tuple[str, Callable[..., StepOutcome], tuple[Any, ...]]  # (key, function, arguments)


def _in_environment(env: dict[str, str], fn: Callable[..., StepOutcome], *args: Any) -> StepOutcome:
    """Run a task with the caller's verbosity: a Dask worker on another machine has its own environment."""
    os.environ.update(env)
    return fn(*args)


def _failed(error: str) -> StepOutcome:
    return StepOutcome(status=Status.FAILED, error=error)


class LocalRunner:
    """A process pool; a worker that dies (OOM, kill) breaks the pool, so its tasks get one more try in a new one."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def run(self, tasks: list[Task]) -> Generator[tuple[str, StepOutcome], None, None]:
        pending = list(tasks)
        for attempt in (1, 2):
            broken: list[Task] = []
            # forkserver, not fork: forked workers would inherit the batch lock's descriptor and keep the
            # folder locked after the main process dies.
            context = multiprocessing.get_context("forkserver")
            pool = ProcessPoolExecutor(max_workers=min(self.jobs, max(1, len(pending))), mp_context=context)
            try:
                futures: dict[Future[StepOutcome], Task] = {
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
                            yield key, _failed(_("the worker process died twice (out of memory? killed?)"))
                    except DiskFullError:
                        raise
                    except Exception as exc:  # the task itself raised: report it, keep going
                        yield key, _failed(f"{type(exc).__name__}: {exc}")
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
            raise PsaError(_("--scheduler needs the `distributed` package (pip install distributed)")) from None
        try:
            self.client = Client(address, timeout=20)
        except OSError as exc:
            raise PsaError(
                _("cannot reach the Dask scheduler at {address}: {error}").format(address=address, error=exc)
            ) from None

    def run(self, tasks: list[Task]) -> Generator[tuple[str, StepOutcome], None, None]:
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
            except DiskFullError:
                raise
            except Exception as exc:  # KilledWorker after the scheduler's retries, or the task's own error
                yield key, _failed(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self.client.close()
