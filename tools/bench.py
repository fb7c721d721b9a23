#!/usr/bin/env python3
"""Benchmark `psa build` against the ways people render the same PSA without it.

    .venv/bin/python tools/bench.py [--out DIR] [--seconds 60] [--repeat N] [--approaches LIST] [--wait-idle S]

Generates a benchmark project (deterministic synthetic media) under --out, validates it with
`psa validate`, then renders the same five files (web 1080p + 720p MP4 with soft subtitle
tracks, social 1080x1920 with burned-in captions, radio MP3 + 24-bit WAV, all loudness
normalised) four ways, each as a child process timed with os.wait4:

  (A) psa       `psa build OUT/project -o OUT/build-psa --force`
  (a) hand      hand-written ffmpeg: one ebur128 pass, then one multi-output encode
  (b) normalize ffmpeg assembles the sound, ffmpeg-normalize sets its loudness, ffmpeg encodes
  (c) moviepy   a straightforward moviepy 2.x script

and times two no-op rebuilds: (d) the sample projects, (e) the benchmark project. Every
output is then checked (streams, sizes, subtitle languages, loudness) outside the timing.
Prints Markdown tables and writes them with the raw numbers to OUT/bench.json.

The machine may be shared: each run waits (up to --wait-idle s) for other processes to go quiet,
and the CPU time other processes used during each run is reported next to the timings.

Exit status: 0 when every approach ran (a missed target is a result, not an error), 1 when
an approach crashed or the benchmark project does not validate.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchlib import machine_busy_seconds, psa_tool, wait_for_quiet, write_atomically

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench-out"
# Bump when the generated media or manifest changes, so a stale project is regenerated.
GENERATOR_VERSION = 3

PSA_ID = "bench-diskominfo-tolak-suap"
TITLE = "Tolak Suap, Laporkan ke SP4N-LAPOR!"
AGENCY = "Diskominfo Provinsi Kalimantan Tengah"
AGENCY_CODE = "BENCH-DISKOMINFO"
PROVINCE = "Kalimantan Tengah"
END_TEXT = "Laporkan suap dan pungli: www.lapor.go.id | SMS 1708"
LABELS = {"ind": "Bahasa Indonesia", "nij": "Dayak Ngaju"}

SOURCE_SIZE = (1920, 1080)
SOURCE_FPS = 30
RATE = 48_000
JINGLE_S = 2.0
INTRO_GAP = 0.3
OUTRO_CROSSFADE = 0.5
END_CARD_S = 4.0
CUE_PERIOD = 5.0  # one cue per spoken phrase; the synthetic speech pauses between phrases

# What the built-in channel profiles (psa_pipeline/data/channels.yaml) ask for; the other
# approaches are written from the same numbers, as an engineer reading that file would.
FPS = 25
GOP = 12  # psa: round(fps / 2), closed GOP, 2 B-frames
PRESET = "veryfast"
CARD_COLOUR = "0x0B3D91"
TRUE_PEAK = -1.0
TOLERANCE = 0.5
LOSSY_MARGIN = 1.0  # AAC and MP3 raise true peaks a little; psa keeps 1 dB of room too

FONT_DIR = Path("/usr/share/fonts/truetype/noto")
FONT_BOLD = FONT_DIR / "NotoSans-Bold.ttf"
FONT_REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
FALLBACK_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FALLBACK_REGULAR = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-y"]
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]

# Twelve short phrases per language, readable at well under 17 characters per second.
CUES = {
    "ind": [
        "Ada yang minta uang pelicin?",
        "Tolak dengan sopan, tapi tegas.",
        "Layanan publik itu tanpa suap.",
        "Jangan beri suap, sekecil apa pun.",
        "Catat waktu, tempat, dan namanya.",
        "Laporkan lewat SP4N-LAPOR!",
        "Kunjungi www.lapor.go.id",
        "Atau kirim SMS ke 1708.",
        "Identitas pelapor dirahasiakan.",
        "Bersama kita lawan korupsi.",
        "Integritas dimulai dari kita.",
        "Tolak suap, laporkan pungli!",
    ],
    # Benchmark filler in the style of the sample project's Dayak Ngaju track, not a
    # reviewed translation: only its length and timing matter here.
    "nij": [
        "Aton je balaku duit pelicin?",
        "Dia tau manenga suap!",
        "Pelayanan publik dia bayar.",
        "Ela manenga suap, ije kurik kea.",
        "Catat andau, eka, tuntang arae.",
        "Lapor hung SP4N-LAPOR!",
        "Dumah hung www.lapor.go.id",
        "Atawa SMS ka 1708.",
        "Aran pelapor inyimpan.",
        "Hapakat kuat malawan korupsi.",
        "Integritas bahanjak bara itah.",
        "Dia tau manenga suap, lapor!",
    ],
}


# ---- what every approach must produce ----------------------------------------------------


@dataclass(frozen=True)
class Target:
    channel: str
    name: str
    ext: str
    lufs: float
    audio_codec: str
    audio_bitrate: str | None
    size: tuple[int, int] | None = None
    crf: int = 0
    maxrate: str = ""
    bufsize: str = ""
    soft: bool = False
    burn: bool = False
    sidecars: bool = False

    @property
    def key(self) -> str:
        return f"{self.channel}/{self.name}"

    @property
    def relative(self) -> Path:
        return Path(PSA_ID) / self.channel / f"{PSA_ID}-{self.channel}-{self.name}.{self.ext}"

    def sidecar(self, lang: str, fmt: str) -> Path:
        return self.relative.with_name(f"{self.relative.stem}.{lang}.{fmt}")


TARGETS = (
    Target("web", "1080p", "mp4", -14.0, "aac", "192k", (1920, 1080), 21, "8M", "16M", soft=True, sidecars=True),
    Target("web", "720p", "mp4", -14.0, "aac", "160k", (1280, 720), 22, "5M", "10M", soft=True),
    Target("social", "vertical", "mp4", -14.0, "aac", "128k", (1080, 1920), 22, "6M", "12M", burn=True),
    Target("radio", "mp3", "mp3", -23.0, "libmp3lame", "192k"),
    Target("radio", "wav", "wav", -23.0, "pcm_s24le", None),
)
WEB_1080, WEB_720, SOCIAL, RADIO_MP3, RADIO_WAV = TARGETS
LANGS = ("ind", "nij")
BURN_LANG = "ind"


@dataclass(frozen=True)
class Timeline:
    """intro jingle, gap, content, outro jingle (crossfaded into the content's end), end card."""

    content: float

    @property
    def content_start(self) -> float:
        return JINGLE_S + INTRO_GAP

    @property
    def outro_start(self) -> float:
        return self.content_start + self.content - OUTRO_CROSSFADE

    @property
    def audio_end(self) -> float:
        return self.outro_start + JINGLE_S

    @property
    def total(self) -> float:
        return self.audio_end + END_CARD_S

    @property
    def tail(self) -> float:
        """The closing card: under the outro jingle, then the end card on its own."""
        return self.total - self.content_start - self.content

    def length(self, target: Target) -> float:
        return self.total if target.size else self.audio_end


@dataclass(frozen=True)
class Paths:
    out: Path

    @property
    def project(self) -> Path:
        return self.out / "project"

    @property
    def main(self) -> Path:
        return self.project / "media" / "main.mp4"

    @property
    def intro(self) -> Path:
        return self.out / "assets" / "jingles" / "intro.wav"

    @property
    def outro(self) -> Path:
        return self.out / "assets" / "jingles" / "outro.wav"

    def srt(self, lang: str) -> Path:
        return self.project / "subtitles" / f"{lang}.srt"

    @property
    def stamp(self) -> Path:
        return self.out / ".bench-inputs.json"

    def build(self, approach: str) -> Path:
        return self.out / f"build-{approach}"


# ---- small helpers -------------------------------------------------------------------------


class BenchError(Exception):
    """A tool is missing or a step failed; the message says which."""


def run(command: Sequence[str], cwd: Path | None = None, timeout: float = 3600) -> str:
    """Run a command (argument list); return its stderr; BenchError with the gist if it fails."""
    try:
        result = subprocess.run(
            list(command), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise BenchError(f"{command[0]} is not installed") from None
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        tail = " | ".join(line.strip() for line in stderr.splitlines()[-4:] if line.strip())
        raise BenchError(f"{Path(command[0]).name} failed ({result.returncode}): {tail[:800]}")
    return stderr


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def duration_of(path: Path) -> float:
    # The container's duration, as psa takes it, so every approach assembles the same timeline.
    return float(ffprobe(path)["format"]["duration"])


@dataclass(frozen=True)
class Loudness:
    integrated: float
    true_peak: float


def parse_ebur128(stderr: str) -> Loudness:
    body = stderr.rsplit("Summary:", 1)
    if len(body) != 2:
        raise BenchError("ffmpeg printed no ebur128 summary")

    def value(label: str) -> float:
        match = re.search(rf"^\s*{label}:\s*(-?inf|-?[0-9.]+)", body[1], re.MULTILINE)
        if not match:
            raise BenchError(f"ebur128 summary has no {label}")
        return float(match.group(1))

    return Loudness(value("I"), value("Peak"))


# framelog=verbose keeps the per-frame lines out of an info-level log; the summary stays.
EBUR128 = "ebur128=peak=true:framelog=verbose"


def measure_file(path: Path) -> Loudness:
    command = [*FFMPEG, "-v", "info", "-i", str(path), "-map", "0:a:0", "-af", EBUR128, "-f", "null", "-"]
    return parse_ebur128(run(command))


def ms(seconds: float) -> int:
    return round(seconds * 1000)


def fonts() -> tuple[Path, Path]:
    if FONT_BOLD.is_file() and FONT_REGULAR.is_file():
        return FONT_BOLD, FONT_REGULAR
    if FALLBACK_BOLD.is_file() and FALLBACK_REGULAR.is_file():
        return FALLBACK_BOLD, FALLBACK_REGULAR
    raise BenchError("no Noto Sans or DejaVu Sans font (apt-get install fonts-noto-core)")


# ---- 1. the benchmark project --------------------------------------------------------------


def cue_times(seconds: float) -> list[tuple[float, float]]:
    count = max(1, min(12, int(seconds // CUE_PERIOD)))
    return [(i * CUE_PERIOD + 0.5, i * CUE_PERIOD + 4.0) for i in range(count)]


def srt_text(lang: str, seconds: float) -> str:
    def stamp(t: float) -> str:
        whole = ms(t)
        return f"{whole // 3_600_000:02d}:{whole // 60_000 % 60:02d}:{whole // 1000 % 60:02d},{whole % 1000:03d}"

    blocks = [
        f"{n}\n{stamp(start)} --> {stamp(end)}\n{CUES[lang][n - 1]}\n"
        for n, (start, end) in enumerate(cue_times(seconds), start=1)
    ]
    return "\n".join(blocks)


MANIFEST = """\
# Generated by tools/bench.py: the benchmark PSA (synthetic media, deterministic).
schema: 1
id: {psa_id}
title: "{title}"
agency:
  name: {agency}
  code: {code}
  province: {province}
kind: video
themes: [suap, lapor]
language: ind
year: 2025
sources:
  video: media/main.mp4
jingles:
  intro:
    file: asset:jingles/intro.wav
    gap: {gap}
  outro:
    file: asset:jingles/outro.wav
    crossfade: {crossfade}
subtitles:
  tracks:
    - lang: ind
      label: {label_ind}
      file: subtitles/ind.srt
    - lang: nij
      label: {label_nij}
      file: subtitles/nij.srt
  burn_in:
    social: {burn}
end_card:
  text: "{end_text}"
  duration: {end_card}
channels: [web, social, radio]
approval:
  approved_by: "Kepala Diskominfo (benchmark)"
  role: Kepala Dinas Komunikasi dan Informatika
  date: 2025-06-02
"""


def speech_expression(scale: float) -> str:
    """aevalsrc: a 140 Hz voice (vibrato, two partials) in syllables of ~4 Hz, phrases of 3.8 s,
    a slow rise and fall between phrases (about 6 LU of loudness range) and a quiet hum in the pauses.
    """
    phrase = f"gt(mod(t,{CUE_PERIOD}),0.4)*lt(mod(t,{CUE_PERIOD}),4.2)"
    envelope = "(0.75+0.25*sin(2*PI*t/17))*(0.7+0.3*sin(2*PI*4.3*t))"
    voice = "(sin(2*PI*140*t+3*sin(2*PI*2.1*t))+0.35*sin(2*PI*290*t)+0.12*sin(2*PI*1150*t))"
    return f"{scale}*0.2*{envelope}*{phrase}*{voice}+0.02*sin(2*PI*220*t)"


def jingle_expression(notes: Sequence[float]) -> str:
    step = JINGLE_S / len(notes)
    freq = str(notes[-1])
    for i in reversed(range(len(notes) - 1)):
        freq = f"if(lt(t,{step * (i + 1):.3f}),{notes[i]},{freq})"
    # A plucked note per step: a fast decay hides the phase jump between notes.
    return f"0.22*sin(2*PI*({freq})*t)*exp(-5*mod(t,{step:.3f}))"


def lavfi_audio(expression_left: str, expression_right: str, seconds: float) -> str:
    # Single quotes keep the expressions' commas from splitting the filtergraph.
    return f"aevalsrc=exprs='{expression_left}|{expression_right}':c=stereo:s={RATE}:d={seconds}"


def generate(paths: Paths, seconds: float) -> bool:
    """Write the project unless an identical one is there; True if it was (re)generated."""
    stamp = {"generator": GENERATOR_VERSION, "seconds": seconds}
    wanted = [paths.main, paths.intro, paths.outro, paths.project / "psa.yaml", *(paths.srt(x) for x in LANGS)]
    try:
        if json.loads(paths.stamp.read_text()) == stamp and all(p.is_file() for p in wanted):
            return False
    except (OSError, ValueError):
        pass
    paths.stamp.unlink(missing_ok=True)

    def jingle(notes: Sequence[float]) -> Callable[[Path], object]:
        source = lavfi_audio(jingle_expression(notes), jingle_expression(notes), JINGLE_S)
        return lambda tmp: run([*FFMPEG, "-v", "error", "-f", "lavfi", "-i", source, *BITEXACT,
                                "-c:a", "pcm_s16le", "-f", "wav", str(tmp)])  # fmt: skip

    write_atomically(paths.intro, jingle([523.25, 659.25, 783.99, 1046.50]))
    write_atomically(paths.outro, jingle([1046.50, 783.99, 659.25, 523.25]))

    width, height = SOURCE_SIZE
    picture = f"testsrc2=s={width}x{height}:r={SOURCE_FPS}:d={seconds}"
    sound = lavfi_audio(speech_expression(1.0), speech_expression(0.9), seconds)
    # x264's output depends on its thread count: one thread makes the file identical everywhere.
    encode = [
        *FFMPEG, "-v", "error", "-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", sound,
        "-map", "0:v", "-map", "1:a", *BITEXACT,
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-threads", "1", "-pix_fmt", "yuv420p",
        "-g", str(SOURCE_FPS * 2), "-c:a", "aac", "-b:a", "192k", "-ar", str(RATE), "-ac", "2",
        "-movflags", "+faststart", "-f", "mp4",
    ]  # fmt: skip
    print(f"generating {paths.main} ({seconds:g} s, 1080p30; about {seconds * 0.6:.0f} s) ...", flush=True)
    write_atomically(paths.main, lambda tmp: run([*encode, str(tmp)]))
    for lang in LANGS:
        paths.srt(lang).parent.mkdir(parents=True, exist_ok=True)
        paths.srt(lang).write_text(srt_text(lang, seconds), encoding="utf-8")
    manifest = MANIFEST.format(
        psa_id=PSA_ID, title=TITLE, agency=AGENCY, code=AGENCY_CODE, province=PROVINCE, gap=INTRO_GAP,
        crossfade=OUTRO_CROSSFADE, label_ind=LABELS["ind"], label_nij=LABELS["nij"], burn=BURN_LANG,
        end_text=END_TEXT, end_card=END_CARD_S,
    )  # fmt: skip
    (paths.project / "psa.yaml").write_text(manifest, encoding="utf-8")
    paths.stamp.write_text(json.dumps(stamp))
    return True


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


# ---- (a) hand-written ffmpeg ---------------------------------------------------------------


def approach_hand(paths: Paths, build: Path) -> None:
    """One ebur128 pass over the assembled sound, then one ffmpeg process writing all five files.

    One multi-output process rather than one per file: on two cores, decoding the 1080p source
    three times would cost more than the whole audio path, and a skilled engineer knows `split`.
    """
    work = prepare(build)
    phases = Phases(build)
    tl = Timeline(duration_of(paths.main))
    inputs = ["-i", str(paths.main), "-i", str(paths.intro), "-i", str(paths.outro)]
    measured: list[Loudness] = []

    def measure() -> None:
        graph = [*program_chains(tl, 0, 1, 2), f"[prog]{EBUR128}[m]"]
        command = [*FFMPEG, "-v", "info", "-vn", *inputs, "-filter_complex", ";".join(graph), "-map", "[m]",
                   "-f", "null", "-"]  # fmt: skip
        measured.append(parse_ebur128(run(command)))

    def encode() -> None:
        loud = measured[0]
        graph = [
            *program_chains(tl, 0, 1, 2),
            *picture_chains(tl, work, paths),
            "[prog]asplit=2[p_web][p_radio]",
            f"[p_web]{gain_chain(loud, -14.0, True)},apad=whole_dur={tl.total:.3f},asplit=3[a_w1][a_w2][a_s]",
            f"[p_radio]{gain_chain(loud, -23.0, True)},asplit=2[a_mp3][a_wav]",
        ]
        audio = {WEB_1080.key: ["-map", "[a_w1]"], WEB_720.key: ["-map", "[a_w2]"], SOCIAL.key: ["-map", "[a_s]"]}
        command = [*FFMPEG, "-v", "error", *inputs, *subtitle_inputs(tl, paths), "-filter_complex", ";".join(graph)]
        command += video_outputs(tl, build, 3, audio)
        for t, label in ((RADIO_MP3, "[a_mp3]"), (RADIO_WAV, "[a_wav]")):
            command += ["-map", label, *audio_args(t), "-metadata", f"title={TITLE}", "-t", f"{tl.audio_end:.3f}"]
            command += ["-id3v2_version", "3"] if t.ext == "mp3" else []
            command += [str(build / t.relative)]
        run(command, cwd=work)

    phases.run("measure", measure)
    phases.run("encode", encode)


# ---- (b) ffmpeg-normalize + ffmpeg ---------------------------------------------------------


def normalize_command(source: Path, target: Path, lufs: float, codec: list[str]) -> list[str]:
    # --keep-loudness-range-target keeps loudnorm in linear mode (one gain, no compression), as psa;
    # without -ar loudnorm's 192 kHz output would be kept.
    tool = str(Path(sys.executable).parent / "ffmpeg-normalize")
    return [tool, str(source), "-o", str(target), "-f", "-q", "-nt", "ebu", "-t", str(lufs),
            "-tp", str(TRUE_PEAK), "--keep-loudness-range-target", "-ar", str(RATE), *codec]  # fmt: skip


def approach_normalize(paths: Paths, build: Path) -> None:
    """ffmpeg assembles the sound; ffmpeg-normalize makes one -14 LUFS master for the three videos and
    writes each radio file with its codec; ffmpeg encodes the videos as in (a), with that master as sound.

    The videos are not run through ffmpeg-normalize one by one: it would encode their AAC twice (or need
    PCM intermediates) and measure the same sound three times.
    """
    work = prepare(build)
    phases = Phases(build)
    tl = Timeline(duration_of(paths.main))
    program, master = work / "program.wav", work / "program-14.wav"

    def assemble() -> None:
        command = [*FFMPEG, "-v", "error", "-vn", "-i", str(paths.main), "-i", str(paths.intro), "-i",
                   str(paths.outro), "-filter_complex", ";".join(program_chains(tl, 0, 1, 2)), "-map", "[prog]",
                   "-c:a", "pcm_f32le", str(program)]  # fmt: skip
        run(command)

    def normalize() -> None:
        run(normalize_command(program, master, -14.0, ["-c:a", "pcm_f32le"]))
        run(normalize_command(program, build / RADIO_WAV.relative, -23.0, ["-c:a", "pcm_s24le"]))
        run(normalize_command(program, build / RADIO_MP3.relative, -23.0, ["-c:a", "libmp3lame", "-b:a", "192k"]))

    def encode() -> None:
        # The master is mapped straight into each output (not through the filtergraph): ffmpeg 5.1 schedules
        # a graph fed by two files poorly, and that is how one muxes a finished sound file anyway.
        sound = ["-map", "1:a:0", "-af", f"apad=whole_dur={tl.total:.3f}"]
        command = [*FFMPEG, "-v", "error", "-i", str(paths.main), "-i", str(master), *subtitle_inputs(tl, paths),
                   "-filter_complex", ";".join(picture_chains(tl, work, paths)),
                   *video_outputs(tl, build, 2, {t.key: sound for t in (WEB_1080, WEB_720, SOCIAL)})]  # fmt: skip
        run(command, cwd=work)

    phases.run("assemble", assemble)
    phases.run("normalize", normalize)
    phases.run("encode", encode)


# ---- (c) moviepy ---------------------------------------------------------------------------


def approach_moviepy(paths: Paths, build: Path) -> None:
    """A straightforward moviepy 2.x script: clips, CompositeAudioClip, TextClip cards, SubtitlesClip.

    moviepy cannot write subtitle streams, so soft tracks and sidecars are added by an ffmpeg
    stream-copy remux (timed as its own phase). Loudness: moviepy has only peak normalisation,
    so the gain comes from an ffmpeg ebur128 measurement of the program moviepy wrote.
    """
    # Same ffmpeg (and x264) as the other approaches, not the one bundled with imageio-ffmpeg.
    os.environ["FFMPEG_BINARY"] = shutil.which("ffmpeg") or "ffmpeg"
    import numpy as np
    from moviepy import (
        AudioFileClip,
        ColorClip,
        CompositeAudioClip,
        CompositeVideoClip,
        TextClip,
        VideoFileClip,
        afx,
        concatenate_videoclips,
    )
    from moviepy.video.tools.subtitles import SubtitlesClip
    from PIL import Image, ImageFilter

    work = prepare(build)
    phases = Phases(build)
    bold, regular = fonts()
    tl = Timeline(duration_of(paths.main))
    source = VideoFileClip(str(paths.main))
    content = source.subclipped(0, min(tl.content, source.duration))
    intro = AudioFileClip(str(paths.intro))
    outro = AudioFileClip(str(paths.outro)).with_effects([afx.AudioFadeIn(OUTRO_CROSSFADE)])
    program = CompositeAudioClip(
        [
            intro,
            content.audio.with_effects([afx.AudioFadeOut(OUTRO_CROSSFADE)]).with_start(tl.content_start),
            outro.with_start(tl.outro_start),
        ]
    )
    loudness: list[Loudness] = []

    def measure() -> None:
        wav = work / "program.wav"
        program.write_audiofile(str(wav), fps=RATE, nbytes=2, codec="pcm_s16le", logger=None)
        loudness.append(measure_file(wav))

    def text(font: Path, words: str, font_size: int, width: int, stroke: int, seconds: float | None = None) -> Any:
        # Pillow's text box ends at the baseline of the last line: the margin keeps descenders and
        # the outline from being cut off.
        return TextClip(font=str(font), text=words, font_size=font_size, color="white", stroke_color="black",
                        stroke_width=stroke, method="caption", size=(width, None), margin=(0, font_size // 3),
                        text_align="center", duration=seconds)  # fmt: skip

    def card(size: tuple[int, int], seconds: float, heading: str, body: str) -> Any:
        width, height = size
        short, vertical = min(size), height > width
        text_width = int(width * (0.76 if vertical else 0.88))
        title = text(bold, heading, em(short * 0.075), text_width, 2, seconds).with_position("center")
        agency = text(regular, body, em(short * 0.05), text_width, 2, seconds)
        bottom = height * (0.7 if vertical else 0.78)
        agency = agency.with_position(("center", int(bottom - agency.h)))
        background = ColorClip(size, color=(0x0B, 0x3D, 0x91), duration=seconds)
        return CompositeVideoClip([background, title, agency], size=size).with_duration(seconds)

    def with_sound(clip: Any, lufs: float) -> Any:
        gain = 10 ** ((lufs - loudness[0].integrated) / 20)
        return clip.with_audio(program.with_volume_scaled(gain).with_duration(tl.total))

    def landscape() -> Any:
        size = WEB_1080.size
        assert size is not None
        body = content.without_audio()
        pieces = [card(size, tl.content_start, TITLE, AGENCY), body, card(size, tl.tail, END_TEXT, AGENCY)]
        return with_sound(concatenate_videoclips(pieces), -14.0)

    def blur(frame: Any) -> Any:
        image = Image.fromarray(frame).filter(ImageFilter.BoxBlur(20)).filter(ImageFilter.BoxBlur(20))
        return np.asarray(image)

    def caption(words: str) -> Any:
        return text(bold, words, em(1080 * 0.062), int(1080 * 0.76), 4)

    def vertical() -> Any:
        size = SOCIAL.size
        assert size is not None
        width, height = size
        frame = content.without_audio()
        background = frame.resized(height=height)
        background = background.cropped(x_center=background.w / 2, width=width).image_transform(blur)
        foreground = frame.resized(width=width).with_position("center")
        captions = SubtitlesClip(str(paths.srt(BURN_LANG)), make_textclip=caption, encoding="utf-8")
        captions = captions.with_position(("center", int(height * 0.76) - 160))
        body = CompositeVideoClip([background, foreground, captions], size=size).with_duration(frame.duration)
        pieces = [card(size, tl.content_start, TITLE, AGENCY), body, card(size, tl.tail, END_TEXT, AGENCY)]
        return with_sound(concatenate_videoclips(pieces), -14.0)

    def write(clip: Any, target: Path, t: Target) -> None:
        clip.write_videofile(
            str(target), fps=FPS, codec="libx264", preset=PRESET, audio_codec="aac", audio_bitrate=t.audio_bitrate,
            audio_fps=RATE, temp_audiofile_path=str(work), logger=None,
            ffmpeg_params=[*x264_args(t)[4:], "-movflags", "+faststart", "-metadata", f"title={TITLE}"],
        )  # fmt: skip

    def render() -> None:
        web = landscape()
        write(web, work / "web-1080p.mp4", WEB_1080)
        write(web.resized(WEB_720.size), work / "web-720p.mp4", WEB_720)
        write(vertical(), build / SOCIAL.relative, SOCIAL)
        radio = program.with_volume_scaled(10 ** ((-23.0 - loudness[0].integrated) / 20))
        radio.write_audiofile(str(build / RADIO_MP3.relative), fps=RATE, nbytes=2, codec="libmp3lame",
                              bitrate="192k", logger=None)  # fmt: skip
        radio.write_audiofile(str(build / RADIO_WAV.relative), fps=RATE, nbytes=4, codec="pcm_s24le", logger=None)

    def remux() -> None:
        tl_subs = subtitle_inputs(tl, paths)
        for t, made in ((WEB_1080, "web-1080p.mp4"), (WEB_720, "web-720p.mp4")):
            command = [*FFMPEG, "-v", "error", "-i", str(work / made), *tl_subs, "-map", "0:v", "-map", "0:a"]
            for n, lang in enumerate(LANGS):
                command += ["-map", f"{n + 1}:s:0", f"-metadata:s:s:{n}", f"language={lang}",
                            f"-metadata:s:s:{n}", f"title={LABELS[lang]}"]  # fmt: skip
            command += ["-c", "copy", "-c:s", "mov_text", "-metadata:s:a:0", "language=ind", "-movflags", "+faststart"]
            command += [str(build / t.relative)]
            if t.sidecars:
                command += sidecar_outputs(build, t, 1)
            run(command)

    try:
        phases.run("measure", measure)
        phases.run("render", render)
        phases.run("remux", remux)
    finally:
        # Close every reader so their ffmpeg processes are reaped (and counted) before exit.
        for clip in (content, source, intro, outro):
            clip.close()


CHILDREN: dict[str, Callable[[Paths, Path], None]] = {
    "hand": approach_hand,
    "normalize": approach_normalize,
    "moviepy": approach_moviepy,
}


# ---- 2. timing ------------------------------------------------------------------------------


@dataclass
class Measurement:
    approach: str
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    max_rss_mb: float
    exit_code: int
    log: str
    others_cpu_s: float | None = None
    phases: dict[str, float] = field(default_factory=dict)
    discarded: list[dict[str, Any]] = field(default_factory=list)  # runs disturbed by other processes


def timed(approach: str, command: list[str], log: Path, env: dict[str, str] | None = None) -> Measurement:
    """Run `command` as a child; wall clock, and from wait4 the CPU and peak RSS of its whole tree.

    wait4 reports the child plus every descendant it waited for; ru_maxrss is the largest single
    process among them, not their sum.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    busy_before = machine_busy_seconds()
    with log.open("wb") as handle:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    busy_after = machine_busy_seconds()
    cpu = usage.ru_utime + usage.ru_stime
    # Other sessions share this machine: what they used while the child ran tells how far to trust it.
    others = None if busy_before is None or busy_after is None else max(0.0, busy_after - busy_before - cpu)
    return Measurement(
        approach=approach,
        wall_s=round(wall, 3),
        cpu_s=round(cpu, 3),
        user_s=round(usage.ru_utime, 3),
        sys_s=round(usage.ru_stime, 3),
        max_rss_mb=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        exit_code=process.returncode,
        log=str(log),
        others_cpu_s=None if others is None else round(others, 2),
    )


@dataclass(frozen=True)
class Approach:
    key: str
    mark: str
    label: str


APPROACHES = (
    Approach("psa", "(A)", "psa build --force (full build)"),
    Approach("hand", "(a)", "hand-written ffmpeg"),
    Approach("normalize", "(b)", "ffmpeg-normalize + ffmpeg"),
    Approach("moviepy", "(c)", "moviepy 2.x script"),
    Approach("noop-samples", "(d)", "psa no-op rebuild, projects/"),
    Approach("noop-bench", "(e)", "psa no-op rebuild, bench project"),
)
BY_KEY = {a.key: a for a in APPROACHES}


# A run during which other processes used more than this share of the machine is run again.
BUSY_SHARE = 0.10


def contaminated(m: Measurement) -> bool:
    return m.others_cpu_s is not None and m.others_cpu_s > BUSY_SHARE * m.wall_s * (os.cpu_count() or 1)


def run_clean(key: str, paths: Paths, seconds: float, attempt: int, idle_wait: float, retries: int) -> Measurement:
    """run_once, again (up to `retries` times) while other processes on the machine distort the timing."""
    discarded: list[dict[str, Any]] = []
    for n in range(retries + 1):
        result = run_once(key, paths, seconds, attempt, idle_wait, n)
        if result.exit_code != 0 or not contaminated(result) or n == retries:
            result.discarded = discarded
            return result
        print(f"    {result.wall_s:.2f} s, but other processes used {result.others_cpu_s:.1f} CPU-s meanwhile: again")
        discarded.append(asdict(result))
    raise AssertionError("unreachable")


def run_once(key: str, paths: Paths, seconds: float, attempt: int, idle_wait: float, retry: int) -> Measurement:
    logs = paths.out / "logs"
    log = logs / f"{key}-{attempt}{f'-retry{retry}' if retry else ''}.log"

    def go(command: list[str], log: Path = log) -> Measurement:
        waited = wait_for_quiet(idle_wait)
        if waited > 5:
            print(f"    (waited {waited:.0f} s for other processes to go quiet)", flush=True)
        return timed(key, command, log)

    if key == "psa":
        shutil.rmtree(paths.build("psa"), ignore_errors=True)
        return go([psa_tool(), "build", str(paths.project), "-o", str(paths.build("psa")), "--force"])
    if key == "noop-bench":
        return go([psa_tool(), "build", str(paths.project), "-o", str(paths.build("psa"))])
    if key == "noop-samples":
        command = [psa_tool(), "build", str(ROOT / "projects"), "-o", str(paths.build("samples"))]
        if attempt == 1 and retry == 0:
            # The first build of the samples renders them; only the run after it is a no-op.
            warm = timed(key, command, logs / "noop-samples-warm.log")
            if warm.exit_code != 0:
                return warm
        return go(command)
    build = paths.build(key)
    shutil.rmtree(build, ignore_errors=True)
    result = go([sys.executable, str(Path(__file__).resolve()), "--out", str(paths.out), "--seconds", f"{seconds:g}",
                 "--child", key])  # fmt: skip
    with contextlib.suppress(OSError, ValueError):
        result.phases = json.loads((build / ".phases.json").read_text())
    shutil.rmtree(build / ".work", ignore_errors=True)
    return result


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


# ---- 3. report ------------------------------------------------------------------------------


def median(runs: list[Measurement], attribute: str) -> float:
    return float(statistics.median(getattr(r, attribute) for r in runs))


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def report(
    runs: dict[str, list[Measurement]], checks: dict[str, list[FileCheck]], tl: Timeline, seconds: float, repeat: int
) -> tuple[str, dict[str, Any]]:
    ok_runs = {k: v for k, v in runs.items() if v and all(r.exit_code == 0 for r in v)}
    wall = {k: median(v, "wall_s") for k, v in ok_runs.items()}
    base = wall.get("hand")
    notes: list[str] = []

    def note(text: str) -> str:
        notes.append(text)
        return "¹²³⁴⁵⁶⁷⁸⁹"[len(notes) - 1] if len(notes) <= 9 else f"[{len(notes)}]"

    marks = {
        "psa": note(
            "psa also validates the manifest (ffprobe of every input, subtitle QC), hashes the inputs, "
            "re-measures every finished file (5 ebur128 passes) and writes renditions.json."
        ),
        "hand": note(
            "One ebur128 pass over the assembled sound, then ONE multi-output ffmpeg process (source decoded "
            "once; the 1080p program built once and scaled to 720p; cards by drawtext; captions by libass). "
            "Finished files are not re-measured."
        ),
        "normalize": note(
            "ffmpeg writes the assembled sound to WAV; ffmpeg-normalize (loudnorm, two passes, linear mode) runs "
            "three times: a -14 LUFS master WAV for the videos, then radio WAV and radio MP3 with their codecs; "
            "the videos are encoded as in (a) with that master as their sound."
        ),
        "moviepy": note(
            "Cards and captions by TextClip/SubtitlesClip (Pillow, no libass); blur by Pillow; each video "
            "decodes the source again. moviepy cannot write subtitle streams: soft tracks and the sidecars are "
            "added by an ffmpeg stream-copy remux, included in its time. Loudness: gain from an ffmpeg ebur128 "
            "measurement of the program moviepy wrote (moviepy has only peak normalisation)."
        ),
        "noop-samples": note("Second `psa build projects/` in a row (the first one renders); nothing to encode."),
        "noop-bench": note("`psa build` of the benchmark project right after (A), without --force."),
    }
    rss_note = note(
        "CPU = user + system time of the child and every process it waited for (os.wait4); peak RSS is "
        "that of the largest single process in that tree, not a sum."
    )
    lines = [
        f"Benchmark: {seconds:g} s of 1080p30 content -> {tl.total:.1f} s PSA, 5 renditions; "
        f"{os.cpu_count()} cores; median of {repeat} run(s).",
        "",
        f"| approach | wall s | CPU s | peak RSS MB{rss_note} | wall ratio vs (a) |",
        "|---|---:|---:|---:|---:|",
    ]
    rows: list[dict[str, Any]] = []
    for a in APPROACHES:
        if a.key not in runs:
            continue
        label = f"{a.mark} {a.label}{marks[a.key]}"
        if a.key not in ok_runs:
            failed = next(r for r in runs[a.key] if r.exit_code != 0)
            lines.append(f"| {label} | CRASHED (exit {failed.exit_code}, see {failed.log}) | | | |")
            rows.append({"approach": a.key, "crashed": True, "log": failed.log})
            continue
        v = ok_runs[a.key]
        ratio = wall[a.key] / base if base else None
        shown = f"{ratio:.2f}x" if ratio is not None else "n/a"
        row = {"approach": a.key, "label": f"{a.mark} {a.label}", "wall_s": wall[a.key], "cpu_s": median(v, "cpu_s"),
               "max_rss_mb": median(v, "max_rss_mb"), "wall_ratio_vs_a": ratio}  # fmt: skip
        rows.append(row)
        lines.append(f"| {label} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {row['max_rss_mb']:.0f} | {shown} |")
    background = {k: max(r.others_cpu_s or 0.0 for r in v) for k, v in ok_runs.items()}
    if background:
        shown_bg = ", ".join(f"{BY_KEY[k].mark} {s:.1f}" for k, s in background.items())
        lines += ["", f"CPU seconds used by other processes on the machine during each run (worst run): {shown_bg}."]
        busy = [k for k, v in ok_runs.items() if any(contaminated(r) for r in v)]
        if busy:
            marks_busy = ", ".join(BY_KEY[k].mark for k in busy)
            lines.append(
                f"WARNING: the machine was busy during {marks_busy} even after retries; those timings are inflated."
            )
        retried = sum(len(r.discarded) for v in ok_runs.values() for r in v)
        if retried:
            lines.append(
                f"{retried} run(s) disturbed by other processes were discarded and run again (see bench.json)."
            )

    psa, hand, norm, mpy, noop = (wall.get(k) for k in ("psa", "hand", "normalize", "moviepy", "noop-samples"))
    targets = [
        ("psa within 1.10x of (a)", f"{psa / hand:.2f}x" if psa and hand else "n/a",
         None if not (psa and hand) else psa / hand <= 1.10),
        ("psa faster than (b)", f"{psa:.1f} s vs {norm:.1f} s" if psa and norm else "n/a",
         None if not (psa and norm) else psa < norm),
        ("psa >= 4x faster than (c)", f"{mpy / psa:.2f}x" if psa and mpy else "n/a",
         None if not (psa and mpy) else mpy / psa >= 4.0),
        ("no-op rebuild of samples < 1 s", f"{noop:.2f} s" if noop is not None else "n/a",
         None if noop is None else noop < 1.0),
    ]  # fmt: skip
    lines += ["", "| target | measured | result |", "|---|---:|:---:|"]
    lines += [f"| {name} | {measured} | {verdict(ok)} |" for name, measured, ok in targets]

    if checks:
        lines += ["", "Outputs checked after the runs (not timed): integrated LUFS / true peak dBTP, and problems.", ""]
        keys = [a.key for a in APPROACHES if a.key in checks]
        lines.append("| rendition | target | " + " | ".join(BY_KEY[k].mark for k in keys) + " |")
        lines.append("|---|---|" + "---|" * len(keys))
        for n, t in enumerate(TARGETS):
            cells = []
            for k in keys:
                c = checks[k][n]
                loud = "—" if c.integrated_lufs is None else f"{c.integrated_lufs:.1f} / {c.true_peak_dbtp:.1f}"
                cells.append(loud + ("" if not c.problems else " ✗"))
            lines.append(f"| {t.key} | {t.lufs:.0f} / ≤{TRUE_PEAK:.0f} | " + " | ".join(cells) + " |")
        problems = [f"{BY_KEY[k].mark} {c.rendition}: {p}" for k in keys for c in checks[k] for p in c.problems]
        lines += ["", "Problems: " + ("none" if not problems else "; ".join(problems))]
        phases = {k: ok_runs[k][-1].phases for k in ("hand", "normalize", "moviepy") if k in ok_runs}
        if phases:
            steps = {k: ", ".join(f"{name} {s:.1f} s" for name, s in p.items()) for k, p in phases.items()}
            shown = "; ".join(f"{BY_KEY[k].mark} {text}" for k, text in steps.items())
            lines += ["", f"Phases (last run): {shown}"]
    lines += ["", *(f"{'¹²³⁴⁵⁶⁷⁸⁹'[i] if i < 9 else f'[{i + 1}]'} {text}" for i, text in enumerate(notes))]
    table = "\n".join(lines)
    data = {
        "seconds": seconds,
        "repeat": repeat,
        "cores": os.cpu_count(),
        "timeline": {
            "content": tl.content,
            "content_start": tl.content_start,
            "audio_end": round(tl.audio_end, 3),
            "total": round(tl.total, 3),
        },
        "rows": rows,
        "targets": [{"target": n, "measured": m, "pass": ok} for n, m, ok in targets],
        "runs": {k: [asdict(r) for r in v] for k, v in runs.items()},
        "checks": {k: [asdict(c) for c in v] for k, v in checks.items()},
        "footnotes": notes,
        "table_markdown": table,
    }
    return table, data


# ---- main -----------------------------------------------------------------------------------


def validate(paths: Paths) -> None:
    result = subprocess.run([psa_tool(), "validate", str(paths.project)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"psa validate {paths.project} failed:\n{result.stdout}{result.stderr}")
    print(f"psa validate {paths.project}: ok", flush=True)


def cross_check(paths: Paths, tl: Timeline) -> None:
    """Warn if psa's own timeline differs from the one the other approaches were written for."""
    try:
        record = json.loads((paths.build("psa") / PSA_ID / "renditions.json").read_text())
        theirs = record["psa"]["timeline"]
    except (OSError, ValueError, KeyError):
        return
    ours = {"content_start": tl.content_start, "audio_end": tl.audio_end, "total": tl.total}
    for name, value in ours.items():
        if not math.isclose(float(theirs[name]), value, abs_tol=0.002):
            print(f"warning: psa's {name} is {theirs[name]}, the other approaches use {value:.3f}", file=sys.stderr)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work folder [default: bench-out/]")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the main video [default: 60]")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each approach; the median is reported")
    parser.add_argument(
        "--approaches",
        default=",".join(a.key for a in APPROACHES),
        help="comma-separated subset of: " + ", ".join(a.key for a in APPROACHES),
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=120.0,
        help="before each run, wait up to this many seconds for other processes to go quiet [default: 120]",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help=f"run again when other processes used over {BUSY_SHARE * 100:.0f}%% of the machine meanwhile [default: 2]",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 5 <= args.seconds <= 600:
        parser.error("--seconds must be between 5 and 600")
    if args.repeat < 1 or args.retries < 0:
        parser.error("--repeat must be at least 1 and --retries at least 0")
    unknown = set(args.approaches.split(",")) - set(BY_KEY)
    if unknown:
        parser.error(f"unknown approach(es): {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    paths = Paths(args.out.resolve())
    if args.child:
        CHILDREN[args.child](paths, paths.build(args.child))
        return 0
    chosen = [a.key for a in APPROACHES if a.key in args.approaches.split(",")]
    try:
        fonts()
        if generate(paths, args.seconds):
            print(f"generated {paths.project}", flush=True)
        else:
            print(f"reusing {paths.project} (same generator and --seconds)", flush=True)
        validate(paths)
    except (BenchError, subprocess.SubprocessError, OSError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    tl = Timeline(duration_of(paths.main))
    runs: dict[str, list[Measurement]] = {}
    order = [k for k in ("psa", "noop-bench", "hand", "normalize", "moviepy") if k in chosen]
    for attempt in range(1, args.repeat + 1):
        for key in order:
            print(f"[{attempt}/{args.repeat}] {BY_KEY[key].mark} {BY_KEY[key].label} ...", flush=True)
            result = run_clean(key, paths, args.seconds, attempt, args.wait_idle, args.retries)
            runs.setdefault(key, []).append(result)
            state = "ok" if result.exit_code == 0 else f"CRASHED (exit {result.exit_code}), log: {result.log}"
            print(f"    {result.wall_s:.2f} s wall, {result.cpu_s:.2f} s CPU, {result.max_rss_mb:.0f} MB: {state}")
    if "noop-samples" in chosen:
        for attempt in range(1, args.repeat + 1):
            print(f"[{attempt}/{args.repeat}] (d) psa no-op rebuild of projects/ ...", flush=True)
            result = run_clean("noop-samples", paths, args.seconds, attempt, args.wait_idle, args.retries)
            runs.setdefault("noop-samples", []).append(result)
            print(f"    {result.wall_s:.2f} s wall" + ("" if result.exit_code == 0 else f", CRASHED: {result.log}"))
    cross_check(paths, tl)
    checks: dict[str, list[FileCheck]] = {}
    for key in ("psa", "hand", "normalize", "moviepy"):
        if key in runs and all(r.exit_code == 0 for r in runs[key]):
            print(f"checking {BY_KEY[key].mark} outputs ...", flush=True)
            checks[key] = check_outputs(paths.build(key), tl)
    table, data = report(runs, checks, tl, args.seconds, args.repeat)
    (paths.out / "bench.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    print()
    print(table)
    print(f"\nraw numbers: {paths.out / 'bench.json'}")
    crashed = any(r.exit_code != 0 for v in runs.values() for r in v)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
