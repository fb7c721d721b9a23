"""The last steps of each rendition, on the audio alone: limit the lossless mix, encode it, mux it.

Pure: command lines only. The picture is encoded once by the PSA's picture run (plan.py) while
the sound is finished here; the mux only copies both (`-c copy`), so a loudness correction costs
an audio encode, not a video one, and the muxed file's sound is the one that was measured.
"""

from __future__ import annotations

from pathlib import Path

from psa_pipeline.build.plan import SOFT_NAME, PsaPlan, Rendition
from psa_pipeline.channels.config import CONTAINERS
from psa_pipeline.manifest.languages import label
from psa_pipeline.media.loudness import Gain
from psa_pipeline.media.meter import meter_filter

# Limiting at 4x the sample rate catches the peaks between samples that ebur128's true-peak
# meter (also 4x) sees; alimiter alone only holds sample peaks.
OVERSAMPLE = 4

HEAD = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]


def limiter_chain(gain: Gain, sample_rate: int) -> str:
    """Gain, then (only with a limit) a true-peak limiter: oversampled, delay-compensated, no auto level."""
    chain = f"volume={gain.gain_db:.3f}dB"
    if gain.limit_db is None:
        return chain
    limit = max(0.0625, 10 ** (gain.limit_db / 20))
    return (
        f"{chain},aresample={sample_rate * OVERSAMPLE},"
        f"alimiter=limit={limit:.5f}:level=0:latency=1:attack=5:release=80,aresample={sample_rate}"
    )


def limit_command(mix: Path, gain: Gain, sample_rate: int, target: Path) -> list[str]:
    """The mix with gain and limiter applied, still lossless (32-bit float WAV), and metered in the same run.

    The log carries the limited audio's loudness (media/meter.py reads it): no second decode.
    """
    graph = f"[0:a:0]{limiter_chain(gain, sample_rate)},asplit=2[out][metered];[metered]{meter_filter()}[done]"
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-y", "-i", str(mix),
        "-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_f32le", "-fflags", "+bitexact", "-f", "wav",
        str(target), "-map", "[done]", "-f", "null", "-",
    ]  # fmt: skip


def audio_command(plan: PsaPlan, r: Rendition, audio: str, gain_db: float, target: str) -> list[str]:
    """Encode `audio` (lossless, finished loudness but for `gain_db`) with the channel's codec.

    An audio-only rendition's file is finished here (metadata, container options). A video
    rendition's sound is written alone, in the container it will be muxed into (MP4), so that its
    encoder delay and padding (AAC priming, Opus pre-skip) travel with it when it is copied in: the
    muxed file decodes to exactly the samples measured here.
    """
    spec = r.spec
    args = [*HEAD, "-i", audio, "-map", "0:a:0", "-af", f"volume={gain_db:.3f}dB", "-c:a", spec.audio.codec]
    if spec.audio.bitrate:
        args += ["-b:a", spec.audio.bitrate]
    args += ["-ar", str(spec.audio.sample_rate), "-ac", str(spec.audio.channels)]
    if r.size is not None:
        return [*args, "-map_metadata", "-1", "-t", f"{r.duration:.3f}", "-f", CONTAINERS[spec.container], target]
    return [*args, *_dress(plan, r, 1), "-t", f"{r.duration:.3f}", "-f", CONTAINERS[spec.container], target]


def mux_command(plan: PsaPlan, r: Rendition, video: str, audio: str, target: str) -> list[str]:
    """The picture encoded by the picture run and the finished sound, both copied untouched, into one file.

    Soft subtitle tracks are read from the working folder (SOFT_NAME); metadata and container
    options are the rendition's own.
    """
    args = [*HEAD, "-i", video, "-i", audio]
    for lang in r.soft_langs:
        args += ["-i", SOFT_NAME.format(lang=lang)]
    args += ["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "copy", *_dress(plan, r, 2)]
    return [*args, "-f", CONTAINERS[r.spec.container], target]


def _dress(plan: PsaPlan, r: Rendition, subs: int) -> list[str]:
    """Language, soft subtitle tracks (from input `subs` on), metadata and container options."""
    args = ["-metadata:s:a:0", f"language={plan.manifest.language}"]
    for n, lang in enumerate(r.soft_langs):
        sub = plan.inputs.track(lang)
        name = sub.label if sub else label(lang)
        args += ["-map", f"{subs + n}:s:0", f"-metadata:s:s:{n}", f"language={lang}",
                 f"-metadata:s:s:{n}", f"title={name}",
                 # MP4 keeps a track's name only as its handler name, which players show.
                 f"-metadata:s:s:{n}", f"handler_name={name}"]  # fmt: skip
    if r.soft_langs:
        args += ["-c:s", "mov_text"]
    args += ["-map_metadata", "-1", "-map_chapters", "-1"]
    for key, value in plan.metadata(r).items():
        args += ["-metadata", f"{key}={value}"]
    return args + _container_args(plan, r)


def _container_args(plan: PsaPlan, r: Rendition) -> list[str]:
    container = r.spec.container
    if container == "mp4":
        return ["-movflags", "+faststart+use_metadata_tags"]
    if container == "mp3":
        return ["-id3v2_version", "3", "-write_xing", "1"]
    if container == "wav":
        m = plan.manifest
        date = m.approval.date.isoformat() if m.approval else f"{plan.year}-01-01"
        return ["-write_bext", "1", "-rf64", "auto", "-metadata", f"originator={m.agency.code[:32]}",
                "-metadata", f"origination_date={date}"]  # fmt: skip
    if container == "ogg":
        # Ogg stream serial numbers are random unless bitexact; same inputs must give the same bytes.
        return ["-fflags", "+bitexact"]
    return []


def cache_material(plan: PsaPlan, r: Rendition) -> list[str]:
    """The audio encode (and the mux) with placeholder paths: what the cache key needs of these steps."""
    encode = audio_command(plan, r, "AUDIO", 0.0, "OUT")
    return encode if r.size is None else [*encode, *mux_command(plan, r, "VIDEO", "AUDIO", "OUT")]
