"""The batch review report: `batch-report.html` (one self-contained file, opens from disk) and `batch-report.json`."""

from __future__ import annotations

import base64
import html
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from psa_pipeline.batch import pictures
from psa_pipeline.batch.run import BatchResult, PsaState
from psa_pipeline.build.one_psa import RECORD
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.problems import Location, MediaError, PsaError
from psa_pipeline.core.status import Status
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.media import subtitles
from psa_pipeline.records.journal import STEPS, StepOutcome

REPORT_HTML = "batch-report.html"
REPORT_JSON = "batch-report.json"
FIRST_CUES = 3

CSS = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#d9dee8; --ok:#1e7d3a; --bad:#b3261e; --warn:#a15c00; --brand:#0b3d91; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, "Noto Sans", sans-serif; color: var(--ink); margin: 0; background: #f6f7fb; }
header { background: var(--brand); color: #fff; padding: 16px 20px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
main { padding: 12px; max-width: 1100px; margin: 0 auto; }
.summary { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; }
.pill { border-radius: 999px; padding: 2px 10px; font-size: 13px; border: 1px solid var(--line); background: #fff; }
.ok, .cached { color: var(--ok); } .failed, .error { color: var(--bad); } .refused, .skipped, .warning { color: var(--warn); }
section.psa { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px; margin: 14px 0; }
section.psa h2 { margin: 0; font-size: 18px; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 13px; margin: 2px 0 8px; overflow-wrap: anywhere; }
.steps { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
pre.err { white-space: pre-wrap; overflow-wrap: anywhere; background: #fdf1f0; border-left: 3px solid var(--bad);
  padding: 6px 8px; font-size: 12px; margin: 4px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.hash { font-family: ui-monospace, monospace; font-size: 11px; overflow-wrap: anywhere; max-width: 12em; }
img, svg { max-width: 100%; height: auto; display: block; }
figure { margin: 8px 0; } figcaption { font-size: 12px; color: var(--muted); }
.cues { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 8px; }
.cues div { background: #f4f6fb; border-radius: 6px; padding: 6px 8px; font-size: 13px; }
@media (max-width: 600px) { body { font-size: 14px; } main { padding: 6px; } section.psa { padding: 10px; } }
"""


def write_report(result: BatchResult, build_root: Path) -> tuple[Path, Path]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        entries = list(pool.map(lambda s: _entry(s, build_root), result.states))
    summary: dict[str, Any] = {"psas": len(entries)}
    summary |= {str(s): sum(1 for e in entries if e["status"] == s) for s in Status if s != Status.CACHED}
    summary["seconds"] = round(result.seconds, 2)
    data = {"summary": summary, "psas": [{k: v for k, v in e.items() if not k.startswith("_")} for e in entries]}
    json_path, html_path = build_root / REPORT_JSON, build_root / REPORT_HTML
    with atomic_text(json_path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
    with atomic_text(html_path) as handle:
        handle.write(_html(summary, entries))
    return html_path, json_path


def _entry(state: PsaState, build_root: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "manifest": state.key,
        "id": state.psa_id,
        "status": Status.OK if state.status.finished else state.status,
        "steps": {step: _step(state.steps[step]) for step in STEPS if step in state.steps},
        "_outcomes": {step: state.steps[step] for step in STEPS if step in state.steps},
    }
    loaded = load_manifest(state.manifest)
    manifest = loaded.manifest
    if manifest is not None:
        entry["title"] = manifest.title
        entry["agency"] = manifest.agency.model_dump()
        entry["approval"] = manifest.approval.model_dump(mode="json") if manifest.approval else None
        entry["subtitles"] = _subtitles(state, manifest)
    record_path = build_root / (state.psa_id or "?") / RECORD
    build = state.steps.get("build")
    if build is not None and build.status.finished and record_path.is_file():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        publish = state.steps.get("publish")
        files = publish.files if publish is not None else []
        published = {f.file: f.url for f in files if f.action in ("uploaded", "skipped")}
        entry["renditions"] = [_rendition(r, published) for r in record["renditions"]]
        entry["_media"] = _media(record, build_root / record["psa"]["id"])
    return entry


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


def _rendition(r: dict[str, Any], published: dict[str, str]) -> dict[str, Any]:
    video = next((s for s in r["streams"] if s["kind"] == "video"), None)
    return {
        "name": r["name"],
        "channel": r["channel"],
        "file": r["file"],
        "resolution": f"{video['width']}x{video['height']}" if video else "audio",
        "duration": r["duration"],
        "size": r["size"],
        "loudness_in": r["loudness_in"]["integrated_lufs"],
        "loudness_out": r["loudness_out"]["integrated_lufs"],
        "true_peak": r["loudness_out"]["true_peak_dbtp"],
        "target": r["target"]["integrated_lufs"],
        "sha256": r["sha256"],
        "url": published.get(Path(r["file"]).name),
    }


def _media(record: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Contact sheets of the video renditions; waveform and loudness curve of the first rendition."""
    media: dict[str, Any] = {"sheets": [], "audio": None}
    review_dir = out_dir / "review"
    try:
        for r in record["renditions"]:
            if any(s["kind"] == "video" for s in r["streams"]):
                sheet = pictures.contact_sheet(
                    out_dir / r["file"], r["duration"], review_dir / f"{r['sha256'][:16]}-sheet.jpg"
                )
                media["sheets"].append((r["name"], _data_uri(sheet, "image/jpeg")))
        first = record["renditions"][0]
        audio = out_dir / first["file"]
        wave = pictures.waveform(audio, review_dir / f"{first['sha256'][:16]}-wave.png")
        curve = pictures.loudness_curve(audio, review_dir / f"{first['sha256'][:16]}-curve.json")
        target = first["target"]
        media["audio"] = {
            "name": first["name"],
            "wave": _data_uri(wave, "image/png"),
            "curve": pictures.curve_svg(curve, target["integrated_lufs"], f"ceiling {target['true_peak_dbtp']:g} dBTP"),
        }
    except (MediaError, OSError) as exc:
        media["error"] = str(exc)
    return media


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _html(summary: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    parts = [
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>psa batch review</title>",
        f"<style>{CSS}</style></head><body>",
        "<header><h1>Batch review: Iklan Layanan Masyarakat</h1>",
        f"<div>{summary['psas']} PSA(s): {summary['ok']} ok, {summary['psas'] - summary['ok']} with problems; "
        f"{summary['seconds']} s</div></header><main>",
        "<div class='summary'>",
        *(
            f"<a class='pill {_e(e['status'])}' href='#psa-{i}'>{_e(e.get('id') or e['manifest'])}</a>"
            for i, e in enumerate(entries)
        ),
        "</div>",
    ]
    for i, entry in enumerate(entries):
        parts.append(_section(i, entry))
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _section(i: int, e: dict[str, Any]) -> str:
    out = [f"<section class='psa' id='psa-{i}'><h2>{_e(e.get('title') or e['manifest'])}</h2>"]
    agency = e.get("agency") or {}
    out.append(
        f"<div class='meta'>{_e(e.get('id'))} · {_e(agency.get('name'))} · {_e(agency.get('province'))} · {_e(e['manifest'])}</div>"
    )
    out.append("<div class='steps'>")
    outcomes: dict[str, StepOutcome] = e["_outcomes"]
    for step, outcome in outcomes.items():
        out.append(f"<span class='pill {_e(outcome.status)}'>{_e(step)}: {_e(outcome.status)}</span>")
    out.append("</div>")
    for step, outcome in outcomes.items():
        if outcome.problems:
            out.append(f"<pre class='err'>{_e(step)}:\n{_e(chr(10).join(outcome.problems))}</pre>")
    approval = e.get("approval")
    out.append(
        f"<p>Approval: {_e(approval['approved_by'])}, {_e(approval['role'])}, {_e(approval['date'])}</p>"
        if approval else "<p class='refused'>Approval: none yet (publishing refused)</p>"
    )  # fmt: skip
    media = e.get("_media") or {}
    for name, uri in media.get("sheets", []):
        out.append(
            f"<figure><img src='{uri}' alt='contact sheet of {_e(name)}'><figcaption>{_e(name)}</figcaption></figure>"
        )
    audio = media.get("audio")
    if audio:
        out.append(f"<figure><img src='{audio['wave']}' alt='waveform of {_e(audio['name'])}'>")
        out.append(
            f"{audio['curve']}<figcaption>{_e(audio['name'])}: waveform and short-term loudness</figcaption></figure>"
        )
    if media.get("error"):
        out.append(f"<pre class='err'>review pictures: {_e(media['error'])}</pre>")
    if e.get("renditions"):
        out.append("<div class='scroll'><table><tr><th>rendition</th><th>resolution</th><th>duration</th><th>size</th>"
                   "<th>loudness in → out (target)</th><th>true peak</th><th>SHA-256</th><th>published</th></tr>")  # fmt: skip
        for r in e["renditions"]:
            url = f"<a href='{_e(r['url'])}'>{_e(Path(r['url']).name)}</a>" if r.get("url") else "—"
            out.append(
                f"<tr><td>{_e(r['name'])}</td><td>{_e(r['resolution'])}</td><td>{r['duration']:.1f} s</td>"
                f"<td>{r['size'] / 1e6:.2f} MB</td><td>{_e(r['loudness_in'])} → {_e(r['loudness_out'])} ({_e(r['target'])}) LUFS</td>"
                f"<td>{_e(r['true_peak'])} dBTP</td><td class='hash'>{_e(r['sha256'])}</td><td>{url}</td></tr>"
            )
        out.append("</table></div>")
    tracks = e.get("subtitles") or []
    if tracks:
        out.append("<h3>Subtitles</h3><div class='cues'>")
        for t in tracks:
            cues = "".join(f"<p>{_e(c)}</p>" for c in t["first_cues"]) or "<p>—</p>"
            out.append(
                f"<div><strong>{_e(t['lang'])}</strong> <span class='{_e(t['qc'])}'>QC: {_e(t['qc'])}</span>{cues}</div>"
            )
        out.append("</div>")
    out.append("</section>")
    return "".join(out)
