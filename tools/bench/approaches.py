"""The ways to render the benchmark PSA without psa: (a) hand-written ffmpeg, (b) ffmpeg-normalize."""

from __future__ import annotations

import sys
from pathlib import Path

from common import run
from graphs import (
    Phases,
    audio_args,
    gain_chain,
    picture_chains,
    prepare,
    program_chains,
    subtitle_inputs,
    video_outputs,
)
from helpers import EBUR128, Loudness, duration_of, parse_ebur128
from spec import FFMPEG, RADIO_MP3, RADIO_WAV, RATE, SOCIAL, TITLE, TRUE_PEAK, WEB_720, WEB_1080, Paths, Timeline

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
