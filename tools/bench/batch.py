"""Scale check for `psa batch run`: a batch of small PSAs with 1, 2 and N local jobs and on a local Dask cluster.

    .venv/bin/python tools/bench batch [--out DIR] [--count 50] [--wait-idle S] [--quick] [--reuse-build]

1. Generates (deterministically; reused when already there) --count small PSAs in OUT/projects/psa-NN/
   sharing OUT/assets/jingles/intro.wav and outro.wav (44.1 kHz, so conforming them is real work) and,
   for the videos, OUT/assets/logos/logo.png: most are `video` (3 s 320x240 testsrc2 + sine, channels
   whatsapp and social), every fifth a `radio-drama` with `sources.audio` (channel radio). Each has
   inline Indonesian cues, an approval block and its own copy of the media. OUT/channels.yaml holds
   small frame sizes (as tests/data/tiny-channels.yaml); `radio` is the built-in profile.
2. Times, each in a fresh build folder, `psa batch run OUT/projects --channels OUT/channels.yaml
   --build OUT/build-X` with -j 1, -j 2, -j N (N = cores; -j 2 is not repeated when N is 2) and
   with --scheduler on a `distributed.LocalCluster` of N single-threaded worker processes; then
   re-runs the last local one in the same build folder (the no-op re-run, target < 2 s), and times a
   no-op `psa build` of the batch (the render cache check alone; target < 5 s for 1,000 PSAs).
   Every ffmpeg and ffprobe the local runs start is logged (shims first on PATH): how often each
   shared file was decoded and probed (once per batch is the goal), and how many tools a no-op starts.
   --quick: only -j N and the no-op runs. --reuse-build: keep a finished OUT/build-jN and time only
   the no-op runs (a 1,000-PSA build takes many minutes; to time another psa on the same build, run
   this with that psa's package first on PYTHONPATH).
3. Prints a Markdown table (wall, CPU, peak RSS, speed-up and efficiency vs -j 1) and writes it
   with the raw numbers to OUT/bench-batch.json.

It deletes and recreates OUT/build-* (unless --reuse-build finds them finished) and OUT/logs, and
OUT/projects when the generated batch is stale.

Exit status: 0 when every run exited 0 with every PSA ok (a missed target is a result, not an
error), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from batch_project import DEFAULT_OUT, Batch, generate
from batch_report import report
from batch_timing import Measurement, become_subreaper, dask_usage, inspect, local_cluster, log_tail, timed
from common import BenchError, psa_tool
from encodes import logging_env, reads_of, tool_runs

# ---- main --------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work folder [default: bench-out/batch]")
    parser.add_argument("--count", type=int, default=50, help="PSAs in the batch [default: 50]")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=60.0,
        help="before each run, wait up to this many seconds for other processes to go quiet [default: 60]",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="only the -j N run and the no-op runs (no -j 1, no Dask): for a busy machine",
    )
    parser.add_argument(
        "--reuse-build",
        action="store_true",
        help="keep OUT/build-jN when it holds a finished build of this batch: time only the no-op runs "
        "(for re-measuring them without building 1,000 PSAs again)",
    )
    parser.add_argument("--noop-repeats", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 9999:
        parser.error("--count must be between 1 and 9999")
    return args


def ffmpeg_version() -> str:
    try:
        out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    match = re.match(r"ffmpeg version (\S+)", out)
    return match.group(1) if match else "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    total_began = time.perf_counter()
    batch = Batch(args.out.resolve(), args.count)
    cores = os.cpu_count() or 1
    facts: dict[str, Any] = {
        "cores": cores,
        "python": platform.python_version(),
        "ffmpeg": ffmpeg_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        began = time.perf_counter()
        fresh = generate(batch)
        facts["generate_s"] = round(time.perf_counter() - began, 2)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    videos, radios = batch.kinds()
    state = "generated" if fresh else "reusing"
    print(f"{state} {batch.count} PSAs ({videos} video, {radios} radio-drama) in {batch.projects}", flush=True)

    facts["subreaper"] = become_subreaper()
    if not facts["subreaper"]:
        print("warning: cannot become a child subreaper; local runs' CPU will miss the pool workers", file=sys.stderr)

    logs = batch.out / "logs"
    shutil.rmtree(logs, ignore_errors=True)

    def command(build: Path, *how: str) -> list[str]:
        return [psa_tool(), "batch", "run", str(batch.projects), "--channels", str(batch.channels),
                "--build", str(build), *how]  # fmt: skip

    runs: list[Measurement] = []
    noop_repeats: list[Measurement] = []

    shared_reads: dict[str, dict[str, dict[str, int]]] = {}

    def full_run(name: str, label: str, workers: int, how: list[str], **kw: Any) -> Measurement | None:
        build = batch.out / f"build-{name}"
        if args.reuse_build and finished(build, batch.count):
            print(f"== {label}: reusing the finished build in {build.name} (--reuse-build)", flush=True)
            return None
        shutil.rmtree(build, ignore_errors=True)  # a fresh build folder: no journal, no cached renditions
        print(f"== {label}: psa batch run {' '.join(how)} --build {build.name}", flush=True)
        tools = logs / f"{name}.tools"
        # Dask's workers are this process's children, started before the shims: their tools are not logged.
        env = None if name == "dask" else logging_env(batch.out / "shim", tools)
        m = timed(name, label, workers, command(build, *how), logs / f"{name}.log", args.wait_idle, env=env, **kw)
        inspect(m, build)
        runs.append(m)
        if env is not None:
            shared_reads[name] = {ref: dict(zip(("decoded", "probed"), reads_of(tools, path), strict=True))
                                  for ref, path in batch.shared_assets.items()}  # fmt: skip
        print(f"   {m.wall_s:.2f} s wall, {m.cpu_s:.1f} s CPU, exit {m.exit_code}", flush=True)
        return m

    # -j N is the same command as -j 2 on a 2-core machine: run it once, and -j 1 when there is one core.
    local_jobs = [cores] if args.quick else sorted({1, min(2, cores), cores})
    last_build = batch.out
    for jobs in local_jobs:
        name = f"j{jobs}"
        label = f"-j {jobs}" + (" (= N)" if jobs == cores and jobs > 1 else "")
        full_run(name, label, jobs, ["-j", str(jobs)], adopt_orphans=True)
        last_build = batch.out / f"build-{name}"

    # The no-op re-run: the same command in the same build folder, right after the last local run.
    top = local_jobs[-1]
    noop_command = command(last_build, "-j", str(top))
    for attempt in range(1 + max(0, args.noop_repeats)):
        label = f"no-op re-run (-j {top})"
        print(f"== {label}, run {attempt + 1}", flush=True)
        m = timed("noop", label, top, noop_command, logs / f"noop-{attempt + 1}.log", args.wait_idle, True)
        inspect(m, last_build)
        m.renditions = None  # the report repeats the journal's earlier outcome; nothing was rendered now
        print(f"   {m.wall_s:.2f} s wall, {m.from_journal} step(s) from the journal, exit {m.exit_code}", flush=True)
        if attempt == 0:
            runs.append(m)  # the second invocation is the one the target is about
        else:
            noop_repeats.append(m)

    noop_build = noop_cache_check(batch, last_build, top, logs, args.wait_idle)
    facts["noop_build"] = noop_build

    try:
        if args.quick:
            raise RuntimeError("skipped (--quick)")
        print(f"== starting a Dask LocalCluster of {cores} worker processes", flush=True)
        with local_cluster(cores) as (cluster, client, started):
            facts["dask_cluster_start_s"] = round(started, 2)
            print(f"   started in {started:.1f} s at {cluster.scheduler_address}", flush=True)
            # Dask's workers are our children: adopting orphans there could reap one of them under its nanny.
            full_run(
                "dask",
                f"Dask LocalCluster ({cores} workers)",
                cores,
                ["--scheduler", cluster.scheduler_address],
                adopt_orphans=False,
                extra=dask_usage(client),
            )
    except Exception as exc:  # no Dask, or the cluster did not start: report it, keep the local numbers
        if not args.quick:
            print(f"error: the Dask run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            facts["dask_error"] = f"{type(exc).__name__}: {exc}"

    facts["shared_part_reads"] = shared_reads
    text, data = report(batch, runs, noop_repeats, facts)
    for name, reads in shared_reads.items():
        parts = "; ".join(f"{ref} decoded {n['decoded']}x, probed {n['probed']}x" for ref, n in reads.items())
        text += f"\n\nShared parts in the {name} build of {batch.count} PSAs (logged ffmpeg/ffprobe): {parts}."
    per_psa = noop_build["wall_s"] / batch.count
    text += (
        f"\n\nNo-op `psa build` of the {batch.count} PSAs (the render cache check alone, no journal): "
        f"{noop_build['wall_s']:.2f} s wall, {noop_build['cpu_s']:.2f} s CPU, "
        f"{noop_build['ffmpeg_runs']} ffmpeg/ffprobe runs; {1000 * per_psa:.1f} ms per PSA"
        + ("" if batch.count >= 1000 else f", so about {1000 * per_psa:.1f} s for 1,000 PSAs")
        + " (target < 5 s for 1,000)."
    )
    total = time.perf_counter() - total_began
    data["total_s"] = round(total, 1)
    print()
    print(text)
    print(f"\nbenchmark total: {total:.0f} s (generation {facts['generate_s']:.1f} s)")
    with (batch.out / "bench-batch.json").open("w", encoding="utf-8") as handle:
        json.dump(data | {"markdown": text}, handle, indent=2, ensure_ascii=False)
    print(f"wrote {batch.out / 'bench-batch.json'}")

    failed = False
    for m in [*runs, *noop_repeats]:
        if m.exit_code != 0 or (m.psas_ok is not None and m.psas_ok != batch.count):
            failed = True
            print(f"\nerror: {m.label} exited {m.exit_code} with {m.psas_ok}/{batch.count} PSAs ok; log {m.log}:")
            print(textwrap.indent(log_tail(m.log), "    "))
    if "dask_error" in facts:
        failed = True
    return 1 if failed else 0


def finished(build: Path, count: int) -> bool:
    """Whether `build` holds a finished batch run of `count` PSAs, every one ok."""
    try:
        summary = json.loads((build / "batch-report.json").read_text(encoding="utf-8")).get("summary", {})
    except (OSError, ValueError):
        return False
    return int(summary.get("ok", 0)) == count


def noop_cache_check(batch: Batch, build: Path, jobs: int, logs: Path, wait_idle: float) -> dict[str, Any]:
    """`psa build` over the batch right after it was built: only the cache check runs (no probe, no hash of media).

    A logging ffmpeg/ffprobe shim counts any media tool the check starts (there should be none but
    `ffmpeg -version`, once, for the cache keys).
    """
    shim_log = logs / "noop-build.tools"
    env = logging_env(batch.out / "shim", shim_log)
    command = [psa_tool(), "build", str(batch.projects), "--channels", str(batch.channels), "-o", str(build),
               "-j", str(jobs)]  # fmt: skip
    print(f"== no-op psa build of {batch.count} PSAs (cache check only)", flush=True)
    m = timed("noop-build", "no-op psa build", jobs, command, logs / "noop-build.log", wait_idle, True, env=env)
    runs = tool_runs(shim_log)
    print(f"   {m.wall_s:.2f} s wall, {len(runs)} ffmpeg/ffprobe run(s), exit {m.exit_code}", flush=True)
    return {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "exit_code": m.exit_code, "ffmpeg_runs": len(runs), "log": m.log}


if __name__ == "__main__":
    sys.exit(main())
