"""The single-PSA benchmark's Markdown tables and JSON."""

from __future__ import annotations

import os
import statistics
from dataclasses import asdict
from typing import Any

from checks import FileCheck
from common import verdict
from spec import TARGETS, TRUE_PEAK, Timeline
from timing import APPROACHES, BY_KEY, Measurement, contaminated

# ---- 3. report ------------------------------------------------------------------------------


def median(runs: list[Measurement], attribute: str) -> float:
    return float(statistics.median(getattr(r, attribute) for r in runs))


def report(
    runs: dict[str, list[Measurement]], checks: dict[str, list[FileCheck]], tl: Timeline, seconds: float, repeat: int
) -> tuple[str, dict[str, Any]]:
    ok_runs = {k: v for k, v in runs.items() if v and all(r.exit_code == 0 for r in v)}
    wall = {k: median(v, "wall_s") for k, v in ok_runs.items()}
    base = wall.get("hand")
    notes: list[str] = []

    def note(text: str) -> str:
        notes.append(text)
        return "¹²³⁴⁵⁶⁷⁸⁹"[len(notes) - 1] if len(notes) <= 9 else f"[{len(notes)}]"

    marks = {
        "psa": note(
            "psa also validates the manifest (ffprobe of every input, subtitle QC), hashes the inputs, "
            "decides loudness on a lossless mix, encodes each picture once, decodes and measures every finished "
            "file and redoes only the audio of a file off target (within ±0.2 LU), and writes renditions.json."
        ),
        "hand": note(
            "One ebur128 pass over the assembled sound, then ONE multi-output ffmpeg process (source decoded "
            "once; the 1080p program built once and scaled to 720p; cards by drawtext; captions by libass). "
            "Finished files are not re-measured."
        ),
        "normalize": note(
            "ffmpeg writes the assembled sound to WAV; ffmpeg-normalize (loudnorm, two passes, linear mode) runs "
            "three times: a -14 LUFS master WAV for the videos, then radio WAV and radio MP3 with their codecs; "
            "the videos are encoded as in (a) with that master as their sound."
        ),
        "moviepy": note(
            "Cards and captions by TextClip/SubtitlesClip (Pillow, no libass); blur by Pillow; each video "
            "decodes the source again. moviepy cannot write subtitle streams: soft tracks and the sidecars are "
            "added by an ffmpeg stream-copy remux, included in its time. Loudness: gain from an ffmpeg ebur128 "
            "measurement of the program moviepy wrote (moviepy has only peak normalisation)."
        ),
        "noop-samples": note("Second `psa build projects/` in a row (the first one renders); nothing to encode."),
        "noop-bench": note("`psa build` of the benchmark project right after (A), without --force."),
    }
    rss_note = note(
        "CPU = user + system time of the child and every process it waited for (os.wait4); peak RSS is "
        "that of the largest single process in that tree, not a sum."
    )
    lines = [
        f"Benchmark: {seconds:g} s of 1080p30 content -> {tl.total:.1f} s PSA, 5 renditions; "
        f"{os.cpu_count()} cores; median of {repeat} run(s).",
        "",
        f"| approach | wall s | CPU s | peak RSS MB{rss_note} | wall ratio vs (a) |",
        "|---|---:|---:|---:|---:|",
    ]
    rows: list[dict[str, Any]] = []
    for a in APPROACHES:
        if a.key not in runs:
            continue
        label = f"{a.mark} {a.label}{marks[a.key]}"
        if a.key not in ok_runs:
            failed = next(r for r in runs[a.key] if r.exit_code != 0)
            lines.append(f"| {label} | CRASHED (exit {failed.exit_code}, see {failed.log}) | | | |")
            rows.append({"approach": a.key, "crashed": True, "log": failed.log})
            continue
        v = ok_runs[a.key]
        ratio = wall[a.key] / base if base else None
        shown = f"{ratio:.2f}x" if ratio is not None else "n/a"
        row = {"approach": a.key, "label": f"{a.mark} {a.label}", "wall_s": wall[a.key], "cpu_s": median(v, "cpu_s"),
               "max_rss_mb": median(v, "max_rss_mb"), "wall_ratio_vs_a": ratio}  # fmt: skip
        rows.append(row)
        lines.append(f"| {label} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {row['max_rss_mb']:.0f} | {shown} |")
    background = {k: max(r.others_cpu_s or 0.0 for r in v) for k, v in ok_runs.items()}
    if background:
        shown_bg = ", ".join(f"{BY_KEY[k].mark} {s:.1f}" for k, s in background.items())
        lines += ["", f"CPU seconds used by other processes on the machine during each run (worst run): {shown_bg}."]
        busy = [k for k, v in ok_runs.items() if any(contaminated(r) for r in v)]
        if busy:
            marks_busy = ", ".join(BY_KEY[k].mark for k in busy)
            lines.append(
                f"WARNING: the machine was busy during {marks_busy} even after retries; those timings are inflated."
            )
        retried = sum(len(r.discarded) for v in ok_runs.values() for r in v)
        if retried:
            lines.append(
                f"{retried} run(s) disturbed by other processes were discarded and run again (see bench.json)."
            )

    psa, hand, norm, mpy, noop = (wall.get(k) for k in ("psa", "hand", "normalize", "moviepy", "noop-samples"))
    targets = [
        ("psa within 1.10x of (a)", f"{psa / hand:.2f}x" if psa and hand else "n/a",
         None if not (psa and hand) else psa / hand <= 1.10),
        ("psa faster than (b)", f"{psa:.1f} s vs {norm:.1f} s" if psa and norm else "n/a",
         None if not (psa and norm) else psa < norm),
        ("psa >= 4x faster than (c)", f"{mpy / psa:.2f}x" if psa and mpy else "n/a",
         None if not (psa and mpy) else mpy / psa >= 4.0),
        ("no-op rebuild of samples < 1 s", f"{noop:.2f} s" if noop is not None else "n/a",
         None if noop is None else noop < 1.0),
    ]  # fmt: skip
    quality = loudness_and_encodes(ok_runs, checks)
    mine = next((q for q in quality if q["approach"] == "psa"), None)
    if mine:
        encodes, error = mine["video_encodes_per_video_rendition"], mine["loudness_error_max_lu"]
        targets += [
            ("psa: video encodes per video rendition = 1.00", "n/a" if encodes is None else f"{encodes:.2f}",
             None if encodes is None else abs(encodes - 1.0) < 1e-9),
            ("psa: loudness error max <= 0.2 LU", "n/a" if error is None else f"{error:.2f} LU",
             None if error is None else error <= 0.2),
        ]  # fmt: skip
    lines += ["", "| target | measured | result |", "|---|---:|:---:|"]
    lines += [f"| {name} | {measured} | {verdict(ok)} |" for name, measured, ok in targets]

    if quality:
        lines += [
            "",
            "Loudness and encodes, measured outside psa (ffmpeg ebur128 on every file; H.264 encodes counted "
            "from the logged ffmpeg command lines):",
            "",
            "| approach | video encodes per video rendition | audio corrections per rendition (mean / max) "
            "| loudness error max / mean (LU) | true-peak margin min (dB) |",
            "|---|---:|---:|---:|---:|",
        ]
        for q in quality:
            fix = q["audio_corrections"]
            lines.append(
                f"| {BY_KEY[q['approach']].mark} {BY_KEY[q['approach']].label} "
                f"| {_num(q['video_encodes_per_video_rendition'])} "
                f"| {'—' if not fix else f'{sum(fix) / len(fix):.2f} / {max(fix)}'} "
                f"| {_num(q['loudness_error_max_lu'])} / {_num(q['loudness_error_mean_lu'])} "
                f"| {_num(q['true_peak_margin_min_db'])} |"
            )
    if checks:
        lines += ["", "Outputs checked after the runs (not timed): integrated LUFS / true peak dBTP, and problems.", ""]
        keys = [a.key for a in APPROACHES if a.key in checks]
        lines.append("| rendition | target | " + " | ".join(BY_KEY[k].mark for k in keys) + " |")
        lines.append("|---|---|" + "---|" * len(keys))
        for n, t in enumerate(TARGETS):
            cells = []
            for k in keys:
                c = checks[k][n]
                loud = "—" if c.integrated_lufs is None else f"{c.integrated_lufs:.1f} / {c.true_peak_dbtp:.1f}"
                cells.append(loud + ("" if not c.problems else " ✗"))
            lines.append(f"| {t.key} | {t.lufs:.0f} / ≤{TRUE_PEAK:.0f} | " + " | ".join(cells) + " |")
        problems = [f"{BY_KEY[k].mark} {c.rendition}: {p}" for k in keys for c in checks[k] for p in c.problems]
        lines += ["", "Problems: " + ("none" if not problems else "; ".join(problems))]
        phases = {k: ok_runs[k][-1].phases for k in ("hand", "normalize", "moviepy") if k in ok_runs}
        if phases:
            steps = {k: ", ".join(f"{name} {s:.1f} s" for name, s in p.items()) for k, p in phases.items()}
            shown = "; ".join(f"{BY_KEY[k].mark} {text}" for k, text in steps.items())
            lines += ["", f"Phases (last run): {shown}"]
    lines += ["", *(f"{'¹²³⁴⁵⁶⁷⁸⁹'[i] if i < 9 else f'[{i + 1}]'} {text}" for i, text in enumerate(notes))]
    table = "\n".join(lines)
    data = {
        "seconds": seconds,
        "repeat": repeat,
        "cores": os.cpu_count(),
        "timeline": {
            "content": tl.content,
            "content_start": tl.content_start,
            "audio_end": round(tl.audio_end, 3),
            "total": round(tl.total, 3),
        },
        "rows": rows,
        "quality": quality,
        "targets": [{"target": n, "measured": m, "pass": ok} for n, m, ok in targets],
        "runs": {k: [asdict(r) for r in v] for k, v in runs.items()},
        "checks": {k: [asdict(c) for c in v] for k, v in checks.items()},
        "footnotes": notes,
        "table_markdown": table,
    }
    return table, data


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def loudness_and_encodes(
    ok_runs: dict[str, list[Measurement]], checks: dict[str, list[FileCheck]]
) -> list[dict[str, Any]]:
    """Per approach: H.264 encodes per video rendition, psa's audio corrections, loudness error, true-peak margin."""
    videos = sum(1 for t in TARGETS if t.size)
    rows = []
    for key, runs in ok_runs.items():
        if key not in checks:
            continue
        last = runs[-1]
        errors = [abs(c.integrated_lufs - t.lufs) for c, t in zip(checks[key], TARGETS, strict=True)
                  if c.integrated_lufs is not None]  # fmt: skip
        peaks = [c.true_peak_dbtp for c in checks[key] if c.true_peak_dbtp is not None]
        rows.append({
            "approach": key,
            "video_encodes_per_video_rendition": None if last.video_encodes is None else last.video_encodes / videos,
            "audio_corrections": last.audio_corrections,
            "loudness_error_max_lu": round(max(errors), 2) if errors else None,
            "loudness_error_mean_lu": round(sum(errors) / len(errors), 3) if errors else None,
            "true_peak_margin_min_db": round(TRUE_PEAK - max(peaks), 2) if peaks else None,
        })  # fmt: skip
    return rows
