"""(c) The benchmark PSA rendered by a straightforward moviepy 2.x script."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from approaches import approach_hand, approach_normalize
from common import run
from graphs import Phases, em, prepare, sidecar_outputs, subtitle_inputs, x264_args
from helpers import Loudness, duration_of, fonts, measure_file
from spec import (
    AGENCY,
    BURN_LANG,
    END_TEXT,
    FFMPEG,
    FPS,
    LABELS,
    LANGS,
    OUTRO_CROSSFADE,
    PRESET,
    RADIO_MP3,
    RADIO_WAV,
    RATE,
    SOCIAL,
    TITLE,
    WEB_720,
    WEB_1080,
    Paths,
    Target,
    Timeline,
)

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
