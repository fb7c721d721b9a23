"""Timing batch runs: wall, CPU and peak RSS of the whole process tree, Dask workers included."""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import machine_busy_seconds, others_cpu, run_child, wait_for_quiet

# ---- 2. timing ---------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    label: str
    workers: int
    wall_s: float
    cpu_s: float
    max_rss_mb: float
    exit_code: int
    log: str
    others_cpu_s: float | None = None
    waited_for_quiet_s: float = 0.0
    psas_ok: int | None = None
    renditions: int | None = None
    from_journal: int = 0
    orphans_reaped: int = 0
    adopted_cpu_s: float = 0.0  # the part of cpu_s that only the subreaper sees (forkserver, pool workers)
    batch_s: float | None = None  # run_batch's own time as psa prints it: no start-up, no report
    build_tasks_s: float | None = None  # sum of the build tasks' own times: the work a pool can spread
    notes: list[str] = field(default_factory=list)

    def others_share(self) -> float | None:
        """The share of the machine's CPU that other processes used while this run went."""
        if self.others_cpu_s is None or self.wall_s <= 0:
            return None
        return self.others_cpu_s / (self.wall_s * (os.cpu_count() or 1))


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux prctl PR_SET_CHILD_SUBREAPER); True if it worked.

    `psa batch run` starts its pool through a multiprocessing forkserver, which forks the workers;
    the forkserver reaps the workers (and they their ffmpeg children), but psa never waits for the
    forkserver: it outlives psa and is re-parented. Without this, that CPU time (nearly all of the
    encoding) would land on init instead of in our wait4 figures. As subreaper we inherit it and reap it.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, 1, 0, 0, 0)) == 0  # 36 = PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def my_children() -> set[int]:
    """Pids whose parent is this process, from /proc."""
    mine = os.getpid()
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: fields after it start past the last ')'.
        rest = stat[stat.rfind(")") + 2 :].split()
        if len(rest) > 1 and int(rest[1]) == mine:
            found.add(int(entry.name))
    return found


def reap(pids: set[int], deadline_s: float = 60.0) -> list[resource.struct_rusage]:
    """wait4 each of `pids` (orphans adopted as subreaper), polling until they exit or the deadline passes."""
    usages: list[resource.struct_rusage] = []
    pending = set(pids)
    until = time.monotonic() + deadline_s
    while pending and time.monotonic() < until:
        for pid in list(pending):
            try:
                done, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                pending.discard(pid)
                continue
            if done:
                usages.append(usage)
                pending.discard(pid)
        if pending:
            time.sleep(0.02)
    return usages


@dataclass
class ExtraUsage:
    """CPU and peak RSS of processes outside the psa child's tree (a Dask cluster's workers and scheduler)."""

    cpu_s: float = 0.0
    max_rss_kb: float = 0.0
    notes: list[str] = field(default_factory=list)


def timed(
    name: str,
    label: str,
    workers: int,
    command: list[str],
    log: Path,
    wait_idle: float,
    adopt_orphans: bool,
    extra: Callable[[], Callable[[], ExtraUsage]] | None = None,
    env: dict[str, str] | None = None,
) -> Measurement:
    """Run `command` as a child; wall clock, and CPU and peak RSS of its whole tree from wait4.

    wait4 reports the child plus every descendant that was waited for; ru_maxrss is the largest single
    process among them, not a sum. `extra` starts a measurement of processes outside that tree and
    returns the function that finishes it.
    """
    waited = wait_for_quiet(wait_idle)
    if waited > 5:
        print(f"    (waited {waited:.0f} s for other processes to go quiet)", flush=True)
    before = my_children()
    finish_extra = extra() if extra else None
    busy_before = machine_busy_seconds()
    wall, exit_code, usage = run_child(command, log, env)
    usages = [usage]
    orphans: set[int] = set()
    if adopt_orphans:
        # The kernel re-parents psa's orphans when psa exits, before wait4 returns, so they are listed now.
        orphans = my_children() - before
        usages += reap(orphans)
    cpu = sum(u.ru_utime + u.ru_stime for u in usages)
    adopted = sum(u.ru_utime + u.ru_stime for u in usages[1:])
    max_rss_kb = float(max(u.ru_maxrss for u in usages))  # Linux reports KiB
    notes: list[str] = []
    if finish_extra is not None:
        more = finish_extra()
        cpu += more.cpu_s
        max_rss_kb = max(max_rss_kb, more.max_rss_kb)
        notes += more.notes
    return Measurement(
        name=name,
        label=label,
        workers=workers,
        wall_s=round(wall, 3),
        cpu_s=round(cpu, 3),
        max_rss_mb=round(max_rss_kb / 1024, 1),
        exit_code=exit_code,
        log=str(log),
        # What other sessions used while the child ran tells how far to trust the timing.
        others_cpu_s=others_cpu(busy_before, machine_busy_seconds(), cpu),
        waited_for_quiet_s=round(waited, 1),
        orphans_reaped=len(orphans),
        adopted_cpu_s=round(adopted, 3),
        notes=notes,
    )


def inspect(measurement: Measurement, build: Path) -> None:
    """Fill in what the run did: PSAs ok and renditions (from its report), steps taken from the journal (its log)."""
    log = Path(measurement.log).read_text(encoding="utf-8", errors="replace")
    measurement.from_journal = log.count("(from journal)")
    match = re.search(r"PSA\(s\) ok, .* in ([0-9.]+) s", log)
    measurement.batch_s = float(match.group(1)) if match else None
    try:
        report = json.loads((build / "batch-report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    measurement.psas_ok = int(report.get("summary", {}).get("ok", 0))
    builds = [p.get("steps", {}).get("build", {}) for p in report["psas"]]
    measurement.renditions = sum(len(b.get("rendered", [])) for b in builds)
    measurement.build_tasks_s = round(sum(float(b.get("seconds", 0.0)) for b in builds), 2)


def log_tail(path: str, lines: int = 8) -> str:
    text = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(textwrap.shorten(line, 200) for line in text[-lines:])


def worker_usage() -> tuple[float, float, float, float]:
    """On a Dask worker: (own CPU s, waited-for children's CPU s, own peak RSS KiB, largest child's peak RSS KiB)."""
    import resource as res  # imported here: the function runs on the worker (cloudpickle ships it by value)

    own = res.getrusage(res.RUSAGE_SELF)
    kids = res.getrusage(res.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime, float(own.ru_maxrss), float(kids.ru_maxrss)


def dask_usage(client: Any) -> Callable[[], Callable[[], ExtraUsage]]:
    """Measure a LocalCluster's own processes: the psa child only runs the Dask client.

    The workers (and the ffmpeg they run) are children of this process, not of psa, so wait4 on psa
    misses them; each worker reports its own rusage before and after. The scheduler and the nannies
    run as threads in this process: its RUSAGE_SELF delta counts them (this thread just sleeps in wait4).
    """

    def start() -> Callable[[], ExtraUsage]:
        workers_before: dict[str, tuple[float, float, float, float]] = client.run(worker_usage)
        self_before = resource.getrusage(resource.RUSAGE_SELF)

        def finish() -> ExtraUsage:
            self_after = resource.getrusage(resource.RUSAGE_SELF)
            workers_after: dict[str, tuple[float, float, float, float]] = client.run(worker_usage)
            result = ExtraUsage()
            for address, (own, kids, own_rss, kid_rss) in workers_after.items():
                was = workers_before.get(address)
                if was is None:
                    result.notes.append(f"worker {address} started during the run (a restart?): CPU counted whole")
                    was = (0.0, 0.0, 0.0, 0.0)
                result.cpu_s += (own - was[0]) + (kids - was[1])
                # Peak RSS is a lifetime maximum per process; the workers are fresh, so this run's.
                result.max_rss_kb = max(result.max_rss_kb, own_rss, kid_rss)
            lost = set(workers_before) - set(workers_after)
            if lost:
                result.notes.append(f"{len(lost)} worker(s) left during the run: their CPU time is missing")
            scheduler = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
            result.cpu_s += scheduler
            result.notes.append(f"scheduler + nannies (threads of this process): {scheduler:.2f} s CPU")
            return result

        return finish

    return start


@contextmanager
def local_cluster(workers: int) -> Iterator[tuple[Any, Any, float]]:
    """A Dask LocalCluster of `workers` single-threaded processes on loopback, a client on it, and its start time."""
    import importlib
    import logging

    # Imported as Any: distributed ships no type hints, and only this run needs it.
    distributed: Any = importlib.import_module("distributed")
    began = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    client.wait_for_workers(workers, timeout=120)
    started = time.perf_counter() - began
    try:
        yield cluster, client, started
    finally:
        client.close()
        cluster.close()
