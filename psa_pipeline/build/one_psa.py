"""Build one PSA: plan, reuse what is cached, render the rest (picture and sound side by side), move into place."""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from psa_pipeline.build.finish import cache_material
from psa_pipeline.build.plan import (
    Piece,
    PsaInputs,
    PsaPlan,
    Rendition,
    SubtitleInput,
    cache_key,
    plan_psa,
    program_key,
    sidecar_texts,
    source_notes,
)
from psa_pipeline.build.programme import AudioMix
from psa_pipeline.build.render import Finished, RenditionFailed, SilentProgramme, render
from psa_pipeline.build.shared import Prepared
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.i18n import _, ngettext
from psa_pipeline.core.problems import DiskFullError, Location, MediaError, PsaError
from psa_pipeline.core.processes import alive
from psa_pipeline.core.status import Status
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.languages import label
from psa_pipeline.manifest.load import Loaded, load_manifest
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.media import subtitles
from psa_pipeline.media.inputs import Fingerprints, ffmpeg_version
from psa_pipeline.media.probe import Loudness, probe
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.renditions import LoudnessValues, Program, PsaSummary, RenditionEntry, RenditionsRecord
from psa_pipeline.validation.channel_rules import manifest_problems
from psa_pipeline.validation.validate import Context, validate_file

RECORD = "renditions.json"


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
    status: Status  # ok (rendered now), cached (nothing to render), failed
    rendered: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    error: str | None = None
    failure: PsaError | None = None  # the error itself, for callers that act on its type (DiskFullError)
    record: RenditionsRecord | None = None
    notes: list[str] = field(default_factory=list)  # what the build corrected in its sources


def build_psa(
    manifest_file: Path,
    config: ChannelConfig,
    build_root: Path,
    fingerprints: Fingerprints,
    force: bool = False,
    assets_dir: Path | None = None,
    events: Events | None = None,
    loaded: Loaded | None = None,
) -> PsaResult:
    """Build every rendition of one PSA; never raises for a problem with this PSA (it is in the result).

    `loaded`: the manifest as the caller already read it (a batch reads every manifest first).
    """
    events = events or Events()
    result = PsaResult(manifest_file, None, Status.FAILED)
    try:
        manifest = _load(manifest_file, config, loaded)
        result.psa_id = manifest.id
        _build(manifest, manifest_file, config, build_root, fingerprints, force, assets_dir, events, result)
    except PsaError as exc:
        result.status = Status.FAILED
        result.error = str(exc)
        result.failure = exc
    except OSError as exc:
        result.status = Status.FAILED
        detail = _("no space left on device (disk full)") if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        result.error = f"{manifest_file}: {detail}{f' ({exc.filename})' if exc.filename else ''}"
        result.failure = DiskFullError(result.error) if exc.errno == errno.ENOSPC else PsaError(result.error)
    except Exception as exc:  # a bug must not stop the other PSAs of the run
        result.status = Status.FAILED
        result.error = _("internal error in psa-pipeline ({kind}: {error}); please report it").format(
            kind=type(exc).__name__, error=exc
        )
    return result


def _load(manifest_file: Path, config: ChannelConfig, loaded: Loaded | None) -> Manifest:
    loaded = loaded or load_manifest(manifest_file)
    problems = list(loaded.problems)
    if loaded.manifest is not None:
        problems += [p for p in manifest_problems(loaded.manifest, loaded.positions, config) if p.severity == "error"]
    if loaded.manifest is None or problems:
        raise BuildError(_first_errors([str(p) for p in problems], manifest_file))
    return loaded.manifest


def _first_errors(lines: list[str], manifest_file: Path) -> str:
    more = len(lines) - 5
    shown = lines[:5] + (
        [ngettext("... and {count} more (run psa validate {file})", "... and {count} more (run psa validate {file})",
                  more).format(count=more, file=manifest_file)] if more > 0 else []
    )  # fmt: skip
    return _("invalid manifest:") + "\n  " + "\n  ".join(shown)


def _inputs(manifest: Manifest, project: Path, assets_dir: Path | None, fp: Fingerprints) -> PsaInputs:
    resolver = assets.Resolver(project, assets_dir or assets.find_assets_dir(project))

    def piece(reference: str) -> Piece:
        path = resolver.resolve(reference)
        if not path.is_file():
            raise BuildError(
                _("{manifest}: '{reference}' does not exist ({path})").format(
                    manifest=project / "psa.yaml", reference=reference, path=path
                )
            )
        try:
            return Piece(path, *fp.probe_and_digest(path))
        except MediaError as exc:
            detail = exc.message.removeprefix(f"{path}: ")
            raise BuildError(f"{project / 'psa.yaml'}: '{reference}': {detail}") from None

    sources, jingles = manifest.sources, manifest.jingles
    subs = []
    for track in manifest.subtitles.tracks:
        file = resolver.resolve(track.file) if track.file else None
        cues = subtitles.read_cues(track, file, lambda i: Location(project / "psa.yaml"))
        subs.append(SubtitleInput(track.lang, track.label or label(track.lang), tuple(cues), file))
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


def _read_previous(path: Path) -> RenditionsRecord | None:
    # An unreadable or older record only costs a rebuild: it is never trusted for what it says.
    try:
        return RenditionsRecord.read_if_exists(path)
    except RecordError:
        return None


def _is_current(entry: RenditionEntry | None, key: str, out_dir: Path) -> bool:
    if entry is None or entry.cache_key != key:
        return False
    for built in entry.files():
        path = out_dir / built.file
        if not path.is_file() or path.stat().st_size != built.size:
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
    if not plan.renditions:
        raise BuildError(_("none of its channels has a rendition for a {kind}").format(kind=manifest.kind))
    version = ffmpeg_version(fp)
    out_dir = build_root / manifest.id
    previous = _read_previous(out_dir / RECORD)
    old = {e.name: e for e in previous.renditions} if previous else {}
    result.notes = source_notes(plan)
    keys = {r.name: cache_key(plan, r, version, cache_material(plan, r)) for r in plan.renditions}
    stale = [r for r in plan.renditions if force or not _is_current(old.get(r.name), keys[r.name], out_dir)]
    entries = {r.name: old[r.name] for r in plan.renditions if r not in stale}
    result.reused = [r.name for r in plan.renditions if r not in stale]
    program = previous.program if previous else None
    failed: dict[str, str] = {}
    if stale:
        # The same checks as `psa validate` with these channels, channel limits (max_duration) included;
        # the media was probed for the plan just now (and shared jingles once per batch): validation reads those.
        report = validate_file(manifest_file, Context(assets_dir=assets_dir, config=config, probe=fp.probe))
        if report.errors:
            raise BuildError(_first_errors([str(p) for p in report.errors], manifest_file))
        out_dir.mkdir(parents=True, exist_ok=True)
        # Jingles the batch prepared once (build/shared.py) are read as such; the keys above did not see them.
        prepared = replace(plan, inputs=Prepared(build_root, fp, version).use(plan.inputs))
        made, failed, mixes = _render(prepared, stale, out_dir, keys, events)
        entries.update(made)
        program = Program(
            key=program_key(plan, version),
            loudness={mix.label: LoudnessValues.model_validate(m.to_json()) for mix, m in mixes.items()},
        )
        result.rendered = [r.name for r in stale if r.name in made]
    record = RenditionsRecord(
        psa=PsaSummary.model_validate(_psa_summary(plan)),
        inputs=_input_digests(manifest_file, inputs),
        program=program,
        renditions=[entries[r.name] for r in plan.renditions if r.name in entries],
    )
    # Files of renditions no longer asked for, or failed just now, must not look current.
    _remove_dropped(old, set(entries), out_dir)
    # Left untouched when nothing changed, so its mtime tells batch journals that too; compared as
    # data first, which is cheaper than writing the text out to compare it.
    if record != previous:
        record.write(out_dir / RECORD)
    result.record = record
    result.status = Status.OK if stale else Status.CACHED
    if failed:
        result.status = Status.FAILED
        result.error = "; ".join(failed.values())


def _render(
    plan: PsaPlan, stale: list[Rendition], out_dir: Path, keys: dict[str, str], events: Events
) -> tuple[dict[str, RenditionEntry], dict[str, str], dict[AudioMix, Loudness]]:
    _remove_abandoned_work(out_dir)
    work = (out_dir / f".work-{os.getpid()}-{id(plan)}").resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    label_ = f"{plan.manifest.id}: {', '.join(r.name for r in stale)}"
    try:
        events.started(label_, plan.program_length)
        try:
            finished, failed, mixes = render(plan, stale, work, lambda s: events.progressed(label_, s))
        except SilentProgramme as exc:
            raise BuildError(f"{exc} ({_sources_hint(plan)})") from None
        finally:
            events.finished(label_)

        def moved(done: Finished) -> RenditionEntry | str:
            try:
                return RenditionEntry.model_validate(_finish(plan, done, out_dir, keys[done.rendition.name]))
            except RenditionFailed as exc:
                return str(exc)

        entries = {}
        # Probing, hashing and moving each file into place: two at a time, as the files were made.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for done, outcome in zip(finished, pool.map(moved, finished), strict=True):
                if isinstance(outcome, str):
                    failed[done.rendition.name] = outcome
                else:
                    entries[done.rendition.name] = outcome
        return entries, failed, mixes
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sources_hint(plan: PsaPlan) -> str:
    inputs = plan.inputs
    pieces = [inputs.video, inputs.audio, *(p for _, p in (*inputs.voices, *inputs.music, *inputs.effects))]
    names = ", ".join(p.path.name for p in pieces if p is not None)
    return _("check that {names} carry sound and that no track's gain_db mutes it").format(
        names=names or _("the sources")
    )


def _finish(plan: PsaPlan, done: Finished, out_dir: Path, key: str) -> dict[str, Any]:
    r, temporary = done.rendition, done.path
    info = probe(temporary, analyse=False)  # our own output: one track, progressive by construction
    if r.spec.max_megabytes and info.size > r.spec.max_megabytes * 1_000_000:
        raise RenditionFailed(
            _("{name} is {size:.1f} MB; the channel allows {limit:g} MB").format(
                name=r.name, size=info.size / 1e6, limit=r.spec.max_megabytes
            )
        )
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
        "loudness_in": done.loudness_in.to_json(),
        "loudness_out": done.loudness_out.to_json(),
        "target": {
            "integrated_lufs": r.loudness.target,
            "true_peak_dbtp": r.loudness.true_peak,
            "tolerance_lu": r.loudness.tolerance,
        },
        "gain_db": done.gain.gain_db,
        "limiter_db": done.gain.limit_db,
        "audio_corrections": done.corrections,
        "limiter_passes": done.limiter_passes,
        "video_encodes": 1 if r.size is not None else 0,
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
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _remove_dropped(old: dict[str, RenditionEntry], keep: set[str], out_dir: Path) -> None:
    """Files of renditions the manifest no longer asks for (a channel removed) go, so none look current."""
    for name, entry in old.items():
        if name in keep:
            continue
        for built in entry.files():
            (out_dir / built.file).unlink(missing_ok=True)


def _input_digests(manifest_file: Path, inputs: PsaInputs) -> dict[str, str]:
    """Every file the build read, by path relative to the project, so publish can tell a stale build."""
    project = manifest_file.parent
    pieces = [inputs.video, inputs.audio, inputs.intro, inputs.outro, inputs.logo]
    pieces += [p for _, p in (*inputs.voices, *inputs.music, *inputs.effects)]
    found = {manifest_file: sha256_file(manifest_file)}
    found.update({p.path: p.digest for p in pieces if p is not None})
    found.update({s.path: sha256_file(s.path) for s in inputs.subtitles if s.path is not None})
    return {_relative(path, project): digest for path, digest in sorted(found.items())}


def _relative(path: Path, project: Path) -> str:
    # Files the manifest names in its own folder are `project / <reference>` (assets.Resolver refused
    # any that lead out): named as the manifest names them, shared assets by their absolute path,
    # with no symlink walk per file (a no-op rebuild of 1,000 PSAs did five each).
    # publish/freshness.py reads them back as `project / name`.
    if path.is_relative_to(project):
        return path.relative_to(project).as_posix()
    return Path(os.path.abspath(path)).as_posix()
