"""Build one PSA: plan, reuse what is cached, render the rest in one ffmpeg run, verify, move into place."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psa_pipeline.build.plan import (
    Piece,
    PsaInputs,
    PsaPlan,
    Rendition,
    SubtitleInput,
    cache_key,
    measure_command,
    plan_psa,
    program_key,
    render_command,
    sidecar_texts,
    source_notes,
    workdir_files,
)
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.problems import Location, MediaError, PsaError
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.languages import label
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.manifest.rules import check_rules
from psa_pipeline.media import subtitles
from psa_pipeline.media.inputs import Fingerprints, ffmpeg_version
from psa_pipeline.media.loudness import Gain, corrected, decide_gain, is_lossy, off_target
from psa_pipeline.media.probe import Loudness, measure_loudness, parse_ebur128_summary, probe
from psa_pipeline.media.runner import run_ffmpeg
from psa_pipeline.validation.validate import Context, validate_file

RECORD = "renditions.json"
# Linear gain hits the target on the first try; a limited low-bitrate file may need a few.
MAX_ATTEMPTS = 5


class BuildError(PsaError):
    """A PSA could not be built; names the PSA and, where known, the file."""


@dataclass
class Events:
    """Callbacks the caller uses to show progress; all optional."""

    started: Callable[[str, float], None] = lambda label, seconds: None
    progressed: Callable[[str, float], None] = lambda label, seconds: None
    finished: Callable[[str], None] = lambda label: None


@dataclass
class PsaResult:
    manifest: Path
    psa_id: str | None
    status: str  # built, cached, failed
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    error: str | None = None
    record: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)  # what the build corrected in its sources


def build_psa(
    manifest_file: Path,
    config: ChannelConfig,
    build_root: Path,
    fingerprints: Fingerprints,
    force: bool = False,
    assets_dir: Path | None = None,
    events: Events | None = None,
) -> PsaResult:
    """Build every rendition of one PSA; never raises for a problem with this PSA (it is in the result)."""
    events = events or Events()
    result = PsaResult(manifest_file, None, "failed")
    try:
        manifest = _load(manifest_file, config)
        result.psa_id = manifest.id
        _build(manifest, manifest_file, config, build_root, fingerprints, force, assets_dir, events, result)
    except PsaError as exc:
        result.status = "failed"
        result.error = str(exc)
    except OSError as exc:
        result.status = "failed"
        detail = "no space left on device (disk full)" if exc.errno == 28 else (exc.strerror or str(exc))
        result.error = f"{manifest_file}: {detail}{f' ({exc.filename})' if exc.filename else ''}"
    except Exception as exc:  # a bug must not stop the other PSAs of the run
        result.status = "failed"
        result.error = f"internal error in psa-pipeline ({type(exc).__name__}: {exc}); please report it"
    return result


def _load(manifest_file: Path, config: ChannelConfig) -> Manifest:
    loaded = load_manifest(manifest_file)
    problems = list(loaded.problems)
    if loaded.manifest is not None:
        problems += [
            p for p in check_rules(loaded.manifest, loaded.positions, config.channels) if p.severity == "error"
        ]
    if loaded.manifest is None or problems:
        raise BuildError(_first_errors([str(p) for p in problems], manifest_file))
    return loaded.manifest


def _first_errors(lines: list[str], manifest_file: Path) -> str:
    shown = lines[:5] + (
        [f"... and {len(lines) - 5} more (run psa validate {manifest_file})"] if len(lines) > 5 else []
    )
    return "invalid manifest:\n  " + "\n  ".join(shown)


def _inputs(manifest: Manifest, project: Path, assets_dir: Path | None, fp: Fingerprints) -> PsaInputs:
    folder_assets = assets_dir or assets.find_assets_dir(project)

    def piece(reference: str) -> Piece:
        path = assets.resolve(reference, project, folder_assets)
        if not path.is_file():
            raise BuildError(f"{project / 'psa.yaml'}: '{reference}' does not exist ({path})")
        try:
            return Piece(path, fp.probe(path), fp.digest(path))
        except MediaError as exc:
            detail = exc.message.removeprefix(f"{path}: ")
            raise BuildError(f"{project / 'psa.yaml'}: '{reference}': {detail}") from None

    sources, jingles = manifest.sources, manifest.jingles
    subs = []
    for track in manifest.subtitles.tracks:
        file = assets.resolve(track.file, project, folder_assets) if track.file else None
        cues = subtitles.read_cues(track, file, lambda i: Location(project / "psa.yaml"))
        subs.append(SubtitleInput(track.lang, track.label or label(track.lang), tuple(cues)))
    multitrack = sources.multitrack
    return PsaInputs(
        video=piece(sources.video) if sources.video else None,
        audio=piece(sources.audio) if sources.audio else None,
        voices=tuple((t, piece(t.file)) for t in multitrack.voices) if multitrack else (),
        music=tuple((t, piece(t.file)) for t in multitrack.music) if multitrack else (),
        effects=tuple((t, piece(t.file)) for t in multitrack.effects) if multitrack else (),
        intro=piece(jingles.intro.file) if jingles.intro else None,
        outro=piece(jingles.outro.file) if jingles.outro else None,
        logo=piece(manifest.end_card.logo) if manifest.end_card and manifest.end_card.logo else None,
        subtitles=tuple(subs),
    )


def _year(manifest: Manifest) -> int:
    if manifest.year:
        return manifest.year
    return manifest.approval.date.year if manifest.approval else dt.date.today().year


def _read_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _is_current(entry: dict[str, Any] | None, key: str, out_dir: Path) -> bool:
    if not entry or entry.get("cache_key") != key:
        return False
    files = [(entry["file"], entry["size"]), *((s["file"], s["size"]) for s in entry.get("sidecars", []))]
    for name, size in files:
        path = out_dir / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def _build(
    manifest: Manifest,
    manifest_file: Path,
    config: ChannelConfig,
    build_root: Path,
    fp: Fingerprints,
    force: bool,
    assets_dir: Path | None,
    events: Events,
    result: PsaResult,
) -> None:
    inputs = _inputs(manifest, manifest_file.parent, assets_dir, fp)
    plan = plan_psa(manifest, inputs, config, _year(manifest))
    result.notes = source_notes(plan)
    if not plan.renditions:
        raise BuildError(f"none of its channels has a rendition for a {manifest.kind}")
    version = ffmpeg_version()
    out_dir = build_root / manifest.id
    previous = _read_record(out_dir / RECORD)
    old = {e["name"]: e for e in previous.get("renditions", []) if isinstance(e, dict) and "name" in e}
    keys = {r.name: cache_key(plan, r, version) for r in plan.renditions}
    stale = [r for r in plan.renditions if force or not _is_current(old.get(r.name), keys[r.name], out_dir)]
    entries = {r.name: old[r.name] for r in plan.renditions if r not in stale}
    result.reused = [r.name for r in plan.renditions if r not in stale]
    program = previous.get("program") if isinstance(previous.get("program"), dict) else None
    if stale:
        report = validate_file(manifest_file, Context(assets_dir=assets_dir, known_channels=config.channels))
        if report.errors:
            raise BuildError(_first_errors([str(p) for p in report.errors], manifest_file))
        for r in stale:
            if r.spec.max_duration and r.duration > r.spec.max_duration:
                raise BuildError(f"runs {r.duration:.1f} s, but {r.channel} allows at most {r.spec.max_duration:g} s")
        pkey = program_key(plan, version)
        layouts = sorted({str(r.spec.audio.channels) for r in stale})
        known = program.get("loudness", {}) if program and program.get("key") == pkey and not force else {}
        missing = [layout for layout in layouts if layout not in known]
        if missing:
            events.started(f"{manifest.id}: measure", plan.program_length)
            with ThreadPoolExecutor(max_workers=2) as pool:
                found = pool.map(lambda layout: _measure_program(plan, int(layout), manifest_file), missing)
                known = {**known, **dict(zip(missing, found, strict=True))}
            events.finished(f"{manifest.id}: measure")
        program = {"key": pkey, "loudness": known}
        loudness_in = {int(layout): _loudness_from(data) for layout, data in known.items()}
        out_dir.mkdir(parents=True, exist_ok=True)
        entries.update(_render(plan, stale, loudness_in, out_dir, keys, events))
        result.rendered = [r.name for r in stale]
    record = {
        "psa": _psa_summary(plan),
        "program": program,
        "renditions": [entries[r.name] for r in plan.renditions],
    }
    _remove_dropped(old, {r.name for r in plan.renditions}, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2, ensure_ascii=False)
    if not (out_dir / RECORD).is_file() or (out_dir / RECORD).read_text(encoding="utf-8") != text:
        # Left untouched when nothing changed, so its mtime tells batch journals that too.
        with atomic_text(out_dir / RECORD) as handle:
            handle.write(text)
    result.record = record
    result.status = "built" if stale else "cached"


def _measure_program(plan: PsaPlan, channels: int, manifest_file: Path) -> dict[str, float | None]:
    stderr = run_ffmpeg(measure_command(plan, channels))
    return parse_ebur128_summary(stderr, manifest_file).to_json()


def _loudness_from(data: dict[str, Any]) -> Loudness:
    def value(name: str) -> float:
        raw = data.get(name)
        return float("-inf") if raw is None else float(raw)

    return Loudness(value("integrated_lufs"), float(data.get("loudness_range_lu") or 0.0), value("true_peak_dbtp"))


def _render(
    plan: PsaPlan,
    stale: list[Rendition],
    loudness_in: dict[int, Loudness],
    out_dir: Path,
    keys: dict[str, str],
    events: Events,
) -> dict[str, dict[str, Any]]:
    gains = {r.name: decide_gain(loudness_in[r.spec.audio.channels], r.loudness, is_lossy(r.spec)) for r in stale}
    _remove_abandoned_work(out_dir)
    work = (out_dir / f".work-{os.getpid()}-{id(plan)}").resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        pending = list(stale)
        done: dict[str, tuple[Path, Loudness]] = {}
        history: dict[str, tuple[Gain, Loudness]] = {}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            targets = {r.name: str(work / f"{k}-{attempt}{r.relative.suffix}") for k, r in enumerate(pending)}
            measured = _run_and_measure(plan, pending, gains, targets, work, events)
            missed = []
            for r in pending:
                problems = off_target(measured[r.name], r.loudness)
                if not problems:
                    done[r.name] = (Path(targets[r.name]), measured[r.name])
                elif attempt == MAX_ATTEMPTS:
                    raise BuildError(f"{r.name} misses its loudness target: {'; '.join(problems)}")
                else:
                    last = (gains[r.name], measured[r.name])
                    gains[r.name] = corrected(gains[r.name], measured[r.name], r.loudness, history.get(r.name))
                    history[r.name] = last
                    missed.append(r)
            pending = missed
            if not pending:
                break
        entries = {}
        for r in stale:
            path, finished = done[r.name]
            measured_in = loudness_in[r.spec.audio.channels]
            entries[r.name] = _finish(plan, r, path, finished, measured_in, gains[r.name], out_dir, keys[r.name])
        return entries
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_and_measure(
    plan: PsaPlan,
    pending: list[Rendition],
    gains: dict[str, Gain],
    targets: dict[str, str],
    work: Path,
    events: Events,
) -> dict[str, Loudness]:
    """One ffmpeg run for `pending`, then each finished file measured again (audio only, in parallel)."""
    # Script names follow the position of each rendition in this run, so write them for each run.
    for name, text in workdir_files(plan, pending).items():
        (work / name).write_text(text, encoding="utf-8")
    label_ = f"{plan.manifest.id}: {', '.join(r.name for r in pending)}"
    events.started(label_, plan.program_length)
    command = render_command(plan, pending, gains, targets)
    run_ffmpeg(command, cwd=work, on_progress=lambda s: events.progressed(label_, s))
    events.finished(label_)
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(
            zip(
                (r.name for r in pending),
                pool.map(lambda r: measure_loudness(Path(targets[r.name])), pending),
                strict=True,
            )
        )


def _finish(
    plan: PsaPlan,
    r: Rendition,
    temporary: Path,
    finished: Loudness,
    loudness_in: Loudness,
    gain: Gain,
    out_dir: Path,
    key: str,
) -> dict[str, Any]:
    info = probe(temporary, analyse=False)  # our own output: one track, progressive by construction
    if r.spec.max_megabytes and info.size > r.spec.max_megabytes * 1_000_000:
        raise BuildError(f"{r.name} is {info.size / 1e6:.1f} MB; the channel allows {r.spec.max_megabytes:g} MB")
    final = out_dir / r.relative
    final.parent.mkdir(parents=True, exist_ok=True)
    sidecars = []
    for path, text in sidecar_texts(plan, r).items():
        with atomic_text(out_dir / path) as handle:
            handle.write(text)
        lang, fmt = path.suffixes[-2].lstrip("."), path.suffix.lstrip(".")
        data = (out_dir / path).read_bytes()
        sidecars.append(
            {"lang": lang, "format": fmt, "file": str(path), "size": len(data), "sha256": sha256_file(out_dir / path)}
        )
    digest = sha256_file(temporary)
    os.replace(temporary, final)
    return {
        "name": r.name,
        "channel": r.channel,
        "rendition": r.spec.name,
        "file": str(r.relative),
        "size": info.size,
        "sha256": digest,
        "duration": round(info.duration, 3),
        "streams": [_stream_summary(s) for s in info.streams],
        "loudness_in": loudness_in.to_json(),
        "loudness_out": finished.to_json(),
        "target": {"integrated_lufs": r.loudness.target, "true_peak_dbtp": r.loudness.true_peak},
        "gain_db": gain.gain_db,
        "limiter_db": gain.limit_db,
        "captions": {"burned_in": r.burn_lang, "soft": list(r.soft_langs)},
        "sidecars": sidecars,
        "cache_key": key,
    }


def _stream_summary(stream: Any) -> dict[str, Any]:
    keys = ("kind", "codec", "width", "height", "frame_rate", "sample_rate", "channels", "language", "title")
    return {k: getattr(stream, k) for k in keys if getattr(stream, k) is not None}


def _psa_summary(plan: PsaPlan) -> dict[str, Any]:
    m = plan.manifest
    return {
        "id": m.id,
        "title": m.title,
        "agency": m.agency.model_dump(),
        "kind": m.kind,
        "language": m.language,
        "subtitle_languages": [s.lang for s in plan.inputs.subtitles],
        "year": plan.year,
        "approval": m.approval.model_dump(mode="json") if m.approval else None,
        "timeline": {
            "content_start": round(plan.timeline.content_start, 3),
            "content": round(plan.timeline.content, 3),
            "audio_end": round(plan.timeline.audio_end, 3),
            "total": round(plan.timeline.total, 3),
        },
    }


def _remove_abandoned_work(out_dir: Path) -> None:
    """Work folders of builds that were killed (power loss, SIGKILL) hold only partial files."""
    for folder in out_dir.glob(".work-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dropped(old: dict[str, dict[str, Any]], keep: set[str], out_dir: Path) -> None:
    """Files of renditions the manifest no longer asks for (a channel removed) go, so none look current."""
    for name, entry in old.items():
        if name in keep:
            continue
        for file in [entry.get("file"), *(s.get("file") for s in entry.get("sidecars", []))]:
            if isinstance(file, str) and ".." not in Path(file).parts:
                (out_dir / file).unlink(missing_ok=True)
