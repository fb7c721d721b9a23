"""The batch scale check's Markdown table and JSON."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict
from typing import Any

from batch_project import DISTURBED_SHARE, EFFICIENCY_TARGET, NOOP_TARGET_S, Batch
from batch_timing import Measurement
from common import verdict

# ---- 3. report ---------------------------------------------------------------------------------------------


def report(
    batch: Batch,
    runs: list[Measurement],
    noop_repeats: list[Measurement],
    facts: dict[str, Any],
) -> tuple[str, dict[str, Any]]:
    cores = os.cpu_count() or 1
    base = next((r for r in runs if r.name == "j1" and r.exit_code == 0), None)
    videos, radios = batch.kinds()
    lines = [
        f"psa batch run, {batch.count} PSAs ({videos} video -> whatsapp + social, {radios} radio-drama -> radio), "
        f"{cores} cores, Python {platform.python_version()}.",
        "",
        "| run | workers | wall s | CPU s | CPU/wall | peak RSS MB¹ | speed-up vs -j 1 | efficiency² | others' CPU³ "
        "| exit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows: list[dict[str, Any]] = []
    for r in runs:
        full = r.name != "noop"
        speedup = base.wall_s / r.wall_s if base and full and r.exit_code == 0 and r.wall_s > 0 else None
        efficiency = speedup / r.workers if speedup is not None else None
        share = r.others_share()
        disturbed = share is not None and share > DISTURBED_SHARE
        rows.append(asdict(r) | {"speedup": speedup, "efficiency": efficiency, "others_share": share,
                                 "disturbed": disturbed})  # fmt: skip
        lines.append(
            f"| {r.label} | {r.workers} | {r.wall_s:.2f} | {r.cpu_s:.1f} | {r.cpu_s / r.wall_s:.2f} "
            f"| {r.max_rss_mb:.0f} | {'' if speedup is None else f'{speedup:.2f}x'} "
            f"| {'' if efficiency is None else f'{efficiency:.0%}'} "
            f"| {'?' if share is None else f'{share:.0%}'}{' ⚠' if disturbed else ''} | {r.exit_code} |"
        )
    lines += [
        "",
        "¹ largest single process (wait4 ru_maxrss over psa and every descendant it, or the adopted forkserver, "
        "waited for; for Dask, over psa and each worker and its ffmpeg children), not a sum.",
        "² speed-up / workers. CPU = user + system of psa, its pool (forkserver adopted as subreaper), the "
        "ffmpeg it runs, and for Dask the workers and the scheduler threads.",
        f"³ CPU used by other processes during the run, as a share of all {cores} cores; ⚠ above "
        f"{DISTURBED_SHARE:.0%}: that timing is inflated by someone else's load.",
    ]

    noop = next((r for r in runs if r.name == "noop"), None)
    local = [r for r in runs if r.name.startswith("j") and r.exit_code == 0]
    top = max(local, key=lambda r: r.workers) if local else None
    top_speedup = base.wall_s / top.wall_s if base and top and top.wall_s > 0 else None
    top_efficiency = top_speedup / top.workers if top_speedup is not None and top else None
    steps = 2 * batch.count  # validate + build per PSA, nothing published
    noop_ok = None
    if noop is not None:
        noop_ok = noop.exit_code == 0 and noop.wall_s < NOOP_TARGET_S and noop.from_journal == steps
    scaling_ok = (
        None if top_efficiency is None or top is None or top.workers < 2 else top_efficiency >= EFFICIENCY_TARGET
    )
    targets = {
        "noop_rerun": {
            "target": f"< {NOOP_TARGET_S:g} s, every step from the journal",
            "wall_s": noop.wall_s if noop else None,
            "steps_from_journal": f"{noop.from_journal}/{steps}" if noop else None,
            "verdict": verdict(noop_ok),
        },
        "scaling": {
            "target": f"efficiency at -j {cores} >= {EFFICIENCY_TARGET:.0%}",
            "jobs": top.workers if top else None,
            "speedup": top_speedup,
            "efficiency": top_efficiency,
            "verdict": verdict(scaling_ok),
        },
    }
    lines += ["", "Targets:"]
    if noop is not None:
        others = ", ".join(f"{r.wall_s:.2f}" for r in noop_repeats)
        lines.append(
            f"- no-op re-run of {batch.count} PSAs < {NOOP_TARGET_S:g} s: {noop.wall_s:.2f} s, "
            f"{noop.from_journal}/{steps} steps from the journal -> {verdict(noop_ok)}"
            + (f" (further re-runs: {others} s)" if others else "")
        )
    if top is not None and top_speedup is not None and top_efficiency is not None:
        lines.append(
            f"- near-linear scaling up to the core count: -j {top.workers} is {top_speedup:.2f}x -j 1, efficiency "
            f"{top_efficiency:.0%} (target >= {EFFICIENCY_TARGET:.0%}) -> {verdict(scaling_ok)}"
        )
    dask = next((r for r in runs if r.name == "dask" and r.exit_code == 0), None)
    if dask and base:
        lines.append(
            f"- Dask LocalCluster ({dask.workers} workers): {base.wall_s / dask.wall_s:.2f}x -j 1 "
            f"(cluster start-up {facts.get('dask_cluster_start_s', 0):.1f} s, not in its wall time)"
        )
    if base is not None and base.wall_s > 0 and base.cpu_s / base.wall_s > 1.1:
        # ffmpeg threads its encoders and filters: one job can already use more than one core.
        lines.append(
            f"- -j 1 already keeps {base.cpu_s / base.wall_s:.2f} cores busy (ffmpeg's own threads), which caps "
            f"what more jobs can add on {cores} cores."
        )
    if base is not None and base.build_tasks_s is not None and top is not None and top.workers > 1:
        # Amdahl: only the build tasks spread over workers; start-up, validation and the report do not.
        serial = max(0.0, base.wall_s - base.build_tasks_s)
        bound = base.wall_s / (serial + base.build_tasks_s / top.workers)
        lines.append(
            f"- of -j 1's {base.wall_s:.1f} s, {base.build_tasks_s:.1f} s are build tasks (what -j spreads) and "
            f"{serial:.1f} s the rest (start-up, validation, journal, report): even with perfect workers -j "
            f"{top.workers} could be at most {bound:.2f}x."
        )
    disturbed_runs = [r.label for r, row in zip(runs, rows, strict=True) if row["disturbed"]]
    if disturbed_runs:
        lines.append(f"- WARNING: other processes loaded the machine during: {', '.join(disturbed_runs)}.")
    for r in runs:
        for note in r.notes:
            lines.append(f"- {r.label}: {note}")
    data = {
        "batch": {"count": batch.count, "video": videos, "radio_drama": radios, "projects": str(batch.projects)},
        "machine": facts,
        "runs": rows,
        "noop_repeats": [asdict(r) for r in noop_repeats],
        "targets": targets,
    }
    return "\n".join(lines), data
