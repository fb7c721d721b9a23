"""The batch review report: `batch-report.html` (opens from disk, beside the renditions) and `batch-report.json`.

The HTML links the renditions relatively (`<id>/<file>`), so its players work when the build
folder is opened or copied whole; pictures are embedded, so they show even when only the page is
sent. The review app (review/) renders the same entries with the same template.
"""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from psa_pipeline.approval.fingerprint import ApprovalError
from psa_pipeline.approval.gate import standing
from psa_pipeline.approval.store import read_history
from psa_pipeline.batch import pictures
from psa_pipeline.batch.render import render
from psa_pipeline.batch.run import BatchResult, PsaState
from psa_pipeline.build.one_psa import RECORD
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Location, MediaError, PsaError
from psa_pipeline.core.status import Status
from psa_pipeline.manifest import assets
from psa_pipeline.media import subtitles
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.journal import STEPS, StepOutcome
from psa_pipeline.records.renditions import RenditionEntry, RenditionsRecord

REPORT_HTML = "batch-report.html"
REPORT_JSON = "batch-report.json"
FIRST_CUES = 3
MANIFEST_TEXT_LIMIT = 20_000
# Where a PSA stands for the people reviewing a batch, one colour each in the report.
REVIEW_STATES = ("failed", "needs-review", "changes-requested", "approved", "published")


def write_report(result: BatchResult, build_root: Path, approvals: Path) -> tuple[Path, Path]:
    entries = report_entries(result.states, build_root, approvals)
    summary = summarise(entries, result.seconds)
    data = {"summary": summary, "psas": [public(e) for e in entries]}
    json_path, html_path = build_root / REPORT_JSON, build_root / REPORT_HTML
    with atomic_text(json_path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
    with atomic_text(html_path) as handle:
        handle.write(render("report.html", summary=summary, entries=entries, media_prefix="", caption_tracks=False))
    return html_path, json_path


def report_entries(states: list[PsaState], build_root: Path, approvals: Path) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda s: _entry(s, build_root, approvals), states))


def summarise(entries: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    summary: dict[str, Any] = {"psas": len(entries)}
    summary |= {str(s): sum(1 for e in entries if e["status"] == s) for s in Status if s != Status.CACHED}
    summary |= {state: sum(1 for e in entries if e["review"]["state"] == state) for state in REVIEW_STATES}
    summary["seconds"] = round(seconds, 2)
    return summary


def public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def _entry(state: PsaState, build_root: Path, approvals: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "manifest": state.key,
        "id": state.psa_id,
        "status": Status.OK if state.status.finished else state.status,
        "steps": {step: _step(state.steps[step]) for step in STEPS if step in state.steps},
        "_outcomes": {step: state.steps[step] for step in STEPS if step in state.steps},
        "_manifest_text": _manifest_text(state.manifest),
    }
    manifest = state.manifest_loaded().manifest
    if manifest is not None:
        entry["title"] = manifest.title
        entry["agency"] = manifest.agency.model_dump()
        entry["approval"] = manifest.approval.model_dump(mode="json") if manifest.approval else None
        entry["subtitles"] = _subtitles(state, manifest)
    record_path = build_root / (state.psa_id or "?") / RECORD
    build = state.steps.get("build")
    record = None
    if build is not None and build.status.finished and record_path.is_file():
        try:
            record = RenditionsRecord.read(record_path)
        except RecordError as exc:
            entry["_record_error"] = str(exc)
    if record is not None:
        publish = state.steps.get("publish")
        files = publish.files if publish is not None else []
        published = {f.file: f.url for f in files if f.action in ("uploaded", "skipped")}
        entry["renditions"] = [_rendition(r, published) for r in record.renditions]
        entry["_media"] = _media(record, build_root / record.psa.id)
    entry["review"] = _review(state, record, approvals)
    return entry


def _review(state: PsaState, record: RenditionsRecord | None, approvals: Path) -> dict[str, Any]:
    """failed / needs review / changes requested / approved / published, with who decided and when."""
    review: dict[str, Any] = {"state": "failed", "fingerprint": None, "decision": None, "note": None}
    publish = state.steps.get("publish")
    earlier_steps = [o for step, o in state.steps.items() if step != "publish"]
    if record is None or any(not o.status.finished for o in earlier_steps):
        return review
    if publish is not None and publish.status == Status.FAILED:
        review["note"] = publish.error
        return review
    try:
        where = standing(read_history(approvals, record.psa.id), record)
    except ApprovalError as exc:
        review["note"] = str(exc)
        return review
    review["fingerprint"] = where.fingerprint
    if where.decision is not None:
        review["decision"] = where.decision.model_dump(mode="json", exclude={"digest"})
    elif where.earlier is not None:
        review["note"] = _("rebuilt since the last review on {at}: needs a new review").format(at=where.earlier.at)
    if publish is not None and publish.status.finished:
        review["state"] = "published"
    elif where.approved:
        review["state"] = "approved"
    elif where.decision is not None:
        review["state"] = "changes-requested"
    else:
        review["state"] = "needs-review"
    return review


def _manifest_text(manifest: Path) -> str:
    try:
        return manifest.read_text(encoding="utf-8", errors="replace")[:MANIFEST_TEXT_LIMIT]
    except OSError:
        return ""


def _step(outcome: StepOutcome) -> dict[str, Any]:
    """The journal's outcome without its empty fields: the report shows what happened, not every field."""
    return outcome.model_dump(mode="json", exclude_defaults=True)


def _subtitles(state: PsaState, manifest: Any) -> list[dict[str, Any]]:
    validate = state.steps.get("validate")
    checks: dict[str, str] = dict(validate.checks) if validate is not None else {}
    shared = assets.find_assets_dir(state.manifest.parent)
    tracks = []
    for track in manifest.subtitles.tracks:
        first: list[str] = []
        try:
            file = assets.resolve(track.file, state.manifest.parent, shared) if track.file else None
            cues = subtitles.read_cues(track, file, lambda i: Location(state.manifest))
            first = [c.text for c in sorted(cues, key=lambda c: c.start)[:FIRST_CUES]]
        except (PsaError, OSError):
            pass  # validate already says why; the report shows the QC result
        tracks.append(
            {"lang": track.lang, "qc": checks.get(f"subtitles:{track.lang}", "not checked"), "first_cues": first}
        )
    return tracks


def _rendition(r: RenditionEntry, published: dict[str, str]) -> dict[str, Any]:
    video = next((s for s in r.streams if s.kind == "video"), None)
    return {
        "name": r.name,
        "channel": r.channel,
        "file": r.file,
        "kind": "video" if video else "audio",
        "resolution": f"{video.width}x{video.height}" if video else "audio",
        "duration": r.duration,
        "size": r.size,
        "loudness_in": r.loudness_in.integrated_lufs,
        "loudness_out": r.loudness_out.integrated_lufs,
        "true_peak": r.loudness_out.true_peak_dbtp,
        "target": r.target.integrated_lufs,
        "sha256": r.sha256,
        "burned_in": r.captions.burned_in,
        # Players take WebVTT tracks; SRT sidecars are for the platforms.
        "tracks": [{"lang": s.lang, "file": s.file} for s in r.sidecars if s.format == "vtt"],
        "url": published.get(Path(r.file).name),
    }


def _media(record: RenditionsRecord, out_dir: Path) -> dict[str, Any]:
    """Contact sheets of the video renditions; waveform and loudness curve of the first rendition."""
    media: dict[str, Any] = {"sheets": [], "audio": None}
    review_dir = out_dir / "review"
    try:
        for r in record.renditions:
            if any(s.kind == "video" for s in r.streams):
                sheet = pictures.contact_sheet(
                    out_dir / r.file, r.duration, review_dir / f"{r.sha256[:16]}-sheet3x2.jpg"
                )
                media["sheets"].append((r.name, _data_uri(sheet, "image/jpeg")))
        first = record.renditions[0]
        audio = out_dir / first.file
        wave = pictures.waveform(audio, review_dir / f"{first.sha256[:16]}-wave.png")
        curve = pictures.loudness_curve(audio, review_dir / f"{first.sha256[:16]}-curve.json")
        target = first.target
        media["audio"] = {
            "name": first.name,
            "wave": _data_uri(wave, "image/png"),
            "curve": pictures.curve_svg(
                curve, target.integrated_lufs, _("ceiling {peak:g} dBTP").format(peak=target.true_peak_dbtp)
            ),
        }
    except (MediaError, OSError, IndexError) as exc:
        media["error"] = str(exc)
    return media


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
