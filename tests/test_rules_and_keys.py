"""Pure checks and names, no media: cross-field rules point at the right line; publish keys follow their template."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers import VALID_RADIO

from psa_pipeline.channels.config import builtin
from psa_pipeline.channels.destinations import DEFAULT_TEMPLATE
from psa_pipeline.core.problems import Problem
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.publish.publish import key_for
from psa_pipeline.validation.channel_rules import manifest_problems


def rule_problems(manifest: Path) -> list[Problem]:
    loaded = load_manifest(manifest)
    assert loaded.manifest is not None, loaded.problems
    # The manifest's own rules and its channels' (channel rules moved to validation/channel_rules.py).
    return manifest_problems(loaded.manifest, loaded.positions, builtin())


def line_of(manifest: Path, text: str) -> int:
    return next(i for i, line in enumerate(manifest.read_text().splitlines(), 1) if text in line)


def test_the_valid_radio_spot_breaks_no_rule(project: Callable[[str], Path]) -> None:
    assert rule_problems(project(VALID_RADIO)) == []


def test_a_radio_drama_with_a_video_source_is_an_error_at_that_key(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("  audio: media/spot.wav", "  video: media/spot.mp4"))
    (problem,) = [p for p in rule_problems(manifest) if "no video source" in p.message]
    assert problem.severity == "error" and problem.check == "rules"
    assert problem.location.file == manifest and problem.location.line == line_of(manifest, "video: media/spot.mp4")


def test_a_radio_drama_reaches_a_video_channel_only_with_an_audiogram(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("channels: [radio]", "channels: [radio, social]"))
    (problem,) = rule_problems(manifest)
    assert "cannot go to the video channel 'social'" in problem.message
    assert problem.location.line == line_of(manifest, "channels: [radio, social]")
    with_audiogram = project(VALID_RADIO.replace("channels: [radio]", "channels: [radio, social]\naudiogram: true"))
    assert not [p for p in rule_problems(with_audiogram) if p.severity == "error"]


def test_a_second_track_in_one_language_and_a_burn_in_without_track_are_both_reported(
    project: Callable[[str], Path],
) -> None:
    text = VALID_RADIO.replace(
        "channels: [radio]",
        "channels: [radio, whatsapp]\naudiogram: true",
    ).replace(
        "subtitles:\n  tracks:\n",
        "subtitles:\n  burn_in: {whatsapp: bjn}\n  tracks:\n    - {lang: ind, cues: [{start: 0.1, end: 1.0, text: Dua}]}\n",
    )
    manifest = project(text)
    messages = [p.message for p in rule_problems(manifest) if p.severity == "error"]
    assert any("a second subtitle track for 'ind'" in m for m in messages), messages
    assert any("burned-in language 'bjn' has no subtitle track (tracks: ind)" in m for m in messages), messages


def test_an_unknown_channel_gets_a_did_you_mean(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("channels: [radio]", "channels: [radoi]"))
    (message,) = [p.message for p in rule_problems(manifest)]
    assert message.startswith("unknown channel 'radoi'; did you mean 'radio'?")
    assert "psa validate --channels FILE" in message  # a channel of a custom channels.yaml is the other cause


def test_publish_keys_follow_the_template_with_safe_parts(project: Callable[[str], Path]) -> None:
    loaded = load_manifest(project(VALID_RADIO))
    assert loaded.manifest is not None
    key = key_for(DEFAULT_TEMPLATE, loaded.manifest, 2025, "radio", "spot-lapor-radio-broadcast.wav")
    assert key == "kalimantan-timur/diskominfo-kaltim/2025/spot-lapor/radio/spot-lapor-radio-broadcast.wav"
    flat = key_for("{agency}-{id}-{file}", loaded.manifest, 2025, "radio", "a.wav")
    assert flat == "diskominfo-kaltim-spot-lapor-a.wav"
