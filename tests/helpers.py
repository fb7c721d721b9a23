"""Helpers the tests share: run the real `psa` command, make tiny media with the real ffmpeg.

A plain module (`from helpers import ...`), not conftest: conftest is pytest's, imported by it once.
"""

from __future__ import annotations

import array
import http.server
import math
import os
import subprocess
import sys
import textwrap
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "broken"
SHARED = ROOT.parent / "shared"
# Small frames and low bitrates: builds in tests take seconds, not minutes.
TINY = ROOT / "tests" / "data" / "tiny-channels.yaml"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_psa(*args: str | Path, cwd: Path | None = None) -> Result:
    """Run `psa` the way a user does (the console entry point, in a child process)."""
    completed = subprocess.run(
        [sys.executable, "-m", "psa_pipeline", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return Result(completed.returncode, completed.stdout, completed.stderr)


def ffmpeg(*args: str) -> None:
    # PSA_FFMPEG, like psa: a test without the `media` marker gets a binary that does not exist (see conftest).
    binary = os.environ.get("PSA_FFMPEG") or "ffmpeg"
    subprocess.run([binary, "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def write_wav(path: Path, seconds: float = 1.0, amplitude: float = 0.1, rate: int = 48000, channels: int = 2) -> Path:
    """A 16-bit 997 Hz WAV written by Python alone: media for tests that must not need ffmpeg."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = array.array(
        "h",
        (
            round(32767 * amplitude * math.sin(2 * math.pi * 997 * (n // channels) / rate))
            for n in range(round(seconds * rate) * channels)
        ),
    )
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.tobytes())
    return path


def make_tone(path: Path, seconds: float = 2.0, amplitude: float = 0.1, rate: int = 48000, channels: int = 2) -> Path:
    """A 997 Hz sine of the given peak amplitude in every channel."""
    path.parent.mkdir(parents=True, exist_ok=True)
    expr = "|".join([f"{amplitude}*sin(2*PI*997*t)"] * channels)
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={expr}:s={rate}:d={seconds}", str(path))
    return path


def make_video(path: Path, seconds: float = 2.0, size: str = "320x240", audio: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    inputs = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={seconds}"]
    ffmpeg(*inputs, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path))
    return path


VALID_RADIO = """
schema: 1
id: spot-lapor
title: "Lapor!"
agency: {name: Diskominfo Kaltim, code: DISKOMINFO-KALTIM, province: Kalimantan Timur}
kind: radio-drama
themes: [lapor]
language: ind
sources:
  audio: media/spot.wav
jingles:
  intro: {file: asset:jingles/intro.wav}
subtitles:
  tracks:
    - lang: ind
      cues:
        - {start: 0.2, end: 1.8, text: "Laporkan lewat SMS 1708"}
channels: [radio]
slot: 30
approval: {approved_by: Ahmad, role: Kepala Dinas, date: 2025-02-01}
"""


SRT_IND = "1\n00:00:00,300 --> 00:00:01,500\nTolak pungli!\n\n2\n00:00:01,700 --> 00:00:02,800\nLapor ke SMS 1708\n"
SRT_NIJ = (
    "1\n00:00:00,300 --> 00:00:01,500\nAyuh tolak pungli!\n\n2\n00:00:01,700 --> 00:00:02,800\nLapor hong SMS 1708\n"
)


def video_project(root: Path, name: str, channels: str, burn_in: str | None = None, **media: Any) -> Path:
    folder = root / "projects" / name
    if burn_in is None:
        chosen = {"social": "nij", "whatsapp": "ind"}
        burn_in = "{" + ", ".join(f"{c}: {lang}" for c, lang in chosen.items() if c in channels) + "}"
    (folder / "subtitles").mkdir(parents=True)
    (folder / "subtitles" / "ind.srt").write_text(SRT_IND)
    (folder / "subtitles" / "nij.srt").write_text(SRT_NIJ)
    if not (root / "assets" / "jingles" / "intro.wav").exists():
        make_tone(root / "assets" / "jingles" / "intro.wav", seconds=1.0, amplitude=0.2)
    make_video(folder / "media" / "main.mp4", seconds=3.0, **media)
    (folder / "psa.yaml").write_text(
        textwrap.dedent(f"""\
        schema: 1
        id: {name}
        title: "Bayar Pajak Jujur"
        agency: {{name: Bapenda Kalteng, code: BAPENDA-KALTENG, province: Kalimantan Tengah}}
        kind: video
        themes: [pajak, pungli]
        language: ind
        sources: {{video: media/main.mp4}}
        jingles:
          intro: {{file: "asset:jingles/intro.wav"}}
        subtitles:
          tracks:
            - {{lang: ind, file: subtitles/ind.srt}}
            - {{lang: nij, file: subtitles/nij.srt}}
          burn_in: {burn_in}
        end_card: {{text: "Laporkan: www.lapor.go.id | SMS 1708", duration: 1.5}}
        channels: [{channels}]
        slot: 30
        approval: {{approved_by: Ahmad, role: Kepala Bapenda, date: 2025-03-10}}
        """)
    )
    return folder


def approve_build(build_root: Path, psa_id: str, approvals: Path | None = None) -> None:
    """A reviewer's approval of the PSA's build as it is now (what `psa approve` writes)."""
    from psa_pipeline.approval.gate import decide
    from psa_pipeline.approval.store import default_dir

    decide(approvals or default_dir(build_root), build_root, psa_id, "Siti Rahmawati", "Kepala Bidang IKP", "approve")


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler] | Any) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1 at a free port in a thread; yields the base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
