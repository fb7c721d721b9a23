"""The render plan is a pure function: manifest + probed inputs -> renditions and ffmpeg command lines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from psa_pipeline.build.finish import audio_command, cache_material, limiter_chain, mux_command
from psa_pipeline.build.plan import (
    Piece,
    PsaInputs,
    SubtitleInput,
    cache_key,
    mixes_command,
    picture_command,
    plan_psa,
)
from psa_pipeline.channels.config import AudioSpec, LoudnessSpec, builtin
from psa_pipeline.core.problems import Location
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.media.loudness import (
    Aim,
    Gain,
    codec_headroom,
    corrected_aim,
    first_aim,
    first_gain,
    next_limited_gain,
    off_target,
    worth_correcting,
)
from psa_pipeline.media.probe import Loudness, MediaInfo, Stream
from psa_pipeline.media.subtitles import TimedCue

HOSTILE = "Tolak 'Pungli': 100% [bersih], a;b \\ %{pts} {\\b1}"


def piece(name: str, duration: float, video: tuple[int, int] | None = None) -> Piece:
    streams = [Stream(0, "audio", "pcm_s16le", duration, sample_rate=48000, channels=2)]
    if video:
        streams.insert(0, Stream(1, "video", "h264", duration, width=video[0], height=video[1], frame_rate=25))
    return Piece(
        Path(f"/media/{name}"), MediaInfo(Path(f"/media/{name}"), "mov", duration, 1000, streams), f"sha-{name}"
    )


def cues(text: str) -> tuple[TimedCue, ...]:
    return (TimedCue(0.5, 2.0, (text,), Location(Path("x.srt"), 3)),)


def manifest(**changes: Any) -> Manifest:
    data: dict[str, Any] = {
        "id": "uji",
        "title": HOSTILE,
        "agency": {"name": "Bapenda", "code": "BAPENDA", "province": "Kalimantan Tengah"},
        "kind": "video",
        "themes": ["pajak"],
        "language": "ind",
        "sources": {"video": "media/v.mp4"},
        "jingles": {"intro": {"file": "asset:i.wav", "crossfade": 0.5}, "outro": {"file": "asset:o.wav", "gap": 0.25}},
        "subtitles": {
            "tracks": [{"lang": "ind", "file": "s/ind.srt"}, {"lang": "nij", "file": "s/nij.srt"}],
            "burn_in": {"social": "nij", "whatsapp": "ind"},
        },
        "end_card": {"text": HOSTILE, "duration": 3},
        "channels": ["radio", "web", "social", "whatsapp"],
        "approval": {"approved_by": "A", "role": "B", "date": "2025-01-01"},
    }
    data.update(changes)
    return Manifest.model_validate(data)


def inputs(nij: str = "Ayuh tolak pungli") -> PsaInputs:
    return PsaInputs(
        video=piece("v.mp4", 10.0, (640, 360)),
        intro=piece("i.wav", 2.0),
        outro=piece("o.wav", 2.0),
        subtitles=(
            SubtitleInput("ind", "Bahasa Indonesia", cues("Tolak pungli")),
            SubtitleInput("nij", "Dayak Ngaju", cues(nij)),
        ),
    )


def test_the_timeline_applies_crossfades_and_gaps() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    line = plan.timeline
    assert (line.content_start, line.outro_start, line.audio_end, line.total) == (1.5, 11.75, 13.75, 16.75)


def picture_run(plan: Any) -> list[str]:
    command = picture_command(plan, plan.renditions)
    assert command is not None
    return command


def test_user_text_never_reaches_the_filtergraph() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    for command in (picture_run(plan), mixes_command(plan, plan.renditions)):
        graph = command[command.index("-filter_complex") + 1]
        assert "Pungli" not in graph and "%{" not in graph and "bersih" not in graph
    graph = picture_run(plan)[picture_run(plan).index("-filter_complex") + 1]
    assert "Pungli" not in graph and "%{" not in graph and "bersih" not in graph
    assert "subtitles=filename=r2.ass" in graph  # plain names chosen by the plan (r0, r1: radio)
    social = next(r for r in plan.renditions if r.channel == "social")
    assert social.ass is not None and "Ayuh tolak pungli" in social.ass
    assert "{\\b1}" not in social.ass  # user braces cannot open ASS override blocks


def test_each_channel_gets_its_renditions_and_caption_choices() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    by_name = {r.name: r for r in plan.renditions}
    assert list(by_name) == ["radio/mp3", "radio/wav", "web/1080p", "web/720p", "social/vertical", "whatsapp/small"]
    assert by_name["social/vertical"].burn_lang == "nij" and by_name["social/vertical"].size == (1080, 1920)
    assert by_name["whatsapp/small"].burn_lang == "ind"
    assert by_name["web/1080p"].soft_langs == ("ind", "nij")
    assert by_name["web/1080p"].sidecars == (("ind", "srt"), ("ind", "vtt"), ("nij", "srt"), ("nij", "vtt"))
    assert by_name["radio/mp3"].size is None and by_name["radio/mp3"].duration == 13.75


def test_the_picture_run_decodes_the_source_once_and_the_audio_run_reads_only_sound() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    command = picture_run(plan)
    inputs_read = [command[i + 1] for i, arg in enumerate(command) if arg == "-i"]
    assert inputs_read == ["/media/v.mp4", "/media/i.wav", "/media/o.wav", "soft-ind.srt", "soft-nij.srt"]
    graph = command[command.index("-filter_complex") + 1]
    assert "[0:v:0]split=4" in graph and "[0:a:0]" not in graph and "asplit" not in graph
    # Every picture encoded here, once, with no sound; the sound is all in the audio run.
    assert command.count("libx264") == 4 and command.count("-an") == 4
    assert "pcm_f32le" not in command and "aac" not in command and "-progress" in command
    audio = mixes_command(plan, plan.renditions)
    graph = audio[audio.index("-filter_complex") + 1]
    assert graph.count("[0:a:0]") == 1 and ":v:" not in graph and "libx264" not in audio
    # Lossless mixes only: one per layout, not per rendition.
    assert audio.count("pcm_f32le") == 2  # radio's 13.75 s stereo and the video channels' 16.75 s stereo
    assert "aac" not in audio and "libmp3lame" not in audio and "-progress" not in audio
    radio = [r for r in plan.renditions if r.size is None]
    assert picture_command(plan, radio) is None  # audio-only renditions never wait for a picture


def test_both_runs_keep_the_main_files_picture_and_sound_in_use_so_they_share_one_time_origin() -> None:
    # MPEG-TS/PS: ffmpeg starts the clock at the earliest stream in use, so a run reading only one of
    # them would shift it against the other (tests/test_awkward_media.py measures that on a real TS).
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    picture, audio = picture_run(plan), mixes_command(plan, plan.renditions)
    assert picture[-7:] == ["-map", "0:a:0", "-c", "copy", "-f", "null", "-"]
    assert audio[-7:] == ["-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
    sound_only = replace(inputs(), video=None, audio=piece("a.wav", 12.0))
    drama = plan_psa(manifest(kind="radio-drama", sources={"audio": "a.wav"}), sound_only, builtin(), 2025)
    assert "copy" not in mixes_command(drama, drama.renditions)  # one stream in use: nothing to anchor


def test_the_sound_is_encoded_alone_and_the_mux_copies_picture_and_sound() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    web = next(r for r in plan.renditions if r.name == "web/1080p")
    encode = audio_command(plan, web, "mix.wav", -1.5, "audio-2-0.mp4")
    assert [encode[i + 1] for i, a in enumerate(encode) if a == "-i"] == ["mix.wav"]
    assert encode[encode.index("-af") + 1] == "volume=-1.500dB" and encode[encode.index("-c:a") + 1] == "aac"
    assert encode[-3:] == ["-f", "mp4", "audio-2-0.mp4"]  # the container it is muxed into: priming travels along
    assert "-metadata" not in encode and "-movflags" not in encode
    command = mux_command(plan, web, "video-2.mp4", "audio-2-0.mp4", "/out/web.mp4")
    assert command[command.index("-c:v") + 1] == "copy" and command[command.index("-c:a") + 1] == "copy"
    assert "-af" not in command and "-b:a" not in command and "-t" not in command
    assert [command[i + 1] for i, a in enumerate(command) if a == "-i"] == [
        "video-2.mp4", "audio-2-0.mp4", "soft-ind.srt", "soft-nij.srt"
    ]  # fmt: skip
    assert command[command.index("2:s:0") - 1 : command.index("2:s:0") + 1] == ["-map", "2:s:0"]
    assert "+faststart+use_metadata_tags" in command and f"title={HOSTILE}" in command
    radio = next(r for r in plan.renditions if r.name == "radio/mp3")
    audio_only = audio_command(plan, radio, "mix.wav", 0.0, "/out/r.mp3")
    assert "-c:v" not in audio_only and audio_only[audio_only.index("-map") + 1] == "0:a:0"
    assert "-id3v2_version" in audio_only and f"title={HOSTILE}" in audio_only  # finished in one step
    # The gain is measured, not planned: it stays out of the cache key.
    assert cache_material(plan, web) == [
        *audio_command(plan, web, "AUDIO", 0.0, "OUT"), *mux_command(plan, web, "VIDEO", "AUDIO", "OUT")
    ]  # fmt: skip
    assert cache_material(plan, radio) == audio_command(plan, radio, "AUDIO", 0.0, "OUT")


def test_changing_one_language_changes_only_the_keys_of_renditions_that_use_it() -> None:
    before = plan_psa(manifest(), inputs(), builtin(), 2025)
    after = plan_psa(manifest(), inputs(nij="Ayo tolak pungli"), builtin(), 2025)
    changed = {
        r.name
        for r, s in zip(before.renditions, after.renditions, strict=True)
        if cache_key(before, r, "ff", cache_material(before, r)) != cache_key(after, s, "ff", cache_material(after, s))
    }
    assert changed == {"web/1080p", "web/720p", "social/vertical"}


def test_a_radio_drama_reaches_video_channels_only_as_an_audiogram() -> None:
    voices = {
        "voices": [{"file": "a.wav"}, {"file": "b.wav", "start": 3.0}],
        "music": [{"file": "m.wav", "duck_db": 12}],
    }
    base: dict[str, Any] = {"kind": "radio-drama", "sources": {"multitrack": voices}, "channels": ["radio", "social"]}
    ins = PsaInputs(
        voices=((Track_("a.wav"), piece("a.wav", 4.0)), (Track_("b.wav", 3.0), piece("b.wav", 4.0))),
        music=((Music_("m.wav"), piece("m.wav", 20.0)),),
        intro=piece("i.wav", 2.0),
        outro=piece("o.wav", 2.0),
        subtitles=inputs().subtitles,
    )
    without = plan_psa(manifest(**base), ins, builtin(), 2025)
    assert [r.name for r in without.renditions] == ["radio/mp3", "radio/wav"]
    audiogram = plan_psa(manifest(**base, audiogram=True), ins, builtin(), 2025)
    assert [r.name for r in audiogram.renditions] == ["radio/mp3", "radio/wav", "social/vertical"]
    assert audiogram.timeline.content == 7.0  # voices end at 3 + 4 s; the music bed does not lengthen it
    graph = picture_run(audiogram)[picture_run(audiogram).index("-filter_complex") + 1]
    assert "showwaves=" in graph and "sidechaincompress=threshold=0.015:ratio=4.0" in graph
    assert "adelay=3000:all=1[voice1]" in graph
    audio = mixes_command(audiogram, audiogram.renditions)
    assert "showwaves=" not in audio[audio.index("-filter_complex") + 1] and "-an" not in audio


def Track_(file: str, start: float = 0.0) -> Any:
    from psa_pipeline.manifest.model import Track

    return Track(file=file, start=start)


def Music_(file: str) -> Any:
    from psa_pipeline.manifest.model import MusicTrack

    return MusicTrack(file=file)


RADIO = LoudnessSpec(target=-23.0, true_peak=-1.0)
AAC_48K_MONO = AudioSpec(codec="aac", bitrate="48k", channels=1)


def test_linear_gain_when_the_peak_allows_it() -> None:
    assert first_gain(Loudness(-18.0, 5.0, -6.0), RADIO, ceiling=-1.3) == Gain(-5.0)


def test_a_limiter_only_when_the_gain_would_break_the_ceiling() -> None:
    gain = first_gain(Loudness(-30.0, 5.0, -4.0), RADIO, ceiling=-1.3)
    assert gain == Gain(7.0, -1.3)  # +7 dB would put the peak at +3 dBTP


def test_the_first_aim_leaves_room_for_what_the_encoder_adds() -> None:
    assert first_aim(RADIO, AudioSpec(codec="pcm_s24le")) == Aim(-23.0, -1.1)
    opus_32k_mono = AudioSpec(codec="libopus", bitrate="32k", channels=1)
    assert codec_headroom(AudioSpec(codec="aac", bitrate="192k")) < codec_headroom(opus_32k_mono)
    assert codec_headroom(opus_32k_mono) < codec_headroom(AAC_48K_MONO)  # AAC-LC overshoots most at low rates


def test_silence_cannot_be_normalised() -> None:
    with pytest.raises(ValueError, match="silent"):
        first_gain(Loudness(float("-inf"), 0.0, float("-inf")), RADIO, ceiling=-1.1)


def test_a_limited_pass_aims_by_the_loudness_the_last_gain_step_bought() -> None:
    # +1 dB of gain bought 0.5 LU under limiting; 1 LU still missing needs 2 dB more.
    nxt = next_limited_gain(Gain(8.0, -1.5), landed=-24.0, aim=-23.0, previous=(Gain(7.0, -1.5), -24.5))
    assert nxt == Gain(10.0, -1.5)
    assert next_limited_gain(Gain(8.0, -1.5), -24.0, -23.0, None) == Gain(9.0, -1.5)


def test_a_codec_miss_is_corrected_from_what_was_measured() -> None:
    assert off_target(Loudness(-23.15, 3.0, -1.5), RADIO) == []
    assert worth_correcting(Loudness(-23.15, 3.0, -1.5), RADIO)  # outer half of ±0.2: one cheap audio encode
    assert not worth_correcting(Loudness(-23.05, 3.0, -1.5), RADIO)
    assert off_target(Loudness(-24.0, 3.0, -0.5), RADIO) == [
        "integrated loudness -24.0 LUFS, target -23.0 ±0.2 LU",
        "true peak -0.5 dBTP, ceiling -1.0 dBTP",
    ]
    fed = Loudness(-23.0, 3.0, -1.9)
    nxt = corrected_aim(Aim(-23.0, -1.9), fed, Loudness(-23.3, 3.0, -0.5), RADIO)
    # The encoder took 0.3 LU off and put 1.4 dB on the peak: aim 0.3 LU higher, limit 1.4 + 0.1 dB under.
    assert nxt == Aim(-22.7, -2.5)
    again = corrected_aim(nxt, Loudness(-22.7, 3.0, -2.5), Loudness(-23.0, 3.0, -0.95), RADIO)
    assert again.ceiling < nxt.ceiling  # the ceiling only moves down, even when the overshoot grew


def test_the_limiter_oversamples_only_when_there_is_a_limit() -> None:
    assert limiter_chain(Gain(-2.0), 48000) == "volume=-2.000dB"
    chain = limiter_chain(Gain(6.0, -1.5), 48000)
    assert chain.startswith("volume=6.000dB,aresample=192000,alimiter=limit=0.84140:level=0:latency=1")
    assert chain.endswith("aresample=48000")
