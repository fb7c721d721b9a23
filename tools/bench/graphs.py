"""Filtergraphs and outputs shared by the hand-written and ffmpeg-normalize approaches."""

from __future__ import annotations

import json
import shutil
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from helpers import Loudness, fonts, ms
from spec import (
    AGENCY,
    BURN_LANG,
    CARD_COLOUR,
    END_TEXT,
    FPS,
    GOP,
    LABELS,
    LANGS,
    LOSSY_MARGIN,
    OUTRO_CROSSFADE,
    PRESET,
    RATE,
    SOCIAL,
    TARGETS,
    TITLE,
    TRUE_PEAK,
    WEB_720,
    WEB_1080,
    Paths,
    Target,
    Timeline,
)

# ---- shared by the hand-written and ffmpeg-normalize approaches ----------------------------


def program_chains(tl: Timeline, main: int, intro: int, outro: int) -> list[str]:
    """The PSA's sound into [prog]: intro, gap, content fading into the crossfaded outro."""
    fade_at = tl.content - OUTRO_CROSSFADE
    return [
        f"[{main}:a:0]atrim=0:{tl.content:.3f},asetpts=N/SR/TB,afade=t=out:st={fade_at:.3f}:d={OUTRO_CROSSFADE},"
        f"adelay={ms(tl.content_start)}:all=1[content]",
        f"[{outro}:a:0]afade=t=in:d={OUTRO_CROSSFADE},adelay={ms(tl.outro_start)}:all=1[outro]",
        f"[{intro}:a:0][content][outro]amix=inputs=3:normalize=0:duration=longest[prog]",
    ]


def gain_chain(measured: Loudness, target: float, lossy: bool) -> str:
    gain = target - measured.integrated
    chain = f"volume={gain:.2f}dB"
    ceiling = TRUE_PEAK - (LOSSY_MARGIN if lossy else 0.2)
    if measured.true_peak + gain > ceiling:
        # Only when the gain alone would break the ceiling, as any careful engineer would.
        chain += f",alimiter=limit={10 ** (ceiling / 20):.4f}:level=0"
    return chain


def em(ass_size: float) -> int:
    """The em size (drawtext, Pillow) that matches a libass font size, which is the font's line height.

    psa sizes its cards and captions for libass; Noto Sans's ascender + descender is 1.36 em.
    """
    return round(ass_size / 1.36)


def wrap(text: str, width: int, size: int) -> list[str]:
    return textwrap.wrap(text, max(8, int(width / (size * 0.56))))


def card_chain(work: Path, label: str, size: tuple[int, int], seconds: float, heading: str, body: str) -> str:
    """A coloured card with a centred heading and the agency below it; text goes in via files."""
    width, height = size
    short = min(size)
    bold, regular = fonts()
    vertical = height > width
    usable = int(width * (0.76 if vertical else 0.88))
    chain = f"color=c={CARD_COLOUR}:s={width}x{height}:r={FPS}:d={seconds:.3f},format=yuv420p"
    blocks = [
        (wrap(heading, usable, em(short * 0.075)), em(short * 0.075), bold, None),
        (wrap(body, usable, em(short * 0.05)), em(short * 0.05), regular, height * (0.3 if vertical else 0.22)),
    ]
    for b, (lines, font_size, font, bottom_margin) in enumerate(blocks):
        step = round(font_size * 1.25)
        block = step * len(lines)
        top = (height - block) // 2 if bottom_margin is None else int(height - bottom_margin) - block
        for n, line in enumerate(lines):
            name = f"{label}-{b}-{n}.txt"
            (work / name).write_text(line, encoding="utf-8")
            chain += (
                f",drawtext=fontfile={font}:textfile={name}:fontsize={font_size}:fontcolor=white"
                f":borderw=2:bordercolor=black:x=(w-text_w)/2:y={top + n * step}"
            )
    return f"{chain}[{label}]"


BURN_SRT = "burn.srt"
# libass renders SRT on a 384x288 script canvas: sizes below are in those units (about 67 px
# type and 460 px bottom margin on a 1080x1920 frame, above the apps' buttons, like psa).
BURN_STYLE = "FontName=Noto Sans,Bold=1,FontSize=10,Outline=1.5,Shadow=0.5,MarginV=69,MarginL=46,MarginR=46"


def picture_chains(tl: Timeline, work: Path, paths: Paths) -> list[str]:
    """The three pictures into [v_web1080], [v_web720], [v_social], from one decode of the source."""
    shutil.copyfile(paths.srt(BURN_LANG), work / BURN_SRT)
    land, vert = WEB_1080.size, SOCIAL.size
    assert land is not None and vert is not None and WEB_720.size is not None
    w, h = vert
    return [
        f"[0:v:0]trim=duration={tl.content:.3f},setpts=PTS-STARTPTS,fps={FPS},split=2[land][vert]",
        # Landscape: the source is 1080p already, so the 1080p program is built once and 720p scaled from it.
        f"[land]scale={land[0]}:{land[1]},setsar=1,format=yuv420p[body_l]",
        card_chain(work, "open_l", land, tl.content_start, TITLE, AGENCY),
        card_chain(work, "close_l", land, tl.tail, END_TEXT, AGENCY),
        "[open_l][body_l][close_l]concat=n=3:v=1:a=0,split=2[v_web1080][to720]",
        f"[to720]scale={WEB_720.size[0]}:{WEB_720.size[1]},setsar=1[v_web720]",
        # Vertical: the picture fitted over a blurred, cropped copy of itself; captions burned in.
        "[vert]split=2[bg][fg]",
        f"[bg]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},boxblur=20:2,setsar=1[bgb]",
        f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease,setsar=1[fgs]",
        f"[bgb][fgs]overlay=(W-w)/2:(H-h)/2,subtitles=filename={BURN_SRT}:force_style='{BURN_STYLE}',"
        "format=yuv420p[body_v]",
        card_chain(work, "open_v", vert, tl.content_start, TITLE, AGENCY),
        card_chain(work, "close_v", vert, tl.tail, END_TEXT, AGENCY),
        "[open_v][body_v][close_v]concat=n=3:v=1:a=0[v_social]",
    ]


def subtitle_inputs(tl: Timeline, paths: Paths) -> list[str]:
    # -itsoffset moves the cues (timed against the content) to where the content now starts.
    args: list[str] = []
    for lang in LANGS:
        args += ["-itsoffset", f"{tl.content_start:.3f}", "-i", str(paths.srt(lang))]
    return args


def x264_args(t: Target) -> list[str]:
    return [
        "-c:v", "libx264", "-preset", PRESET, "-crf", str(t.crf), "-maxrate", t.maxrate, "-bufsize", t.bufsize,
        "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", str(GOP), "-bf", "2", "-flags", "+cgop",
    ]  # fmt: skip


def audio_args(t: Target) -> list[str]:
    args = ["-c:a", t.audio_codec]
    if t.audio_bitrate:
        args += ["-b:a", t.audio_bitrate]
    return [*args, "-ar", str(RATE), "-ac", "2"]


def video_outputs(tl: Timeline, build: Path, first_sub: int, audio: dict[str, list[str]]) -> list[str]:
    """Output options for the three MP4s (and the 1080p sidecars), given how each one maps its sound."""
    args: list[str] = []
    for t, picture in ((WEB_1080, "[v_web1080]"), (WEB_720, "[v_web720]"), (SOCIAL, "[v_social]")):
        args += ["-map", picture, *audio[t.key], *x264_args(t), *audio_args(t)]
        args += ["-metadata:s:a:0", "language=ind", "-metadata", f"title={TITLE}"]
        if t.soft:
            for n, lang in enumerate(LANGS):
                args += ["-map", f"{first_sub + n}:s:0", f"-metadata:s:s:{n}", f"language={lang}",
                         f"-metadata:s:s:{n}", f"title={LABELS[lang]}"]  # fmt: skip
            args += ["-c:s", "mov_text"]
        args += ["-movflags", "+faststart", "-t", f"{tl.total:.3f}", str(build / t.relative)]
    return args + sidecar_outputs(build, WEB_1080, first_sub)


def sidecar_outputs(build: Path, t: Target, first_sub: int) -> list[str]:
    """Shifted SRT and WebVTT files beside `t`, written by the same ffmpeg process from its subtitle inputs."""
    args: list[str] = []
    for n, lang in enumerate(LANGS):
        for fmt, codec in (("srt", "srt"), ("vtt", "webvtt")):
            args += ["-map", f"{first_sub + n}:s:0", "-c:s", codec, "-f", codec, str(build / t.sidecar(lang, fmt))]
    return args


def prepare(build: Path) -> Path:
    for t in TARGETS:
        (build / t.relative).parent.mkdir(parents=True, exist_ok=True)
    work = build / ".work"
    work.mkdir(parents=True, exist_ok=True)
    return work


class Phases:
    """Wall time of each step inside a child, written beside its outputs for the report."""

    def __init__(self, build: Path) -> None:
        self.file = build / ".phases.json"
        self.times: dict[str, float] = {}

    def run(self, name: str, step: Callable[[], object]) -> None:
        began = time.perf_counter()
        step()
        self.times[name] = round(time.perf_counter() - began, 3)
        self.file.write_text(json.dumps(self.times))
