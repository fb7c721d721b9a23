"""`psa validate`: every check on a manifest and the files it names, all problems in one run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from psa_pipeline.channels.config import ChannelConfig, builtin
from psa_pipeline.core.problems import Location, ManifestReport, MediaError, Problem
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.load import MANIFEST_NAME, load_manifest
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.manifest.yamlsrc import Positions
from psa_pipeline.media.glyphs import missing_glyphs
from psa_pipeline.media.probe import MediaInfo, probe
from psa_pipeline.media.timeline import content_duration, timeline
from psa_pipeline.validation import across, channel_rules, partial
from psa_pipeline.validation.cues import cue_problems
from psa_pipeline.validation.files import locate

# Folders never searched for manifests: outputs, caches, tooling.
SKIPPED_DIRS = frozenset({"build", "node_modules", "__pycache__", ".venv", "venv", ".git"})
MIN_SAMPLE_RATE = 22_050
MIN_FRAME = (320, 180)


def find_manifests(paths: Iterable[Path]) -> Iterator[Path]:
    """Each file given, and every `psa.yaml` below each folder given, in a stable order."""
    for path in paths:
        if path.is_dir():
            found: list[Path] = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
                if MANIFEST_NAME in files:
                    found.append(Path(folder) / MANIFEST_NAME)
            yield from sorted(found)
        else:
            yield path


@dataclass(frozen=True)
class Context:
    assets_dir: Path | None = None  # None: look for assets/ above each project
    config: ChannelConfig | None = None  # the channels build will use; None: the built-in ones
    channels_file: Path | None = None  # where `config` came from, to name it in messages
    # How media is probed: a build passes its Fingerprints' probe, so a file already probed (for the
    # plan, or a jingle every PSA of the batch shares) is not probed again for each manifest.
    probe: Callable[[Path], MediaInfo] = probe

    @property
    def channels(self) -> ChannelConfig:
        return self.config or builtin()


def validate_file(file: Path, context: Context = Context()) -> ManifestReport:
    started = time.perf_counter()
    report = ManifestReport(file)
    report.checks.append("schema")
    loaded = load_manifest(file)
    report.problems.extend(loaded.problems)
    if loaded.manifest is not None:
        report.psa_id = loaded.manifest.id
        report.keys["id"] = (loaded.manifest.id, loaded.positions.of_value(("id",)))
        report.keys["agency.code"] = (loaded.manifest.agency.code, loaded.positions.of_value(("agency", "code")))
        _check_manifest(loaded.manifest, loaded.positions, file.parent, context, report)
    elif isinstance(loaded.data, dict):  # schema errors: still run the checks that do not need the broken part
        assets_dir = context.assets_dir or assets.find_assets_dir(file.parent)
        checks, problems = partial.run(loaded.data, loaded.positions, file.parent, assets_dir)
        report.checks.extend(checks)
        report.problems.extend(problems)
    report.problems.sort(key=lambda p: (str(p.location.file), p.location.line or 0, p.location.column or 0))
    report.seconds = time.perf_counter() - started
    return report


def validate_all(paths: Iterable[Path], context: Context = Context(), jobs: int | None = None) -> list[ManifestReport]:
    files = list(find_manifests(paths))
    # Probing is ffprobe subprocesses: threads overlap them well.
    with ThreadPoolExecutor(max_workers=jobs or min(8, (os.cpu_count() or 2) * 2)) as pool:
        reports = list(pool.map(lambda f: validate_file(f, context), files))
    across.check(reports)
    return reports


def _check_manifest(
    manifest: Manifest, positions: Positions, project_dir: Path, context: Context, report: ManifestReport
) -> None:
    report.checks.append("rules")
    report.checks.append(channel_rules.CHECK)
    channels = context.channels
    report.problems.extend(channel_rules.manifest_problems(manifest, positions, channels, context.channels_file))

    report.checks.append("assets")
    assets_dir = context.assets_dir or assets.find_assets_dir(project_dir)
    media: dict[tuple[str | int, ...], MediaInfo] = {}
    found: dict[tuple[str | int, ...], Path] = {}
    for ref in assets.references(manifest):
        where = positions.of_value(ref.yaml_path)
        path = locate(ref, project_dir, assets_dir, where)
        if isinstance(path, Problem):
            report.problems.append(path)
            continue
        found[ref.yaml_path] = path
        if ref.expects == "subtitle":
            continue
        try:
            info = context.probe(path)
        except MediaError as exc:
            report.problems.append(Problem("error", "assets", f"'{ref.value}': {_strip_path(exc, path)}", where))
            continue
        report.problems.extend(_stream_problems(ref.expects, ref.value, info, where))
        media[ref.yaml_path] = info

    report.problems.extend(_track_problems(manifest, media, positions))
    content = _content_duration(manifest, media)
    report.problems.extend(_card_glyph_problems(manifest, positions))
    checks, problems = cue_problems(manifest.subtitles, found, positions, content, manifest.language)
    report.checks.extend(checks)
    report.problems.extend(problems)

    report.problems.extend(
        channel_rules.source_problems(manifest, positions, context.channels, media.get(("sources", "video")))
    )
    report.checks.append("duration")
    intro = media.get(("jingles", "intro", "file"))
    outro = media.get(("jingles", "outro", "file"))
    if content is not None and (manifest.jingles.intro is None or intro) and (manifest.jingles.outro is None or outro):
        plan = timeline(manifest, intro.duration if intro else 0.0, content, outro.duration if outro else 0.0)
        report.problems.extend(channel_rules.duration_problems(manifest, positions, context.channels, plan))
        if manifest.slot is not None and plan.total > manifest.slot + 0.001:
            report.problems.append(
                Problem(
                    "error",
                    "duration",
                    f"the PSA runs {plan.total:.2f} s (jingles {plan.intro + plan.outro:.2f} s, content "
                    f"{plan.content:.2f} s, end card {plan.end_card:.2f} s) but its slot is {manifest.slot:g} s",
                    positions.of_value(("slot",)),
                )
            )


def _content_duration(manifest: Manifest, media: dict[tuple[str | int, ...], MediaInfo]) -> float | None:
    """None while any piece it depends on could not be probed (that is reported already)."""
    sources = manifest.sources
    if sources.video or sources.audio:
        info = media.get(("sources", "video" if sources.video else "audio"))
        return info.duration if info else None
    if sources.multitrack is None:
        return None
    spans = []
    for group in ("voices", "effects"):
        for i, track in enumerate(getattr(sources.multitrack, group)):
            info = media.get(("sources", "multitrack", group, i, "file"))
            if info is None:
                return None
            spans.append((track.start, info.duration))
    return content_duration(None, spans)


def _card_glyph_problems(manifest: Manifest, positions: Positions) -> list[Problem]:
    texts: list[tuple[tuple[str, ...], str]] = [
        (("title",), manifest.title),
        (("agency", "name"), manifest.agency.name),
    ]
    if manifest.end_card is not None:
        texts.append((("end_card", "text"), manifest.end_card.text))
    problems = []
    for key, text in texts:
        if missing := missing_glyphs(text):
            message = (
                f"{'.'.join(key)} has {' '.join(missing)}, which no installed font can draw: on the card it would "
                "show as a box; remove it or write it in words"
            )
            problems.append(Problem("error", "rules", message, positions.of_value(key)))
    return problems


def _track_problems(
    manifest: Manifest, media: dict[tuple[str | int, ...], MediaInfo], positions: Positions
) -> list[Problem]:
    """`sources.audio_track` must name a track the main file has."""
    chosen = manifest.sources.audio_track
    key = ("sources", "video" if manifest.sources.video else "audio")
    info = media.get(key)
    if chosen is None or info is None:
        return []
    count = len(info.of_kind("audio"))
    if chosen <= count:
        return []
    has = f"has only {count} audio track{'s' if count != 1 else ''}" if count else "has no audio track"
    message = f"audio_track: {chosen}, but '{info.path.name}' {has}; choose 1 to {count} or remove audio_track"
    return [Problem("error", "assets", message, positions.of_value(("sources", "audio_track")))]


def _stream_problems(expects: str, value: str, info: MediaInfo, where: Location) -> list[Problem]:
    problems: list[Problem] = []

    def add(severity: str, message: str) -> None:
        problems.append(Problem("error" if severity == "error" else "warning", "assets", f"'{value}' {message}", where))

    if expects == "image":
        if not info.is_image:
            add("error", f"is not a PNG or JPEG image ({info.format_name})")
        return problems
    audio, video = info.audio, info.video
    if expects in ("audio", "video") and audio is None:
        add("error", "has no audio stream")
    if expects == "video":
        if video is None:
            add("error", "has no video stream")
        elif (shown := video.display_size) and (max(shown) < MIN_FRAME[0] or min(shown) < MIN_FRAME[1]):
            # Judged upright and in square pixels, so a portrait phone clip meets the same bar turned.
            add(
                "error",
                f"is {shown[0]}x{shown[1]} as displayed; the smallest usable frame is {MIN_FRAME[0]}x{MIN_FRAME[1]} "
                f"(or {MIN_FRAME[1]}x{MIN_FRAME[0]} upright); export it larger",
            )
        elif video.variable_frame_rate:
            add("warning", "has a variable frame rate (phone video?); it will be conformed to a constant rate")
    if info.duration <= 0.05:
        add("error", f"is empty ({info.duration:.2f} s long)")
    if audio is not None and audio.sample_rate and audio.sample_rate < MIN_SAMPLE_RATE:
        add("warning", f"has a low sample rate ({audio.sample_rate} Hz); it will sound dull")
    return problems


def _strip_path(exc: MediaError, path: Path) -> str:
    message = exc.message
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
