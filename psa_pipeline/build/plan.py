"""The render plan: manifest + probed inputs + channel profiles -> renditions and ffmpeg command lines.

Everything here is pure (no ffmpeg runs, no file writes), so the plan can be tested and its
cache keys computed without encoding anything. Only numbers that the plan itself computes are
written into filtergraphs; paths go in as `-i` arguments and text goes into subtitle files
(see captions.py), so user input cannot change the graph.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from psa_pipeline import __version__
from psa_pipeline.build.programme import content_track, mix_args, mix_chain, needed_mixes, program_graph
from psa_pipeline.build.video import ASS_NAME, audiogram_header, cards, frame_size, picture_notes, video_chain
from psa_pipeline.channels.config import ChannelConfig, LoudnessSpec, RenditionSpec, VideoSpec
from psa_pipeline.core.i18n import _
from psa_pipeline.manifest.model import Manifest, MusicTrack, Track
from psa_pipeline.media import captions
from psa_pipeline.media.probe import MediaInfo, track_reason
from psa_pipeline.media.subtitles import TimedCue
from psa_pipeline.media.timeline import Timeline, content_duration, rendition_duration, timeline

GENRE = "Iklan Layanan Masyarakat"
# Subtitle files and libass scripts are written under these plain names in ffmpeg's working folder.
SOFT_NAME = "soft-{lang}.srt"
VIDEO_NAME = "video-{index}.mp4"


@dataclass(frozen=True)
class Piece:
    """An input file with what ffprobe said of it and its content hash.

    `prepared`: the same sound already conformed to the programme's format, made once for every PSA of
    a batch that shares the file (build/shared.py); the render reads it instead of `path`. Cache keys
    never see it: they hash `digest` and the plan as if the render conformed the file itself.
    """

    path: Path
    info: MediaInfo
    digest: str
    prepared: Path | None = None


@dataclass(frozen=True)
class SubtitleInput:
    lang: str
    label: str
    cues: tuple[TimedCue, ...]
    path: Path | None = None  # None when the cues are written in the manifest itself


@dataclass(frozen=True)
class PsaInputs:
    video: Piece | None = None
    audio: Piece | None = None
    voices: tuple[tuple[Track, Piece], ...] = ()
    music: tuple[tuple[MusicTrack, Piece], ...] = ()
    effects: tuple[tuple[Track, Piece], ...] = ()
    intro: Piece | None = None
    outro: Piece | None = None
    logo: Piece | None = None
    subtitles: tuple[SubtitleInput, ...] = ()

    def track(self, lang: str) -> SubtitleInput | None:
        return next((s for s in self.subtitles if s.lang == lang), None)


@dataclass(frozen=True)
class Rendition:
    channel: str
    spec: RenditionSpec
    loudness: LoudnessSpec
    relative: Path  # <channel>/<file> inside build/<psa-id>/
    duration: float
    size: tuple[int, int] | None  # None for audio-only renditions
    burn_lang: str | None = None
    soft_langs: tuple[str, ...] = ()
    sidecars: tuple[tuple[str, str], ...] = ()  # (language, "srt" | "vtt")
    ass: str | None = None

    @property
    def name(self) -> str:
        return f"{self.channel}/{self.spec.name}"

    def sidecar_path(self, lang: str, fmt: str) -> Path:
        return self.relative.with_name(f"{self.relative.stem}.{lang}.{fmt}")


@dataclass(frozen=True)
class PsaPlan:
    manifest: Manifest
    inputs: PsaInputs
    timeline: Timeline
    program_length: float
    makes_video: bool
    year: int
    renditions: tuple[Rendition, ...] = field(default_factory=tuple)

    def metadata(self, rendition: Rendition) -> dict[str, str]:
        m = self.manifest
        langs = [m.language, *(s.lang for s in self.inputs.subtitles if s.lang != m.language)]
        return {
            "title": m.title,
            "artist": m.agency.name,
            "album_artist": m.agency.code,
            "genre": GENRE,
            "date": str(self.year),
            "comment": f"{GENRE} - {m.agency.name}, {m.agency.province} - {m.id}",
            "language": ",".join(langs),
            "description": f"{GENRE}: {m.title} ({m.agency.name})",
            "publisher": m.agency.province,
            "encoded_by": f"psa-pipeline {__version__}",
            "psa_id": m.id,
            "channel": rendition.channel,
        }


def plan_psa(manifest: Manifest, inputs: PsaInputs, config: ChannelConfig, year: int) -> PsaPlan:
    content = _content_duration(inputs)
    line = timeline(
        manifest,
        inputs.intro.info.duration if inputs.intro else 0.0,
        content,
        inputs.outro.info.duration if inputs.outro else 0.0,
    )
    makes_video = manifest.kind == "video" or manifest.audiogram
    slot = manifest.slot or 0.0
    length = max(line.total if makes_video else line.audio_end, slot)
    base = PsaPlan(manifest, inputs, line, round(length, 3), makes_video, year)
    renditions: list[Rendition] = []
    for channel in dict.fromkeys(manifest.channels):
        profile = config.channels.get(channel)
        if profile is None or manifest.kind not in profile.accepts:
            continue  # validate refuses these; planning skips them
        for spec in profile.renditions:
            if spec.video is not None and not makes_video:
                continue
            renditions.append(_rendition(base, channel, spec, profile.loudness))
    return PsaPlan(manifest, inputs, line, base.program_length, makes_video, year, tuple(renditions))


def _content_duration(inputs: PsaInputs) -> float:
    main = inputs.video or inputs.audio
    spans = [(t.start, p.info.duration) for t, p in (*inputs.voices, *inputs.effects)]
    return content_duration(main.info.duration if main else None, spans)


def _rendition(plan: PsaPlan, channel: str, spec: RenditionSpec, loudness: LoudnessSpec) -> Rendition:
    m, line, inputs = plan.manifest, plan.timeline, plan.inputs
    extension = {"mp4": "mp4", "mp3": "mp3", "wav": "wav", "ogg": "opus" if spec.audio.codec == "libopus" else "ogg",
                 "m4a": "m4a"}[spec.container]  # fmt: skip
    relative = Path(channel) / f"{m.id}-{channel}-{spec.name}.{extension}"
    duration = rendition_duration(line, m, spec.video is not None, spec.exact_slot)
    if spec.video is None:
        return Rendition(channel, spec, loudness, relative, duration, None)
    size = _frame(spec.video, inputs)
    burn = None
    if spec.captions.burn_in:
        chosen = m.subtitles.burn_in.get(channel)
        if chosen is None and inputs.track(m.language) is not None:
            chosen = m.language
        burn = chosen if chosen and inputs.track(chosen) else None
    soft = tuple(s.lang for s in inputs.subtitles) if spec.captions.soft else ()
    sidecars = tuple((s.lang, fmt) for s in inputs.subtitles for fmt in spec.captions.sidecars)
    burned = inputs.track(burn).cues if burn else ()  # type: ignore[union-attr]
    ass = captions.burn_in_ass(size[0], size[1], cards(plan), burned, line.content_start, audiogram_header(plan))
    return Rendition(channel, spec, loudness, relative, duration, size, burn, soft, sidecars, ass)


def _frame(video: VideoSpec, inputs: PsaInputs) -> tuple[int, int]:
    source = inputs.video.info.video if inputs.video else None
    return frame_size(video.width, video.height, video.orientation, source)


# ---- ffmpeg command lines ------------------------------------------------------------------


PathOf = Callable[[Piece], str]


def _plain_path(piece: Piece) -> str:
    return str((piece.prepared or piece.path).resolve())


def unprepared(plan: PsaPlan) -> PsaPlan:
    """The plan as it would be without prepared parts: what cache keys are computed from.

    A prepared part holds exactly the samples the render would otherwise make of its source, so a
    rendition's key must not change with whether (or where) its jingles were prepared.
    """
    inputs = plan.inputs
    if not any(p is not None and p.prepared is not None for p in (inputs.intro, inputs.outro)):
        return plan
    bare = replace(
        inputs,
        intro=replace(inputs.intro, prepared=None) if inputs.intro else None,
        outro=replace(inputs.outro, prepared=None) if inputs.outro else None,
    )
    return replace(plan, inputs=bare)


def input_args(
    plan: PsaPlan, renditions: Sequence[Rendition], path_of: PathOf = _plain_path
) -> tuple[list[str], dict[str, int]]:
    """`-i` arguments and the index of each named input."""
    args: list[str] = []
    index: dict[str, int] = {}

    def add(name: str, value: str, before: Sequence[str] = ()) -> None:
        index[name] = len(index)
        args.extend([*before, "-i", value])

    inputs = plan.inputs
    if inputs.video:
        add("video", path_of(inputs.video))
    if inputs.audio:
        add("audio", path_of(inputs.audio))
    for group, tracks in (("voice", inputs.voices), ("music", inputs.music), ("effect", inputs.effects)):
        for i, (_track, piece) in enumerate(tracks):
            add(f"{group}{i}", path_of(piece))
    if inputs.intro:
        add("intro", path_of(inputs.intro))
    if inputs.outro:
        add("outro", path_of(inputs.outro))
    if inputs.logo and any(r.size for r in renditions):
        add("logo", path_of(inputs.logo))
    if any(r.soft_langs for r in renditions):
        for sub in inputs.subtitles:
            add(f"soft-{sub.lang}", SOFT_NAME.format(lang=sub.lang))
    return args, index


def source_notes(plan: PsaPlan) -> list[str]:
    """What the build does about its main file, for the build log and renditions.json."""
    main = plan.inputs.video or plan.inputs.audio
    if main is None:
        return []
    notes = []
    tracks = main.info.of_kind("audio")
    if len(tracks) > 1:
        chosen = plan.manifest.sources.audio_track
        reason = (
            _("audio track {chosen} of {count}: chosen in psa.yaml").format(chosen=chosen, count=len(tracks))
            if chosen
            else track_reason(main.info)
        )
        notes.append(_("{file}: uses {reason}").format(file=main.path.name, reason=reason))
    stream = main.info.video if plan.inputs.video else None
    if stream is not None:
        notes += [f"{main.path.name}: {note}" for note in picture_notes(stream)]
    return notes


def _bitrate_args(spec: VideoSpec) -> list[str]:
    args = ["-crf", str(spec.crf)]
    if spec.maxrate:
        args += ["-maxrate", spec.maxrate, "-bufsize", spec.bufsize or spec.maxrate]
    return args


def video_args(r: Rendition, k: int) -> list[str]:
    """The rendition's picture, encoded once; its sound is encoded apart and muxed in (see build/finish.py)."""
    assert r.spec.video is not None
    video = r.spec.video
    gop = max(1, round(video.fps / 2))
    return [
        "-map", f"[v{k}]", "-c:v", "libx264", "-preset", video.preset, *_bitrate_args(video),
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", str(gop), "-bf", "2", "-flags", "+cgop",
        "-an", "-sn", "-dn", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-t", f"{r.duration:.3f}", "-f", "mp4", VIDEO_NAME.format(index=k),
    ]  # fmt: skip


def mixes_command(
    plan: PsaPlan, renditions: Sequence[Rendition], path_of: PathOf = _plain_path, progress: bool = False
) -> list[str]:
    """The audio run: the sources' sound assembled once and written as each distinct lossless mix.

    One file per programme-audio layout the renditions need (AudioMix.file), in the working folder.
    It reads no picture and encodes nothing lossy, so it is cheap and runs alongside the picture run.
    """
    args, index = input_args(plan, [], path_of)
    graph = program_graph(plan, index)
    mixes = needed_mixes(renditions)
    graph.append(_asplit("[prog]", [f"[pm{i}]" for i in range(len(mixes))]))
    graph += [mix_chain(mix, f"[pm{i}]") for i, mix in enumerate(mixes)]
    command = [*_head(progress), *args, "-filter_complex", ";".join(graph)]
    for mix in mixes:
        command += mix_args(mix)
    return command + _same_origin(plan, index, "v:0")


def picture_command(
    plan: PsaPlan, renditions: Sequence[Rendition], path_of: PathOf = _plain_path, progress: bool = True
) -> list[str] | None:
    """The picture run: the source decoded once and split; each video rendition's picture encoded once.

    It writes each picture alone (VIDEO_NAME, no sound); None when no rendition has a picture. An
    audiogram's waveform needs the assembled sound, so that run assembles it too (and writes no mix).
    """
    video = [(k, r) for k, r in enumerate(renditions) if r.size is not None]
    if not video:
        return None
    args, index = input_args(plan, renditions, path_of)
    graph: list[str] = []
    if plan.manifest.kind == "video":
        graph.append(_split(f"[{index['video']}:v:0]", [f"[src{k}]" for k, _ in video]))
    else:
        graph += program_graph(plan, index)
        graph.append(_asplit("[prog]", [f"[pw{k}]" for k, _ in video]))
    if "logo" in index and plan.manifest.end_card is not None:
        graph.append(_split(f"[{index['logo']}:v:0]", [f"[logo{k}]" for k, _ in video]))
    for k, r in video:
        graph += video_chain(plan, r, k, f"[src{k}]" if plan.manifest.kind == "video" else f"[pw{k}]", index)
    command = [*_head(progress), *args, "-filter_complex", ";".join(graph)]
    for k, r in video:
        command += video_args(r, k)
    if plan.manifest.kind == "video":
        command += _same_origin(plan, index, f"a:{content_track(plan)}")
    return command


def _same_origin(plan: PsaPlan, index: dict[str, int], other: str) -> list[str]:
    """Keep the main file's other used stream open (copied to nothing) so both runs share one time origin.

    For formats with timestamp discontinuities (MPEG-TS, MPEG-PS) ffmpeg puts time zero at the
    earliest stream *in use*: a picture run that read only the picture would start it at the
    picture's first frame and pull the picture ahead of its sound by the sound's head start.
    """
    main = plan.inputs.video
    if main is None or "video" not in index or not main.info.of_kind("video" if other.startswith("v") else "audio"):
        return []
    return ["-map", f"{index['video']}:{other}", "-c", "copy", "-f", "null", "-"]


def _head(progress: bool) -> list[str]:
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]
    return [*command, "-progress", "pipe:1"] if progress else command


def _asplit(source: str, outputs: list[str]) -> str:
    return f"{source}asplit={len(outputs)}{''.join(outputs)}" if len(outputs) > 1 else f"{source}anull{outputs[0]}"


def _split(source: str, outputs: list[str]) -> str:
    """One picture stream to several renditions: decoded once, copied in the graph."""
    if len(outputs) == 1:
        return f"{source}null{outputs[0]}"
    return f"{source}split={len(outputs)}{''.join(outputs)}"


def workdir_files(plan: PsaPlan, renditions: Sequence[Rendition]) -> dict[str, str]:
    """Files ffmpeg reads from its working folder: libass scripts and shifted soft subtitle tracks."""
    files: dict[str, str] = {}
    for k, r in enumerate(renditions):
        if r.ass is not None:
            files[ASS_NAME.format(index=k)] = r.ass
    if any(r.soft_langs for r in renditions):
        for sub in plan.inputs.subtitles:
            files[SOFT_NAME.format(lang=sub.lang)] = captions.soft_track(sub.cues, plan.timeline.content_start)
    return files


def sidecar_texts(plan: PsaPlan, r: Rendition) -> dict[Path, str]:
    texts: dict[Path, str] = {}
    for lang, fmt in r.sidecars:
        sub = plan.inputs.track(lang)
        if sub is not None:
            texts[r.sidecar_path(lang, fmt)] = captions.sidecar(sub.cues, plan.timeline.content_start, fmt)
    return texts


def cache_key(plan: PsaPlan, r: Rendition, ffmpeg_version: str, finish: list[str]) -> str:
    """Hash of everything the rendition is made from: input bytes, commands, text files, tool versions.

    `finish` is the rendition's final encode-and-mux command with placeholder paths (build/finish.py).
    """
    plan = unprepared(plan)
    material = {
        "tool": __version__,
        "ffmpeg": ffmpeg_version,
        "command": [
            mixes_command(plan, [r], lambda p: p.digest),
            picture_command(plan, [r], lambda p: p.digest, progress=False),
        ],
        "finish": finish,
        "files": workdir_files(plan, [r]),
        "sidecars": {str(k): v for k, v in sidecar_texts(plan, r).items()},
        "loudness": r.loudness.model_dump(),
        "max": [r.spec.max_duration, r.spec.max_megabytes],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def program_key(plan: PsaPlan, ffmpeg_version: str) -> str:
    """Hash of the assembled sound's inputs and graph: the mixes' measurements hold while it does."""
    plan = unprepared(plan)
    args, index = input_args(plan, [], lambda p: p.digest)
    material = {"tool": __version__, "ffmpeg": ffmpeg_version, "inputs": args, "graph": program_graph(plan, index)}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
