"""What `psa validate` passes, `psa build` does not refuse for a manifest reason, with the same channels."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import TINY, make_tone, run_psa, video_project

pytestmark = pytest.mark.media


def seconds(path: Path) -> float:
    """ffprobe's duration, read here, not through psa."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(json.loads(out)["format"]["duration"])


def stream(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)["streams"][0]  # type: ignore[no-any-return]


def limited(tmp_path: Path, name: str, social_max: float) -> Path:
    """The tiny test channels with a `max_duration` on social, and the README's radio-rri channel."""
    text = TINY.read_text().replace(
        "captions: {burn_in: true}\n", f"captions: {{burn_in: true}}\n        max_duration: {social_max}\n", 1
    )
    text += (
        "  radio-rri:\n    accepts: [radio-drama]\n    loudness: {target: -23.0, true_peak: -1.0}\n    renditions:\n"
        "      - {name: mp3, container: mp3, exact_slot: true,\n"
        "         audio: {codec: libmp3lame, bitrate: 128k, sample_rate: 48000, channels: 1}}\n"
    )
    path = tmp_path / name
    path.write_text(text)
    return path


def test_edge_cases_validate_accepts_are_built_and_those_it_refuses_are_refused_by_build_too(tmp_path: Path) -> None:
    folder = video_project(tmp_path, "batas-durasi", "social")
    # Length as build renders it: intro jingle + content + end card, each measured here with ffprobe.
    total = round(
        seconds(tmp_path / "assets" / "jingles" / "intro.wav") + seconds(folder / "media" / "main.mp4") + 1.5, 3
    )
    drama = video_project(tmp_path, "drama-rri", "radio-rri")
    manifest = (drama / "psa.yaml").read_text()
    manifest = manifest.replace("kind: video", "kind: radio-drama").replace(
        "sources: {video: media/main.mp4}", "sources: {audio: media/drama.wav}"
    )
    (drama / "psa.yaml").write_text(manifest.replace("slot: 30", "slot: 6"))
    make_tone(drama / "media" / "drama.wav", seconds=3.0)

    at_limit, over_limit = limited(tmp_path, "at.yaml", total), limited(tmp_path, "over.yaml", round(total - 0.01, 3))
    cases = [  # (manifest folder, channels file, validate should pass)
        (folder, at_limit, True),
        (folder, over_limit, False),
        (drama, at_limit, True),
        (drama, None, False),
    ]
    for project, channels, accepted in cases:
        options = ["--channels", str(channels)] if channels else []
        checked = run_psa("validate", *options, project)
        assert (checked.code == 0) is accepted, (project.name, channels, checked.stdout)
        built = run_psa("build", *options, "-o", tmp_path / "build", project)
        if accepted:
            assert built.code == 0, (project.name, channels, built.stdout + built.stderr)
        else:
            assert built.code == 1 and "invalid manifest" in built.stdout, built.stdout
    over = run_psa("validate", "--channels", over_limit, folder).stdout
    assert (
        f"channel 'social' (vertical) takes at most {round(total - 0.01, 3):g} s, but this PSA runs {total:.2f} s"
        in over
    )
    missing = run_psa("validate", drama).stdout
    assert "unknown channel 'radio-rri'" in missing and "psa validate --channels FILE" in missing

    vertical = tmp_path / "build" / "batas-durasi" / "social" / "batas-durasi-social-vertical.mp4"
    assert seconds(vertical) == pytest.approx(total, abs=0.05)
    spot = tmp_path / "build" / "drama-rri" / "radio-rri" / "drama-rri-radio-rri-mp3.mp3"
    assert stream(spot)["channels"] == 1 and seconds(spot) == pytest.approx(6.0, abs=0.1)
