"""Small synthetic PSAs for the recognition tests: shared jingle and end card, own speech and picture.

Every PSA is 12 s at 320x180: an agency jingle and title card (0-2 s, the same in every PSA),
Indonesian speech by espeak-ng over a moving picture of its own with a burned-in caption
(2-10 s), and an end card with its own jingle and the LAPOR line (10-12 s, the same in every
PSA unless told otherwise). The sentences come from the press articles in ../shared/seeds.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from helpers import SHARED, ffmpeg

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SIZE = "320x180"
JINGLE = "0.25*sin(2*PI*(523+262*floor(mod(t*4,4)))*t)*exp(-3*mod(t,0.25))"
END_JINGLE = "0.25*sin(2*PI*(784-131*floor(mod(t*3,3)))*t)*exp(-2*mod(t,0.33))"


def sentences() -> list[str]:
    """Distinct sentences of 8 to 16 words from the seed articles, in a stable order."""
    found: list[str] = []
    for seed in sorted((SHARED / "seeds").glob("*.txt")):
        for sentence in re.split(r"(?<=[.!?])\s+", seed.read_text(encoding="utf-8")):
            words = re.sub(r"[^\w\s,]", " ", sentence).split()
            if 8 <= len(words) <= 16 and " ".join(words) not in found:
                found.append(" ".join(words))
    return found


def speech(path: Path, text: str, seconds: float = 8.0, voice: str = "id") -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(raw), text], check=True, timeout=60)
    ffmpeg("-i", str(raw), "-af", f"apad,atrim=0:{seconds},aresample=48000", "-ac", "1", str(path))
    raw.unlink()
    return path


def pattern(seed: int, seconds: float) -> str:
    """A moving colour pattern of its own for each seed, and the same every time (lavfi's gradients is not)."""
    fx, fy, ft = 1 + seed * 0.37 % 3, 0.5 + seed * 0.53 % 2, 0.5 + seed * 0.61 % 2
    return (
        f"nullsrc=s=160x90:r=25:d={seconds},format=yuv420p,"
        f"geq=lum='128+90*sin(2*PI*(X/W*{fx:.2f}+Y/H*{fy:.2f})+T*{ft:.2f})'"
        f":cb='128+60*sin(2*PI*(X/W*{fy:.2f}-Y/H*{fx:.2f})+T*0.9)':cr='128+60*cos(2*PI*Y/H*{ft:.2f}+T*1.1)',"
        "scale=320:180"
    )


def _text(text: str) -> str:
    return text.replace("\\", "").replace(":", "\\:").replace("'", "")


def make_psa(
    path: Path,
    seed: int,
    voice_wav: Path,
    caption: str,
    end_card: str = "LAPOR 1708 - lapor.go.id",
    caption_change: tuple[float, float, str] | None = None,
    speech_seconds: float = 8.0,
) -> Path:
    """Render a PSA (12 s with the default 8 s of speech) (MP4, H.264 + AAC) with the given speech and caption; shared opening and end card."""
    cap = f"drawtext=fontfile={FONT}:text='{_text(caption)}':fontsize=14:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h-30"
    if caption_change is not None:
        a, b, other = caption_change
        a, b = a - 2, b - 2  # the caption is drawn on the speech part, whose clock starts at 2 s
        cap = (
            f"{cap}:enable='not(between(t,{a},{b}))',"
            f"drawtext=fontfile={FONT}:text='{_text(other)}':fontsize=14:fontcolor=white:box=1:boxcolor=black@0.6"
            f":x=(w-tw)/2:y=h-30:enable='between(t,{a},{b})'"
        )
    title = f"drawtext=fontfile={FONT}:text='KOMINFOSANTIK':fontsize=28:fontcolor=white:x=(w-tw)/2:y=(h-th)/2"
    end = f"drawtext=fontfile={FONT}:text='{_text(end_card)}':fontsize=22:fontcolor=yellow:x=(w-tw)/2:y=(h-th)/2"
    graph = (
        f"color=c=navy:s={SIZE}:r=25:d=2,{title}[v0];"
        f"{pattern(seed, speech_seconds)},setpts=PTS-STARTPTS,{cap}[v1];"
        f"color=c=darkred:s={SIZE}:r=25:d=2,{end}[v2];"
        "[v0][v1][v2]concat=n=3:v=1:a=0,format=yuv420p[v];"
        f"aevalsrc='{JINGLE}':s=48000:d=2[a0];[1:a]aresample=48000[a1];aevalsrc='{END_JINGLE}':s=48000:d=2[a2];"
        "[a0][a1][a2]concat=n=3:v=0:a=1[a]"
    )
    ffmpeg(
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=0.1", "-i", str(voice_wav),
        "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-t", str(speech_seconds + 4), "-c:v", "libx264", "-preset", "veryfast",
        "-crf", "23", "-threads", "1", "-c:a", "aac", "-b:a", "128k", "-ac", "2", str(path),
    )  # fmt: skip
    return path


def make_music(path: Path, n: int, seconds: float = 4.0) -> Path:
    """Unrelated clips: a melody of its own over one of ffmpeg's moving test pictures."""
    melody = f"0.3*sin(2*PI*(196*pow(2,floor(mod(t*{3 + n % 5}+{n},{7 + n % 6}))/12))*t)"
    picture = ["testsrc2", "mandelbrot", "life=mold=10:ratio=0.{n}", "rgbtestsrc", "cellauto=rule={r}"][n % 5]
    picture = picture.format(n=n % 9 + 1, r=18 + n * 7 % 200)
    ffmpeg(
        "-f", "lavfi", "-i", f"{picture}{':' if '=' in picture else '='}s={SIZE}:r=25",
        "-f", "lavfi", "-i", f"aevalsrc='{melody}':s=48000", "-t", str(seconds),
        "-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path),
    )  # fmt: skip
    return path


def make_pattern(path: Path, n: int, seconds: float = 4.0) -> Path:
    """Test patterns with a tone: what a broken upload or a channel ident looks like."""
    picture = ["smptebars", "testsrc", "pal75bars", "yuvtestsrc", "smptehdbars", "pal100bars"][n % 6]
    ffmpeg(
        "-f", "lavfi", "-i", f"{picture}=s={SIZE}:r=25", "-f", "lavfi", "-i", f"sine=f={300 + 70 * n}:sample_rate=48000",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-pix_fmt", "yuv420p",
        "-c:a", "aac", str(path),
    )  # fmt: skip
    return path


# What a messaging app does to a video: 480p, CRF 30, AAC at 64 kb/s.
WHATSAPP = [
    "-vf",
    "scale=854:480",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "30",
    "-c:a",
    "aac",
    "-b:a",
    "64k",
]


def whatsapp_copy(source: Path, target: Path) -> Path:
    ffmpeg("-i", str(source), *WHATSAPP, str(target))
    return target
