"""Every file a manifest names must exist inside the project and be the right kind of media."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import VALID_RADIO, make_tone, make_video, run_psa

from psa_pipeline.validation.validate import validate_file


def problems_of(manifest: Path) -> list[str]:
    return [str(p) for p in validate_file(manifest).problems]


@pytest.mark.media
def test_a_complete_radio_spot_is_valid(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO)
    make_tone(manifest.parent / "media" / "spot.wav", seconds=2.0)
    report = validate_file(manifest)
    assert report.problems == []
    assert report.checks == ["schema", "rules", "channels", "assets", "subtitles:ind", "duration"]


@pytest.mark.media
def test_paths_that_leave_the_project_are_refused(project: Callable[[str], Path], tmp_path: Path) -> None:
    outside = make_tone(tmp_path / "elsewhere" / "secret.wav")
    manifest = project(VALID_RADIO.replace("audio: media/spot.wav", "multitrack:\n    voices:\n"
        "      - file: /etc/passwd\n      - file: ../../elsewhere/secret.wav\n      - file: media/link.wav\n"))  # fmt: skip
    (manifest.parent / "media").mkdir()
    os.symlink(outside, manifest.parent / "media" / "link.wav")
    found = problems_of(manifest)
    assert any(":11:15: error: '/etc/passwd' is an absolute path" in m for m in found), found
    assert any(":12:15: error: '../../elsewhere/secret.wav' uses '..' to leave the project folder" in m for m in found)
    assert any(":13:15: error: 'media/link.wav' is a symlink leading out of the project folder" in m for m in found)


def test_the_broken_paths_sample_names_each_unsafe_or_missing_file(broken_sample: Callable[[str], Path]) -> None:
    manifest = broken_sample("unsafe-paths")
    result = run_psa("validate", manifest)
    assert result.code == 1
    for expected in (
        f"{manifest}:12:15: error: '/etc/passwd' is an absolute path",
        f"{manifest}:13:15: error: '../../../README.md' uses '..' to leave the project folder",
        f"{manifest}:14:15: error: 'media/tidak-ada.wav' does not exist",
        f"{manifest}:15:15: error: 'subtitles' is a folder, not a file",
        f"{manifest}:17:15: error: 'asset:../pyproject.toml' uses '..' to leave the shared assets folder",
    ):
        assert expected in result.stdout, result.stdout


@pytest.mark.media
def test_a_truncated_audio_file_is_reported_as_damaged(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO)
    spot = make_tone(manifest.parent / "media" / "spot.wav", seconds=3.0)
    spot.write_bytes(spot.read_bytes()[:50_000])
    found = problems_of(manifest)
    assert any(":9:10: error: 'media/spot.wav': file is damaged or truncated" in m for m in found), found


@pytest.mark.media
def test_a_file_that_is_not_media_is_reported(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO)
    (manifest.parent / "media").mkdir()
    (manifest.parent / "media" / "spot.wav").write_text("this is a text file, not audio\n")
    found = problems_of(manifest)
    assert any(":9:10: error: 'media/spot.wav': this is a text file" in m for m in found), found


@pytest.mark.media
def test_a_video_psa_needs_a_video_with_sound(project: Callable[[str], Path]) -> None:
    text = (
        VALID_RADIO.replace("kind: radio-drama", "kind: video")
        .replace("audio: media/spot.wav", "video: media/main.mp4")
        .replace("channels: [radio]", "channels: [web]\nend_card: {text: 'Lapor: SMS 1708'}")
    )
    manifest = project(text)
    make_video(manifest.parent / "media" / "main.mp4", audio=False)
    found = problems_of(manifest)
    assert any(":9:10: error: 'media/main.mp4' has no audio stream" in m for m in found), found


@pytest.mark.media
def test_an_audio_file_given_as_the_video_source_is_reported(project: Callable[[str], Path]) -> None:
    text = VALID_RADIO.replace("kind: radio-drama", "kind: video").replace(
        "audio: media/spot.wav", "video: media/a.wav"
    )
    manifest = project(text.replace("channels: [radio]", "channels: [radio]\nend_card: {text: 'Lapor'}"))
    make_tone(manifest.parent / "media" / "a.wav")
    assert any("'media/a.wav' has no video stream" in m for m in problems_of(manifest))


@pytest.mark.media
def test_a_psa_longer_than_its_slot_is_reported(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("slot: 30", "slot: 2.5"))
    make_tone(manifest.parent / "media" / "spot.wav", seconds=2.0)
    found = problems_of(manifest)
    assert any(":18:7: error: the PSA runs 3.00 s (jingles 1.00 s, content 2.00 s" in m for m in found), found


@pytest.mark.media
def test_cross_field_rules_are_each_reported_at_their_line(broken_sample: Callable[[str], Path]) -> None:
    manifest = broken_sample("cross-field")
    result = run_psa("validate", manifest)
    assert result.code == 1
    for expected in (
        f"{manifest}:12:3: error: a radio drama has no video source",
        f"{manifest}:19:20: error: burned-in language 'nij' has no subtitle track",
        f"{manifest}:20:19: error: a radio drama cannot go to the video channel 'youtube'",
        f"{manifest}:20:28: error: unknown channel 'radoi'; did you mean 'radio'?",
        f"{manifest}:21:7: error: the PSA runs",
    ):
        assert expected in result.stdout, result.stdout
