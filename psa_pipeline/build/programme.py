"""The PSA's sound: the graph that assembles it, and the lossless mixes each rendition's audio starts from.

Pure, like plan.py: filtergraph text only. plan.py puts it into the audio run (the mixes) and, for an
audiogram's waveform, into the picture run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psa_pipeline.build.plan import PsaPlan, Rendition

PROGRAM_RATE = 48000
LAYOUTS = {1: "mono", 2: "stereo"}


@dataclass(frozen=True)
class AudioMix:
    """One programme-audio layout a rendition needs: rendered once per PSA as lossless 32-bit float WAV."""

    channels: int
    sample_rate: int
    duration: float

    @property
    def label(self) -> str:
        return f"mix{self.channels}c{self.sample_rate}r{round(self.duration * 1000)}"

    @property
    def file(self) -> str:
        return f"{self.label}.wav"


def mix_of(r: Rendition) -> AudioMix:
    return AudioMix(r.spec.audio.channels, r.spec.audio.sample_rate, r.duration)


def needed_mixes(renditions: Sequence[Rendition]) -> list[AudioMix]:
    return list(dict.fromkeys(mix_of(r) for r in renditions))


def content_track(plan: PsaPlan) -> int:
    """Position among its audio streams of the main file's track the PSA uses (manifest, else probe's pick)."""
    main = plan.inputs.video or plan.inputs.audio
    chosen = plan.manifest.sources.audio_track
    if chosen is not None:
        return chosen - 1
    return main.info.audio_track or 0 if main else 0


# The programme's sample format and layout: every piece is brought to it before anything is mixed.
PROGRAM_FORMAT = "aformat=sample_fmts=fltp:channel_layouts=stereo"
# Every piece to one rate and layout, whatever it came in as (mono, 5.1, 44.1 kHz, ...).
# async + first_pts=0: a track that starts after its file's origin (audio later than picture) or
# has gaps keeps its place in time, filled with silence, instead of being pulled forward.
CONFORM = f"aresample={PROGRAM_RATE}:async=1:first_pts=0,{PROGRAM_FORMAT}"


def _conform(index: int, track: int = 0, prepared: bool = False) -> str:
    # A prepared part (build/shared.py) already holds CONFORM's output as float WAV: only the
    # planar layout the graph works in is declared again, which changes no sample.
    return f"[{index}:a:{track}]{PROGRAM_FORMAT if prepared else CONFORM}"


def conform_args(source: str, target: str) -> list[str]:
    """ffmpeg arguments that write CONFORM's output for `source` (its first audio track) as lossless float WAV.

    The same samples the render graph makes of the file with `_conform`: a part several PSAs share is
    conformed once by this, and each PSA's graph reads the result (build/shared.py).
    """
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y", "-i", source,
        "-filter_complex", f"{_conform(0)}[conformed]", "-map", "[conformed]",
        "-c:a", "pcm_f32le", "-fflags", "+bitexact", "-f", "wav", target,
    ]  # fmt: skip


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
        intro = _conform(index["intro"], prepared=inputs.intro.prepared is not None)
        if jingles.intro.crossfade > 0:
            start = max(0.0, line.intro - jingles.intro.crossfade)
            intro += f",afade=t=out:st={start:.3f}:d={jingles.intro.crossfade}"
        chains.append(f"{intro}[intro]")
        parts.append("[intro]")
    if inputs.outro and jingles.outro:
        outro = _conform(index["outro"], prepared=inputs.outro.prepared is not None)
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


def mix_chain(mix: AudioMix, label: str) -> str:
    # Layout and rate here, before any gain or limiter: a later downmix would raise limited peaks.
    layout = LAYOUTS[mix.channels]
    return (
        f"{label}atrim=0:{mix.duration:.3f},aresample={mix.sample_rate},aformat=sample_fmts=flt:"
        f"channel_layouts={layout},apad=whole_dur={mix.duration:.3f}[{mix.label}]"
    )


def mix_args(mix: AudioMix) -> list[str]:
    # 32-bit float keeps whatever the mix holds, overs included, so the gain decides, not a clip.
    return ["-map", f"[{mix.label}]", "-c:a", "pcm_f32le", "-fflags", "+bitexact", "-f", "wav", mix.file]
