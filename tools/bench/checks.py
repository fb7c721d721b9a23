"""Checking every approach's outputs: streams, sizes, subtitle languages, loudness."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common import ffprobe
from helpers import measure_file
from spec import FPS, LANGS, RATE, TARGETS, TOLERANCE, TRUE_PEAK, Target, Timeline

# ---- checking the outputs -------------------------------------------------------------------


@dataclass
class FileCheck:
    rendition: str
    problems: list[str] = field(default_factory=list)
    integrated_lufs: float | None = None
    true_peak_dbtp: float | None = None
    duration_s: float | None = None
    size_bytes: int | None = None


def check_target(root: Path, t: Target, tl: Timeline) -> FileCheck:
    check = FileCheck(t.key)
    path = root / t.relative
    if not path.is_file():
        check.problems.append("missing")
        return check
    info = ffprobe(path)
    streams = info.get("streams", [])
    check.size_bytes = path.stat().st_size
    check.duration_s = round(float(info["format"]["duration"]), 3)
    if abs(check.duration_s - tl.length(t)) > 0.15:
        check.problems.append(f"duration {check.duration_s:.2f} s, expected {tl.length(t):.2f} s")
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    want_audio = {"aac": "aac", "libmp3lame": "mp3", "pcm_s24le": "pcm_s24le"}[t.audio_codec]
    if not audio or audio[0].get("codec_name") != want_audio:
        check.problems.append(f"audio is not {want_audio}")
    elif int(audio[0].get("sample_rate", 0)) != RATE or audio[0].get("channels") != 2:
        check.problems.append("audio is not 48 kHz stereo")
    elif t.audio_bitrate and t.ext == "mp3" and abs(int(audio[0].get("bit_rate", 0)) - 192_000) > 1000:
        check.problems.append(f"MP3 at {audio[0].get('bit_rate')} b/s, not 192k CBR")
    if t.size is not None:
        video = [s for s in streams if s.get("codec_type") == "video"]
        if not video or video[0].get("codec_name") != "h264":
            check.problems.append("no H.264 video")
        else:
            v = video[0]
            if (v.get("width"), v.get("height")) != t.size:
                check.problems.append(f"picture {v.get('width')}x{v.get('height')}, expected {t.size[0]}x{t.size[1]}")
            if v.get("avg_frame_rate") != f"{FPS}/1":
                check.problems.append(f"frame rate {v.get('avg_frame_rate')}, expected {FPS}")
        subs = [s for s in streams if s.get("codec_type") == "subtitle"]
        langs = tuple(s.get("tags", {}).get("language") for s in subs)
        if t.soft and (langs != LANGS or any(s.get("codec_name") != "mov_text" for s in subs)):
            check.problems.append(f"soft subtitle tracks {langs or 'none'}, expected mov_text {LANGS}")
        if t.sidecars:
            wanted = [(lang, fmt) for lang in LANGS for fmt in ("srt", "vtt")]
            missing = [f"{lang}.{fmt}" for lang, fmt in wanted if not (root / t.sidecar(lang, fmt)).is_file()]
            if missing:
                check.problems.append(f"sidecars missing: {', '.join(missing)}")
    loud = measure_file(path)
    check.integrated_lufs, check.true_peak_dbtp = loud.integrated, loud.true_peak
    if abs(loud.integrated - t.lufs) > TOLERANCE:
        check.problems.append(f"{loud.integrated:.1f} LUFS, target {t.lufs:.0f} ±{TOLERANCE}")
    if loud.true_peak > TRUE_PEAK:
        check.problems.append(f"true peak {loud.true_peak:.1f} dBTP > {TRUE_PEAK:.0f}")
    return check


def check_outputs(root: Path, tl: Timeline) -> list[FileCheck]:
    return [check_target(root, t, tl) for t in TARGETS]
