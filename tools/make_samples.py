#!/usr/bin/env python3
"""Generate the sample media that the sample projects under projects/ name.

    python tools/make_samples.py [--root DIR] [--force] [--jobs N]

Everything is synthesised, so no media has to be committed: pictures from ffmpeg's test
sources (testsrc2, smptebars, color; never drawtext), tones from ffmpeg's `sine` source
mixed with `amix`, speech from espeak-ng's Indonesian voice (the regional languages have
no espeak-ng voice, so their projects carry Indonesian speech under regional subtitles).

Outputs are deterministic: no noise sources, bit-exact muxing flags, no metadata, and a
single-threaded H.264 encoder (x264's output depends on its thread count). A file that
already exists is left alone unless --force is given; each file is written under a
temporary name and renamed into place, so an interrupted run leaves no half-written file.

Subtitle files are hand-written and committed; their cue times follow the speech `start`
times below (counted from the start of the content, not the intro jingle).

Only the standard library is used; ffmpeg and espeak-ng are run with argument lists.
"""

from __future__ import annotations

import argparse
import array
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

RATE = 48_000
FPS = 25
SINE_LEVEL = 0.125  # ffmpeg's `sine` source plays at 1/8 of full scale
SPEECH_GAIN = 0.85  # espeak-ng peaks around -3 dBFS; leave headroom for the bed
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]
FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
TEMP_SUFFIX = ".part"  # matches `*.part` in .gitignore
SUBPROCESS_TIMEOUT = 120

# Note frequencies (equal temperament, A4 = 440 Hz).
C3, F3, G3, A3 = 130.81, 174.61, 196.00, 220.00
C4, D4, E4, F4, G4, A4 = 261.63, 293.66, 329.63, 349.23, 392.00, 440.00
C5, E5, G5, C6 = 523.25, 659.25, 783.99, 1046.50


Chord = tuple[float, ...]


class SampleError(Exception):
    """A tool is missing or failed; the message says which and why."""


@dataclass(frozen=True)
class Note:
    """A sine tone (or chord) from `start` for `length` seconds."""

    start: float
    length: float
    freqs: Chord
    amplitude: float = 0.1
    attack: float = 0.02
    release: float = 0.3
    pluck: bool = False  # decay over the whole note instead of holding


@dataclass(frozen=True)
class Line:
    """One spoken line: what espeak-ng says (numbers and acronyms spelled out) and when."""

    start: float
    say: str
    voice: str = "id"  # espeak-ng voice; "id+f3" is a female variant
    speed: int = 165  # words per minute
    pitch: int = 50


@dataclass(frozen=True)
class Audio:
    """A mix of spoken lines and tones, `duration` seconds long."""

    duration: float
    lines: tuple[Line, ...] = ()
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Video:
    """A test-source picture with an `Audio` sound track."""

    source: str  # ffmpeg video source name: testsrc2, smptebars, ...
    width: int
    height: int
    sound: Audio

    @property
    def duration(self) -> float:
        return self.sound.duration


@dataclass(frozen=True)
class Image:
    """A still PNG: nested squares of plain colour (largest first), centred."""

    size: int
    squares: tuple[tuple[int, str], ...]  # (side in pixels, colour)


Spec = Audio | Video | Image


@dataclass(frozen=True)
class Output:
    path: str  # relative to the root, with forward slashes
    spec: Spec


def bed(duration: float, level: float, chords: Sequence[Chord], step: float = 2.0) -> tuple[Note, ...]:
    """A soft pad: `chords` in turn, one every `step` seconds, overlapping so it never drops out."""
    notes = []
    start = 0.0
    i = 0
    while start < duration:
        length = min(step + 0.5, duration - start)
        release = min(0.5, length / 2)
        notes.append(Note(start, length, chords[i % len(chords)], level, attack=0.4, release=release))
        start += step
        i += 1
    return tuple(notes)


PAD_CHORDS = ((A3, C4, E4), (F3, A3, C4), (C3, G3, E4), (G3, D4, G4))

# Shared jingles: a rising and a falling arpeggio over a C major chord, exactly 2 s each.
INTRO_JINGLE = Audio(
    2.0,
    notes=(
        Note(0.00, 1.2, (C5,), 0.22, pluck=True),
        Note(0.18, 1.2, (E5,), 0.20, pluck=True),
        Note(0.36, 1.2, (G5,), 0.18, pluck=True),
        Note(0.54, 1.46, (C6,), 0.16, pluck=True),
        Note(0.54, 1.46, (C4, G4, E5), 0.08, attack=0.1, release=0.8),
    ),
)
OUTRO_JINGLE = Audio(
    2.0,
    notes=(
        Note(0.00, 1.2, (C6,), 0.16, pluck=True),
        Note(0.18, 1.2, (G5,), 0.18, pluck=True),
        Note(0.36, 1.2, (E5,), 0.20, pluck=True),
        Note(0.54, 1.46, (C5,), 0.22, pluck=True),
        Note(0.54, 1.46, (C3, G3, C4, E4), 0.07, attack=0.1, release=1.0),
    ),
)

# 1. Bapenda Kalteng: tax-honesty parody, 8 s, 640x360 (subtitles/ind.srt, nij.srt follow these lines).
BAPENDA_VIDEO = Video(
    "testsrc2",
    640,
    360,
    Audio(
        8.0,
        lines=(
            Line(0.3, "Bayar pajak? Datang sendiri ke Samsat.", speed=175),
            Line(3.2, "Diminta uang lebih? Tolak pungli!", voice="id+f3", speed=175),
            Line(5.7, "Pajak jujur, Kalteng maju.", speed=175),
        ),
        notes=bed(8.0, 0.025, PAD_CHORDS),
    ),
)

# 2. Inspektorat Kalteng: radio drama on refusing gratification. The manifest starts voice-1
# at 0.5 s and voice-2 at 4.6 s, so in the drama the lines fall at 0.5, 4.6, 9.2 and 13.3 s.
VOICE_1 = Audio(
    12.6,
    lines=(
        Line(0.0, "Pak, ini sedikit oleh-oleh, tanda terima kasih.", speed=170),
        Line(8.7, "Cuma kue, Pak. Tidak ada maksud apa-apa.", speed=170),
    ),
)
VOICE_2 = Audio(
    13.6,
    lines=(
        Line(0.0, "Maaf, saya tidak bisa menerima. Itu gratifikasi.", voice="id+f3", speed=170),
        Line(8.7, "Tetap saya tolak. Kalau memaksa, saya laporkan ke Ka Pe Ka.", voice="id+f3", speed=170),
    ),
)
MUSIC_BED = Audio(19.0, notes=bed(19.0, 0.09, PAD_CHORDS))

# 3. Diskominfo Kaltim: "SP4N-LAPOR! Masuk Desa" radio spot; 26 s of content for a 30 s slot.
SPOT = Audio(
    26.0,
    lines=(
        Line(0.5, "Warga desa, punya keluhan soal pelayanan publik?", speed=160),
        Line(4.8, "Jalan rusak, izin berbelit, atau ada pungutan liar?", speed=160),
        Line(9.6, "Laporkan lewat Es Pe Empat En Lapor.", speed=160),
        Line(12.9, "Buka we we we titik lapor titik go titik i de.", speed=160),
        Line(16.9, "Atau kirim SMS ke satu tujuh nol delapan.", speed=160),
        Line(20.8, "Es Pe Empat En Lapor Masuk Desa, dari Diskominfo Kaltim.", voice="id+f3", speed=160),
    ),
    notes=bed(26.0, 0.02, PAD_CHORDS),
)

# 4. Diskominfo Sumsel + KPK: vertical social clip, 6 s, 360x640.
SUMSEL_VIDEO = Video(
    "smptebars",
    360,
    640,
    Audio(
        6.0,
        lines=(
            Line(0.3, "Korupsi merugikan kita semua.", voice="id+f3", speed=175),
            Line(2.8, "Lihat korupsi? Laporkan ke Ka Pe Ka.", speed=175),
        ),
        notes=bed(6.0, 0.025, PAD_CHORDS[2:] + PAD_CHORDS[:2]),
    ),
)

LOGO = Image(256, ((256, "0xB3121D"), (184, "0xFFFFFF"), (120, "0x1F3A93"), (56, "0xF2C400")))

OUTPUTS: tuple[Output, ...] = (
    Output("assets/jingles/lapor-intro.wav", INTRO_JINGLE),
    Output("assets/jingles/lapor-outro.wav", OUTRO_JINGLE),
    Output("assets/logos/lapor.png", LOGO),
    Output("projects/bapenda-kalteng-pajak-jujur/media/parodi.mp4", BAPENDA_VIDEO),
    Output("projects/inspektorat-kalteng-tolak-gratifikasi/media/voice-1.wav", VOICE_1),
    Output("projects/inspektorat-kalteng-tolak-gratifikasi/media/voice-2.wav", VOICE_2),
    Output("projects/inspektorat-kalteng-tolak-gratifikasi/media/music-bed.wav", MUSIC_BED),
    Output("projects/diskominfo-kaltim-lapor-masuk-desa/media/spot.wav", SPOT),
    Output("projects/diskominfo-sumsel-kpk-antikorupsi/media/kpk-vertikal.mp4", SUMSEL_VIDEO),
)


def run(command: list[str]) -> None:
    """Run a tool; SampleError with its error output if it fails."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise SampleError(f"{command[0]} took longer than {SUBPROCESS_TIMEOUT} s") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip() or "no error output"
        raise SampleError(f"{command[0]} failed (exit {result.returncode}): {detail}")


def speak(line: Line, target: Path) -> float:
    """Synthesise `line` into `target` (espeak-ng's own WAV); returns where the speech ends, in seconds."""
    if line.say.startswith("-"):
        raise SampleError(f"spoken text must not start with '-': {line.say!r}")
    run(
        [
            "espeak-ng",
            "-v",
            line.voice,
            "-s",
            str(line.speed),
            "-p",
            str(line.pitch),
            "-w",
            str(target),
            line.say,
        ]
    )
    return _audible_length(target)


def _audible_length(path: Path) -> float:
    """Seconds until the last sample above about -40 dBFS (espeak-ng pads with silence)."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                return wav.getnframes() / wav.getframerate()
            samples = array.array("h", wav.readframes(wav.getnframes()))
            rate, channels = wav.getframerate(), wav.getnchannels()
    except (wave.Error, EOFError):
        return 0.0
    if sys.byteorder == "big":
        samples.byteswap()
    last = next((i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > 327), -1)
    return (last // channels + 1) / rate


def _note_chain(note: Note, label: str) -> str:
    """A filter chain that plays `note` at its place in time, as stereo, into [label]."""
    parts = []
    for i, freq in enumerate(note.freqs):
        parts.append(f"sine=frequency={freq}:sample_rate={RATE}:duration={note.length}[{label}f{i}]")
    inputs = "".join(f"[{label}f{i}]" for i in range(len(note.freqs)))
    if note.pluck:
        decay = note.length - note.attack
        shape = f"afade=t=in:d={note.attack},afade=t=out:st={note.attack}:d={decay}:curve=exp"
    else:
        shape = f"afade=t=in:d={note.attack},afade=t=out:st={note.length - note.release}:d={note.release}"
    mix = f"amix=inputs={len(note.freqs)}:normalize=0," if len(note.freqs) > 1 else "anull,"
    parts.append(
        f"{inputs}{mix}volume={note.amplitude / SINE_LEVEL:g},{shape},aformat=channel_layouts=stereo,"
        f"adelay=delays={round(note.start * 1000)}:all=1[{label}]"
    )
    return ";".join(parts)


def audio_graph(sound: Audio, first_input: int, out: str) -> str:
    """Filtergraph mixing speech inputs (ffmpeg inputs from `first_input` on) and tones into [out]."""
    chains = [f"anullsrc=channel_layout=stereo:sample_rate={RATE},atrim=duration={sound.duration}[silence]"]
    labels = ["[silence]"]
    for i, line in enumerate(sound.lines):
        chains.append(
            f"[{first_input + i}:a]aresample={RATE},pan=stereo|c0=c0|c1=c0,volume={SPEECH_GAIN},"
            f"adelay=delays={round(line.start * 1000)}:all=1[s{i}]"
        )
        labels.append(f"[s{i}]")
    for i, note in enumerate(sound.notes):
        chains.append(_note_chain(note, f"n{i}"))
        labels.append(f"[n{i}]")
    chains.append(
        f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=longest,"
        f"atrim=duration={sound.duration},aformat=sample_fmts=s16:sample_rates={RATE}:channel_layouts=stereo[{out}]"
    )
    return ";".join(chains)


def speech_inputs(sound: Audio, workdir: Path, name: str) -> list[str]:
    """espeak-ng every line of `sound` into `workdir`; ffmpeg `-i` arguments for them, in order."""
    args: list[str] = []
    for i, line in enumerate(sound.lines):
        target = workdir / f"{name}-{i}.wav"
        end = line.start + speak(line, target)
        limit = sound.lines[i + 1].start if i + 1 < len(sound.lines) else sound.duration
        if end > limit + 0.05:
            print(f"warning: {name}: line {i + 1} runs to {end:.2f} s, past {limit:.2f} s", file=sys.stderr)
        args += ["-i", str(target)]
    return args


def render(spec: Spec, target: Path, workdir: Path) -> None:
    """Write `spec` to `target` with ffmpeg."""
    name = target.stem
    if isinstance(spec, Image):
        chains = [f"color=c={spec.squares[0][1]}:size={spec.size}x{spec.size}:duration=1:rate=1[q0]"]
        for i, (side, colour) in enumerate(spec.squares[1:], start=1):
            offset = (spec.size - side) // 2
            chains.append(f"color=c={colour}:size={side}x{side}:duration=1:rate=1[c{i}]")
            chains.append(f"[q{i - 1}][c{i}]overlay=x={offset}:y={offset}[q{i}]")
        chains.append(f"[q{len(spec.squares) - 1}]format=rgb24[img]")
        command = [*FFMPEG, "-filter_complex", ";".join(chains), "-map", "[img]", "-frames:v", "1"]
        command += [*BITEXACT, "-c:v", "png", "-f", "image2", "-update", "1", str(target)]
    elif isinstance(spec, Audio):
        command = [*FFMPEG, *speech_inputs(spec, workdir, name)]
        command += ["-filter_complex", audio_graph(spec, 0, "aout"), "-map", "[aout]"]
        command += [*BITEXACT, "-c:a", "pcm_s16le", "-ar", str(RATE), "-ac", "2", "-f", "wav", str(target)]
    else:
        sound = spec.sound
        picture = (
            f"{spec.source}=size={spec.width}x{spec.height}:rate={FPS}:duration={spec.duration},"
            f"format=yuv420p,setsar=1[vout]"
        )
        command = [*FFMPEG, *speech_inputs(sound, workdir, name)]
        command += ["-filter_complex", picture + ";" + audio_graph(sound, 0, "aout")]
        command += ["-map", "[vout]", "-map", "[aout]", *BITEXACT]
        command += ["-c:v", "libx264", "-preset", "fast", "-profile:v", "high", "-pix_fmt", "yuv420p"]
        command += ["-threads:v", "1", "-g", str(FPS // 2), "-bf", "2", "-crf", "23", "-r", str(FPS)]
        command += ["-c:a", "aac", "-b:a", "128k", "-ar", str(RATE), "-ac", "2"]
        command += ["-t", str(spec.duration), "-movflags", "+faststart", "-f", "mp4", str(target)]
    run(command)


def generate(output: Output, root: Path) -> float:
    """Render one output atomically; returns its nominal duration (0 for images)."""
    target = root / output.path
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with tempfile.TemporaryDirectory(prefix="make-samples-") as workdir:
            render(output.spec, temp, Path(workdir))
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return 0.0 if isinstance(output.spec, Image) else output.spec.duration


def check_tools() -> None:
    missing = [tool for tool in ("ffmpeg", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        raise SampleError(
            f"{' and '.join(missing)} not found on PATH; install them (Debian/Ubuntu: "
            "apt-get install ffmpeg espeak-ng) and run again"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Generate the sample media for the sample projects.")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root holding projects/ and assets/ (default: the parent of tools/)",
    )
    parser.add_argument("--force", action="store_true", help="regenerate files that already exist")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="files to generate at once (default: CPUs)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    root: Path = args.root
    started = time.perf_counter()
    try:
        check_tools()
        if not root.is_dir():
            raise SampleError(f"root folder {root} does not exist")
    except SampleError as exc:
        print(f"make_samples: {exc}", file=sys.stderr)
        return 2
    todo = [o for o in OUTPUTS if args.force or not (root / o.path).exists()]
    lock = threading.Lock()
    failures: list[str] = []

    def one(output: Output) -> None:
        try:
            duration = generate(output, root)
        except (SampleError, OSError) as exc:
            with lock:
                failures.append(output.path)
                print(f"make_samples: {output.path}: {exc}", file=sys.stderr)
            return
        with lock:
            length = f"{duration:.2f} s" if duration else "image"
            print(f"generated {output.path} ({length})", flush=True)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, todo))
    elapsed = time.perf_counter() - started
    made = len(todo) - len(failures)
    print(
        f"make_samples: {made} generated, {len(OUTPUTS) - len(todo)} up to date, "
        f"{len(failures)} failed ({elapsed:.1f} s)",
        file=sys.stderr,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
