"""Benchmark `psa build` against the ways people render the same PSA without it.

    .venv/bin/python tools/bench [--out DIR] [--seconds 60] [--repeat N] [--approaches LIST] [--wait-idle S]

Generates a benchmark project (deterministic synthetic media) under --out, validates it with
`psa validate`, then renders the same five files (web 1080p + 720p MP4 with soft subtitle
tracks, social 1080x1920 with burned-in captions, radio MP3 + 24-bit WAV, all loudness
normalised) four ways, each as a child process timed with os.wait4:

  (A) psa       `psa build OUT/project -o OUT/build-psa --force`
  (a) hand      hand-written ffmpeg: one ebur128 pass, then one multi-output encode
  (b) normalize ffmpeg assembles the sound, ffmpeg-normalize sets its loudness, ffmpeg encodes
  (c) moviepy   a straightforward moviepy 2.x script

and times two no-op rebuilds: (d) the sample projects, (e) the benchmark project. Every
output is then checked (streams, sizes, subtitle languages, loudness) outside the timing.
Prints Markdown tables and writes them with the raw numbers to OUT/bench.json.

The machine may be shared: each run waits (up to --wait-idle s) for other processes to go quiet,
and the CPU time other processes used during each run is reported next to the timings.

Exit status: 0 when every approach ran (a missed target is a result, not an error), 1 when
an approach crashed or the benchmark project does not validate.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from checks import FileCheck, check_outputs
from common import BenchError, psa_tool
from helpers import duration_of, fonts
from moviepy_way import CHILDREN
from project import generate
from report import report
from spec import DEFAULT_OUT, PSA_ID, Paths, Timeline
from timing import APPROACHES, BUSY_SHARE, BY_KEY, Measurement, run_clean

# ---- main -----------------------------------------------------------------------------------


def validate(paths: Paths) -> None:
    result = subprocess.run([psa_tool(), "validate", str(paths.project)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"psa validate {paths.project} failed:\n{result.stdout}{result.stderr}")
    print(f"psa validate {paths.project}: ok", flush=True)


def cross_check(paths: Paths, tl: Timeline) -> None:
    """Warn if psa's own timeline differs from the one the other approaches were written for."""
    try:
        record = json.loads((paths.build("psa") / PSA_ID / "renditions.json").read_text())
        theirs = record["psa"]["timeline"]
    except (OSError, ValueError, KeyError):
        return
    ours = {"content_start": tl.content_start, "audio_end": tl.audio_end, "total": tl.total}
    for name, value in ours.items():
        if not math.isclose(float(theirs[name]), value, abs_tol=0.002):
            print(f"warning: psa's {name} is {theirs[name]}, the other approaches use {value:.3f}", file=sys.stderr)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work folder [default: bench-out/]")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the main video [default: 60]")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each approach; the median is reported")
    parser.add_argument(
        "--approaches",
        default=",".join(a.key for a in APPROACHES),
        help="comma-separated subset of: " + ", ".join(a.key for a in APPROACHES),
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=120.0,
        help="before each run, wait up to this many seconds for other processes to go quiet [default: 120]",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help=f"run again when other processes used over {BUSY_SHARE * 100:.0f}%% of the machine meanwhile [default: 2]",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 5 <= args.seconds <= 600:
        parser.error("--seconds must be between 5 and 600")
    if args.repeat < 1 or args.retries < 0:
        parser.error("--repeat must be at least 1 and --retries at least 0")
    unknown = set(args.approaches.split(",")) - set(BY_KEY)
    if unknown:
        parser.error(f"unknown approach(es): {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    paths = Paths(args.out.resolve())
    if args.child:
        CHILDREN[args.child](paths, paths.build(args.child))
        return 0
    chosen = [a.key for a in APPROACHES if a.key in args.approaches.split(",")]
    try:
        fonts()
        if generate(paths, args.seconds):
            print(f"generated {paths.project}", flush=True)
        else:
            print(f"reusing {paths.project} (same generator and --seconds)", flush=True)
        validate(paths)
    except (BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    tl = Timeline(duration_of(paths.main))
    runs: dict[str, list[Measurement]] = {}
    order = [k for k in ("psa", "noop-bench", "hand", "normalize", "moviepy") if k in chosen]
    for attempt in range(1, args.repeat + 1):
        for key in order:
            print(f"[{attempt}/{args.repeat}] {BY_KEY[key].mark} {BY_KEY[key].label} ...", flush=True)
            result = run_clean(key, paths, args.seconds, attempt, args.wait_idle, args.retries)
            runs.setdefault(key, []).append(result)
            state = "ok" if result.exit_code == 0 else f"CRASHED (exit {result.exit_code}), log: {result.log}"
            print(f"    {result.wall_s:.2f} s wall, {result.cpu_s:.2f} s CPU, {result.max_rss_mb:.0f} MB: {state}")
    if "noop-samples" in chosen:
        for attempt in range(1, args.repeat + 1):
            print(f"[{attempt}/{args.repeat}] (d) psa no-op rebuild of projects/ ...", flush=True)
            result = run_clean("noop-samples", paths, args.seconds, attempt, args.wait_idle, args.retries)
            runs.setdefault("noop-samples", []).append(result)
            print(f"    {result.wall_s:.2f} s wall" + ("" if result.exit_code == 0 else f", CRASHED: {result.log}"))
    cross_check(paths, tl)
    checks: dict[str, list[FileCheck]] = {}
    for key in ("psa", "hand", "normalize", "moviepy"):
        if key in runs and all(r.exit_code == 0 for r in runs[key]):
            print(f"checking {BY_KEY[key].mark} outputs ...", flush=True)
            checks[key] = check_outputs(paths.build(key), tl)
    table, data = report(runs, checks, tl, args.seconds, args.repeat)
    (paths.out / "bench.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    print()
    print(table)
    print(f"\nraw numbers: {paths.out / 'bench.json'}")
    crashed = any(r.exit_code != 0 for v in runs.values() for r in v)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
