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
from dataclasses import dataclass, field
from pathlib import Path

from psa_pipeline import __version__
from psa_pipeline.build.video import ASS_NAME, audiogram_header, cards, frame_size, picture_notes, video_chain
from psa_pipeline.channels.config import CONTAINERS, ChannelConfig, LoudnessSpec, RenditionSpec, VideoSpec
from psa_pipeline.manifest.languages import label
from psa_pipeline.manifest.model import Manifest, MusicTrack, Track
from psa_pipeline.media import captions
from psa_pipeline.media.loudness import Gain
from psa_pipeline.media.probe import MediaInfo
from psa_pipeline.media.subtitles import TimedCue
from psa_pipeline.media.timeline import Timeline, content_duration, rendition_duration, timeline

PROGRAM_RATE = 48000
LAYOUTS = {1: "mono", 2: "stereo"}
GENRE = "Iklan Layanan Masyarakat"
# Soft subtitle tracks are written under this plain name in ffmpeg's working folder (libass scripts: video.py).
SOFT_NAME = "soft-{lang}.srt"


@dataclass(frozen=True)
class Piece:
    """An input file with what ffprobe said of it and its content hash."""

    path: Path
    info: MediaInfo
    digest: str


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
    return str(piece.path.resolve())


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
        for i, (_, piece) in enumerate(tracks):
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


def content_track(plan: PsaPlan) -> int:
    """Position among its audio streams of the main file's track the PSA uses (manifest, else probe's pick)."""
    main = plan.inputs.video or plan.inputs.audio
    chosen = plan.manifest.sources.audio_track
    if chosen is not None:
        return chosen - 1
    return main.info.audio_track or 0 if main else 0


def source_notes(plan: PsaPlan) -> list[str]:
    """What the build does about its main file, for the build log and renditions.json."""
    main = plan.inputs.video or plan.inputs.audio
    if main is None:
        return []
    notes = []
    tracks = main.info.of_kind("audio")
    if len(tracks) > 1:
        chosen = plan.manifest.sources.audio_track
        reason = f"audio track {chosen} of {len(tracks)}: chosen in psa.yaml" if chosen else main.info.audio_reason
        notes.append(f"{main.path.name}: uses {reason}")
    stream = main.info.video if plan.inputs.video else None
    if stream is not None:
        notes += [f"{main.path.name}: {note}" for note in picture_notes(stream)]
    return notes


def _conform(index: int, track: int = 0) -> str:
    # Every piece to one rate and layout, whatever it came in as (mono, 5.1, 44.1 kHz, ...).
    # async + first_pts=0: a track that starts after its file's origin (audio later than picture) or
    # has gaps keeps its place in time, filled with silence, instead of being pulled forward.
    return (
        f"[{index}:a:{track}]aresample={PROGRAM_RATE}:async=1:first_pts=0,"
        "aformat=sample_fmts=fltp:channel_layouts=stereo"
    )


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _duck_ratio(duck_db: float) -> float:
    """Compressor ratio that dips the music about `duck_db` under speech near -20 dBFS.

    The threshold sits 16 dB below typical speech level, so the gain reduction is about
    16 * (1 - 1/ratio) dB; solve for the ratio.
    """
    if duck_db <= 0:
        return 1.0
    return round(min(20.0, 1.0 / max(0.05, 1.0 - duck_db / 16.0)), 3)


def program_graph(plan: PsaPlan, index: dict[str, int]) -> list[str]:
    """Filter chains that assemble the PSA's sound (jingles, content or multitrack mix) into [prog]."""
    inputs, line, jingles = plan.inputs, plan.timeline, plan.manifest.jingles
    chains: list[str] = []
    if inputs.video or inputs.audio:
        chains.append(f"{_conform(index['video' if inputs.video else 'audio'], content_track(plan))}[content_raw]")
    else:
        voices = []
        for i, (track, _) in enumerate(inputs.voices):
            chains.append(
                f"{_conform(index[f'voice{i}'])},volume={track.gain_db}dB,adelay={_ms(track.start)}:all=1[voice{i}]"
            )
            voices.append(f"[voice{i}]")
        chains.append(f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:duration=longest[vox]")
        parts = ["[vox_main]"]
        chains.append(
            f"[vox]asplit={1 + len(inputs.music)}[vox_main]" + "".join(f"[vox_sc{i}]" for i in range(len(inputs.music)))
        )
        for i, (music, _) in enumerate(inputs.music):
            chains.append(
                f"{_conform(index[f'music{i}'])},volume={music.gain_db}dB,adelay={_ms(music.start)}:all=1[music{i}]"
            )
            chains.append(
                f"[music{i}][vox_sc{i}]sidechaincompress=threshold=0.015:ratio={_duck_ratio(music.duck_db)}"
                f":attack=20:release=400:makeup=1[bed{i}]"
            )
            parts.append(f"[bed{i}]")
        for i, (effect, _) in enumerate(inputs.effects):
            chains.append(
                f"{_conform(index[f'effect{i}'])},volume={effect.gain_db}dB,adelay={_ms(effect.start)}:all=1[fx{i}]"
            )
            parts.append(f"[fx{i}]")
        chains.append(
            f"{''.join(parts)}amix=inputs={len(parts)}:normalize=0:duration=longest,atrim=0:{line.content:.3f}[content_raw]"
        )
    content = f"[content_raw]atrim=0:{line.content:.3f},asetpts=N/SR/TB"
    if jingles.intro and jingles.intro.crossfade > 0 and inputs.intro:
        content += f",afade=t=in:d={jingles.intro.crossfade}"
    if jingles.outro and jingles.outro.crossfade > 0 and inputs.outro:
        content += f",afade=t=out:st={max(0.0, line.content - jingles.outro.crossfade):.3f}:d={jingles.outro.crossfade}"
    chains.append(f"{content},adelay={_ms(line.content_start)}:all=1[content]")
    parts = ["[content]"]
    if inputs.intro and jingles.intro:
        intro = f"{_conform(index['intro'])}"
        if jingles.intro.crossfade > 0:
            start = max(0.0, line.intro - jingles.intro.crossfade)
            intro += f",afade=t=out:st={start:.3f}:d={jingles.intro.crossfade}"
        chains.append(f"{intro}[intro]")
        parts.append("[intro]")
    if inputs.outro and jingles.outro:
        outro = f"{_conform(index['outro'])}"
        if jingles.outro.crossfade > 0:
            outro += f",afade=t=in:d={jingles.outro.crossfade}"
        chains.append(f"{outro},adelay={_ms(line.outro_start)}:all=1[outro]")
        parts.append("[outro]")
    mix = f"amix=inputs={len(parts)}:normalize=0:duration=longest," if len(parts) > 1 else "anull,"
    chains.append(
        f"{''.join(parts)}{mix}apad=whole_dur={plan.program_length:.3f},atrim=0:{plan.program_length:.3f},"
        "asetpts=N/SR/TB[prog]"
    )
    return chains


def measure_command(plan: PsaPlan, channels: int = 2, path_of: PathOf = _plain_path) -> list[str]:
    """Audio only: assemble the sound in a rendition's channel layout and measure it (EBU R128, true peak)."""
    args, index = input_args(plan, [], path_of)
    graph = [
        *program_graph(plan, index),
        f"[prog]aformat=channel_layouts={LAYOUTS[channels]},ebur128=peak=true[measured]",
    ]
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", *args,
        "-filter_complex", ";".join(graph), "-map", "[measured]", "-f", "null", "-",
    ]  # fmt: skip


def _bitrate_args(spec: VideoSpec) -> list[str]:
    args = ["-crf", str(spec.crf)]
    if spec.maxrate:
        args += ["-maxrate", spec.maxrate, "-bufsize", spec.bufsize or spec.maxrate]
    return args


def _output_args(plan: PsaPlan, r: Rendition, k: int, index: dict[str, int], target: str) -> list[str]:
    spec = r.spec
    args: list[str] = []
    if r.size is not None and spec.video is not None:
        gop = max(1, round(spec.video.fps / 2))
        args += ["-map", f"[v{k}]", "-c:v", "libx264", "-preset", spec.video.preset, *_bitrate_args(spec.video)]
        args += ["-profile:v", "high", "-pix_fmt", "yuv420p", "-g", str(gop), "-bf", "2", "-flags", "+cgop"]
    args += ["-map", f"[a{k}]", "-c:a", spec.audio.codec]
    if spec.audio.bitrate:
        args += ["-b:a", spec.audio.bitrate]
    args += ["-ar", str(spec.audio.sample_rate), "-ac", str(spec.audio.channels)]
    args += ["-metadata:s:a:0", f"language={plan.manifest.language}"]
    for n, lang in enumerate(r.soft_langs):
        sub = plan.inputs.track(lang)
        args += ["-map", f"{index[f'soft-{lang}']}:s:0", f"-metadata:s:s:{n}", f"language={lang}",
                 f"-metadata:s:s:{n}", f"title={sub.label if sub else label(lang)}",
                 # MP4 keeps a track's name only as its handler name, which players show.
                 f"-metadata:s:s:{n}", f"handler_name={sub.label if sub else label(lang)}"]  # fmt: skip
    if r.soft_langs:
        args += ["-c:s", "mov_text"]
    args += ["-map_metadata", "-1", "-map_chapters", "-1"]
    for key, value in plan.metadata(r).items():
        args += ["-metadata", f"{key}={value}"]
    if spec.container == "mp4":
        args += ["-movflags", "+faststart+use_metadata_tags"]
    elif spec.container == "mp3":
        args += ["-id3v2_version", "3", "-write_xing", "1"]
    elif spec.container == "wav":
        m = plan.manifest
        args += ["-write_bext", "1", "-rf64", "auto",
                 "-metadata", f"originator={m.agency.code[:32]}",
                 "-metadata", f"origination_date={plan.year}-01-01" if not m.approval else
                 f"origination_date={m.approval.date.isoformat()}"]  # fmt: skip
    elif spec.container == "ogg":
        # Ogg stream serial numbers are random unless bitexact; same inputs must give the same bytes.
        args += ["-fflags", "+bitexact"]
    args += ["-t", f"{r.duration:.3f}", "-f", CONTAINERS[spec.container], target]
    return args


def _audio_chain(r: Rendition, k: int, gain: Gain) -> str:
    # Layout and rate first: a downmix after the limiter would raise the peaks it just held down.
    audio = r.spec.audio
    layout = LAYOUTS[audio.channels]
    chain = f"[pa{k}]atrim=0:{r.duration:.3f},aresample={audio.sample_rate},aformat=channel_layouts={layout}"
    chain += f",volume={gain.gain_db:.3f}dB"
    if gain.limit_db is not None:
        limit = max(0.0625, 10 ** (gain.limit_db / 20))
        chain += f",alimiter=limit={limit:.5f}:level=0:latency=1:attack=5:release=80"
    return f"{chain}[a{k}]"


def render_command(
    plan: PsaPlan,
    renditions: Sequence[Rendition],
    gains: dict[str, Gain],
    targets: dict[str, str],
    path_of: PathOf = _plain_path,
    progress: bool = True,
) -> list[str]:
    """One ffmpeg process for all `renditions`: each source is decoded once and split."""
    args, index = input_args(plan, renditions, path_of)
    graph = program_graph(plan, index)
    video = [(k, r) for k, r in enumerate(renditions) if r.size is not None]
    waves = plan.manifest.kind != "video" and video
    audio_copies = len(renditions) + (len(video) if waves else 0)
    outs = [f"[pa{k}]" for k in range(len(renditions))]
    outs += [f"[pw{k}]" for k, _ in video] if waves else []
    graph.append(f"[prog]asplit={audio_copies}{''.join(outs)}" if audio_copies > 1 else f"[prog]anull{outs[0]}")
    if video and plan.manifest.kind == "video":
        graph.append(_split(f"[{index['video']}:v:0]", [f"[src{k}]" for k, _ in video]))
    if video and "logo" in index and plan.manifest.end_card is not None:
        graph.append(_split(f"[{index['logo']}:v:0]", [f"[logo{k}]" for k, _ in video]))
    for k, r in video:
        graph += video_chain(plan, r, k, f"[src{k}]" if plan.manifest.kind == "video" else f"[pw{k}]", index)
    for k, r in enumerate(renditions):
        graph.append(_audio_chain(r, k, gains[r.name]))
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]
    if progress:
        command += ["-progress", "pipe:1"]
    command += [*args, "-filter_complex", ";".join(graph)]
    for k, r in enumerate(renditions):
        command += _output_args(plan, r, k, index, targets[r.name])
    return command


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


def cache_key(plan: PsaPlan, r: Rendition, ffmpeg_version: str) -> str:
    """Hash of everything the rendition is made from: input bytes, command, text files, tool versions."""
    command = render_command(plan, [r], {r.name: Gain(0.0)}, {r.name: "OUT"}, lambda p: p.digest, progress=False)
    material = {
        "tool": __version__,
        "ffmpeg": ffmpeg_version,
        "command": command,
        "files": workdir_files(plan, [r]),
        "sidecars": {str(k): v for k, v in sidecar_texts(plan, r).items()},
        "loudness": r.loudness.model_dump(),
        "max": [r.spec.max_duration, r.spec.max_megabytes],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def program_key(plan: PsaPlan, ffmpeg_version: str) -> str:
    """Hash of the assembled sound's inputs: its loudness measurement can be reused while this holds."""
    material = {"tool": __version__, "ffmpeg": ffmpeg_version, "command": measure_command(plan, 2, lambda p: p.digest)}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
