"""The render plan is a pure function: manifest + probed inputs -> renditions and ffmpeg command lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from psa_pipeline.build.plan import Piece, PsaInputs, SubtitleInput, cache_key, plan_psa, render_command
from psa_pipeline.channels.config import LoudnessSpec, builtin
from psa_pipeline.core.problems import Location, MediaError
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.media.loudness import Gain, corrected, decide_gain, off_target
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


def test_user_text_never_reaches_the_filtergraph() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    gains = {r.name: Gain(-3.0) for r in plan.renditions}
    command = render_command(plan, plan.renditions, gains, {r.name: f"/out/{k}" for k, r in enumerate(plan.renditions)})
    graph = command[command.index("-filter_complex") + 1]
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


def test_one_process_decodes_the_source_once_for_all_video_renditions() -> None:
    plan = plan_psa(manifest(), inputs(), builtin(), 2025)
    gains = {r.name: Gain(0.0) for r in plan.renditions}
    command = render_command(plan, plan.renditions, gains, {r.name: f"/out/{k}" for k, r in enumerate(plan.renditions)})
    inputs_read = [command[i + 1] for i, arg in enumerate(command) if arg == "-i"]
    assert inputs_read == ["/media/v.mp4", "/media/i.wav", "/media/o.wav", "soft-ind.srt", "soft-nij.srt"]
    graph = command[command.index("-filter_complex") + 1]
    assert "[0:v:0]split=4" in graph and graph.count("[0:a:0]") == 1


def test_changing_one_language_changes_only_the_keys_of_renditions_that_use_it() -> None:
    before = plan_psa(manifest(), inputs(), builtin(), 2025)
    after = plan_psa(manifest(), inputs(nij="Ayo tolak pungli"), builtin(), 2025)
    changed = {
        r.name
        for r, s in zip(before.renditions, after.renditions, strict=True)
        if cache_key(before, r, "ff") != cache_key(after, s, "ff")
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
    gains = {r.name: Gain(0.0) for r in audiogram.renditions}
    command = render_command(audiogram, audiogram.renditions, gains, {r.name: "/o" for r in audiogram.renditions})
    graph = command[command.index("-filter_complex") + 1]
    assert "showwaves=" in graph and "sidechaincompress=threshold=0.015:ratio=4.0" in graph
    assert "adelay=3000:all=1[voice1]" in graph


def Track_(file: str, start: float = 0.0) -> Any:
    from psa_pipeline.manifest.model import Track

    return Track(file=file, start=start)


def Music_(file: str) -> Any:
    from psa_pipeline.manifest.model import MusicTrack

    return MusicTrack(file=file)


RADIO = LoudnessSpec(target=-23.0, true_peak=-1.0)


def test_linear_gain_when_the_peak_allows_it() -> None:
    assert decide_gain(Loudness(-18.0, 5.0, -6.0), RADIO, lossy=True) == Gain(-5.0)


def test_a_limiter_only_when_the_gain_would_break_the_ceiling() -> None:
    gain = decide_gain(Loudness(-30.0, 5.0, -4.0), RADIO, lossy=True)
    assert gain == Gain(7.0, -2.0)  # +7 dB would put the peak at +3 dBTP; limit 1 dB under the ceiling


def test_silence_cannot_be_normalised() -> None:
    with pytest.raises(MediaError, match="silent"):
        decide_gain(Loudness(float("-inf"), 0.0, float("-inf")), RADIO, lossy=False)


def test_a_miss_is_corrected_from_what_was_measured() -> None:
    assert off_target(Loudness(-23.3, 3.0, -1.5), RADIO) == []
    assert off_target(Loudness(-24.0, 3.0, -0.5), RADIO) == [
        "integrated loudness -24.0 LUFS, target -23.0 ±0.5 LU",
        "true peak -0.5 dBTP, ceiling -1.0 dBTP",
    ]
    nxt = corrected(Gain(5.0, -2.0), Loudness(-24.0, 3.0, -0.5), RADIO, None)
    assert nxt == Gain(6.0, -2.7)  # 1.5 dB encoder overshoot: limit 1.5 + 0.2 dB under the ceiling
