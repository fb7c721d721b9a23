"""Subtitles must be readable: timing, reading speed and line length, per language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import VALID_RADIO, make_tone, run_psa

from psa_pipeline.validation.validate import validate_file


@pytest.mark.media
def test_the_broken_subtitles_sample_reports_each_cue_at_its_srt_line(broken_sample: Callable[[str], Path]) -> None:
    manifest = broken_sample("bad-subtitles")
    srt = manifest.parent / "subtitles" / "ind.srt"
    result = run_psa("validate", manifest)
    assert result.code == 1
    for expected in (
        f"{srt}:6: error: cue 2 (00:00.800) overlaps cue 1",
        f"{srt}:10: warning: cue 3 (00:01.520) has a line of 70 characters; maximum is 42",
        f"{srt}:10: warning: cue 3 (00:01.520) needs 388.9 characters per second; maximum is 17",
        f"{srt}:10: warning: cue 3 (00:01.520) is on screen 0.18 s; minimum is 0.83 s",
        f"{srt}:14: error: cue 4 (00:01.800) ends at 9.00 s, after the media ends",
        f"{srt}:14: warning: cue 4 (00:01.800) is on screen 7.20 s; maximum is 7.00 s",
        f"{manifest}:19:11: error: cue 2 (00:01.900) ends before it starts",
    ):
        assert expected in result.stdout, result.stdout


@pytest.mark.media
def test_warnings_pass_unless_strict(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace('text: "Laporkan lewat SMS 1708"', 'text: "' + "a" * 45 + '"'))
    make_tone(manifest.parent / "media" / "spot.wav")
    assert run_psa("validate", manifest).code == 0
    strict = run_psa("validate", "--strict", manifest)
    assert strict.code == 1 and "has a line of 45 characters" in strict.stdout


@pytest.mark.media
def test_a_project_can_relax_the_thresholds(project: Callable[[str], Path]) -> None:
    text = VALID_RADIO.replace('text: "Laporkan lewat SMS 1708"', 'text: "' + "a" * 45 + '"')
    manifest = project(
        text.replace("  tracks:", "  rules: {max_chars_per_line: 50, max_chars_per_second: 40}\n  tracks:")
    )
    make_tone(manifest.parent / "media" / "spot.wav")
    assert validate_file(manifest).problems == []


@pytest.mark.media
def test_a_webvtt_file_is_checked_like_srt(project: Callable[[str], Path]) -> None:
    text = VALID_RADIO.replace(
        '      cues:\n        - {start: 0.2, end: 1.8, text: "Laporkan lewat SMS 1708"}',
        "      file: subtitles/ind.vtt",
    )
    manifest = project(text)
    make_tone(manifest.parent / "media" / "spot.wav")
    vtt = manifest.parent / "subtitles" / "ind.vtt"
    vtt.parent.mkdir()
    vtt.write_text("WEBVTT\n\n00:00.200 --> 00:01.800\nLapor!\n\n00:01.000 --> 00:01.900\nTumpang tindih\n")
    found = [str(p) for p in validate_file(manifest).problems]
    assert found == [f"{vtt}:6: error: cue 2 (00:01.000) overlaps cue 1 (which ends at 00:01.800)"]


@pytest.mark.media
def test_a_subtitle_file_in_another_format_is_refused(project: Callable[[str], Path]) -> None:
    text = VALID_RADIO.replace(
        '      cues:\n        - {start: 0.2, end: 1.8, text: "Laporkan lewat SMS 1708"}',
        "      file: subtitles/ind.txt",
    )
    manifest = project(text)
    make_tone(manifest.parent / "media" / "spot.wav")
    (manifest.parent / "subtitles").mkdir()
    (manifest.parent / "subtitles" / "ind.txt").write_text("hello")
    found = [str(p) for p in validate_file(manifest).problems]
    assert any(":15:13: error:" in m and "must be SRT (.srt) or WebVTT (.vtt)" in m for m in found), found
