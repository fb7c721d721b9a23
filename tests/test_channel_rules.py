"""Channel limits come from the channel configuration alone, and validate applies the ones build will use."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_manifest_fields import base
from test_plan import inputs, piece
from test_plan import manifest as video_manifest

from psa_pipeline.build.plan import PsaInputs, plan_psa
from psa_pipeline.channels.config import ChannelConfig, ConfigError, builtin, load_config
from psa_pipeline.core.problems import Problem
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.manifest.yamlsrc import Positions
from psa_pipeline.media.timeline import timeline
from psa_pipeline.validation.channel_rules import duration_problems, manifest_problems

# The README's own example of a channel added in channels.yaml.
RADIO_RRI = """\
channels:
  radio-rri:
    description: RRI playout, mono MP3
    accepts: [radio-drama]
    loudness: {target: -23.0, true_peak: -1.0, tolerance: 0.5}
    renditions:
      - name: mp3
        container: mp3
        audio: {codec: libmp3lame, bitrate: 128k, sample_rate: 48000, channels: 1}
        exact_slot: true
"""


def radio(**changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in base().items() if k != "end_card"}
    data |= {"id": "drama-rri", "kind": "radio-drama", "sources": {"audio": "media/drama.wav"}, "slot": 30}
    return data | {"channels": ["radio"], **changes}


def load(tmp_path: Path, data: dict[str, Any]) -> tuple[Manifest, Positions]:
    file = tmp_path / "psa.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded = load_manifest(file)
    assert loaded.manifest is not None, loaded.problems
    return loaded.manifest, loaded.positions


def config_file(tmp_path: Path, text: str, name: str = "channels.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def messages(found: list[Problem], severity: str = "error") -> list[str]:
    return [p.message for p in found if p.severity == severity]


def test_a_channel_from_a_channels_file_is_unknown_without_it_and_the_message_names_the_fix(tmp_path: Path) -> None:
    manifest, positions = load(tmp_path, radio(channels=["radio-rri"]))
    without = manifest_problems(manifest, positions, builtin())
    assert messages(without) == [
        "unknown channel 'radio-rri'; did you mean 'radio'? "
        "If it is defined in a channels.yaml, pass that file: psa validate --channels FILE"
    ]
    lines = (tmp_path / "psa.yaml").read_text().splitlines()
    assert lines[without[0].location.line - 1] == "- radio-rri"  # type: ignore[operator]
    rri = config_file(tmp_path, RADIO_RRI)
    assert manifest_problems(manifest, positions, load_config(rri), rri) == []


def test_a_typo_gets_a_did_you_mean_and_names_the_channels_file_in_use(tmp_path: Path) -> None:
    rri = config_file(tmp_path, RADIO_RRI)
    manifest, positions = load(tmp_path, radio(channels=["radio-ri"]))
    assert messages(manifest_problems(manifest, positions, load_config(rri), rri)) == [
        f"unknown channel 'radio-ri'; did you mean 'radio-rri'? (channels: the built-in ones and those of {rri})"
    ]


def test_the_kinds_a_channel_accepts_are_data(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, RADIO_RRI))
    data = radio(kind="video", sources={"video": "media/v.mp4"}, channels=["radio-rri"])
    manifest, positions = load(tmp_path, data | {"end_card": {"text": "Lapor"}})
    assert messages(manifest_problems(manifest, positions, config)) == [
        "channel 'radio-rri' takes only radio-drama PSAs, not a video"
    ]


def test_a_radio_drama_reaches_a_channel_without_audio_renditions_only_as_an_audiogram(tmp_path: Path) -> None:
    # Derived from the profiles: web has no audio-only rendition, pedalaman has one.
    manifest, positions = load(tmp_path, radio(channels=["web", "pedalaman"]))
    assert messages(manifest_problems(manifest, positions, builtin())) == [
        "a radio drama cannot go to the video channel 'web' unless `audiogram: true` is set"
    ]
    with_card = radio(channels=["web", "pedalaman"], audiogram=True, end_card={"text": "Lapor"})
    manifest, positions = load(tmp_path, with_card)
    assert messages(manifest_problems(manifest, positions, builtin())) == []


def test_which_channels_burn_captions_in_comes_from_the_profiles(tmp_path: Path) -> None:
    custom = config_file(
        tmp_path,
        """\
        channels:
          tv-lokal:
            loudness: {target: -23.0, true_peak: -1.0}
            renditions:
              - name: hd
                container: mp4
                video: {width: 1280, height: 720}
                audio: {codec: aac}
                captions: {burn_in: true}
        """,
    )
    data = radio(kind="video", sources={"video": "media/v.mp4"}, channels=["tv-lokal", "web"])
    data |= {"end_card": {"text": "Lapor"}, "language": "bjn"}
    data["subtitles"] = {"tracks": [{"lang": "ind", "file": "s/ind.srt"}], "burn_in": {"web": "ind"}}
    manifest, positions = load(tmp_path, data)
    found = manifest_problems(manifest, positions, load_config(custom))
    assert messages(found, "warning") == [
        "channel 'tv-lokal' shows captions in the picture, but there is no `burn_in` entry for it and no track in "
        "the spoken language 'bjn': it will have no captions",
        "channel 'web' does not burn captions into the picture; this entry is ignored",
    ]


def test_no_channel_names_are_hard_coded_outside_the_channel_data() -> None:
    sources = Path(__file__).resolve().parent.parent / "psa_pipeline"
    for module in ("manifest/model.py", "manifest/rules.py", "validation/channel_rules.py", "build/one_psa.py"):
        text = (sources / module).read_text(encoding="utf-8")
        for name in ("'whatsapp'", '"whatsapp"', '"social"', "'social'", '"youtube"', "VIDEO_ONLY", "BURN_IN_CHANNELS"):
            assert name not in text, (module, name)


def _video_plan(content: float, channels: list[str]) -> tuple[Manifest, PsaInputs]:
    """test_plan's video PSA: intro 2 s with a 0.5 s crossfade, outro 2 s after a 0.25 s gap, end card 3 s."""
    base_inputs = inputs()
    pieces = PsaInputs(video=piece("v.mp4", content, (640, 360)), intro=base_inputs.intro, outro=base_inputs.outro)
    return video_manifest(channels=channels), pieces


@pytest.mark.parametrize("content", [8.0, 8.25, 8.251, 9.5])
def test_validate_measures_each_rendition_as_the_planner_does(content: float) -> None:
    """Over the limit in validate exactly when the planned rendition is over it: the limit is the channel's."""
    config = ChannelConfig(
        channels={
            **builtin().channels,
            "reels": builtin()
            .channels["social"]
            .model_copy(
                update={
                    "renditions": [builtin().channels["social"].renditions[0].model_copy(update={"max_duration": 15.0})]
                }
            ),
        }
    )
    manifest, pieces = _video_plan(content, ["reels", "radio"])
    plan = plan_psa(manifest, pieces, config, 2025)
    line = timeline(manifest, 2.0, content, 2.0)
    found = duration_problems(manifest, Positions(Path("psa.yaml")), config, line)
    over = {r.name for r in plan.renditions if r.spec.max_duration and r.duration > r.spec.max_duration}
    assert {p.message.split("'")[1] + "/vertical" for p in found} == over
    assert (content > 8.25) == bool(over)  # intro 2 - 0.5 + content + 0.25 + outro 2 + card 3 = content + 6.75
    if found:
        assert "takes at most 15 s, but this PSA runs" in found[0].message


def test_a_radio_spot_is_measured_at_its_slot_where_the_channel_pads_to_it(tmp_path: Path) -> None:
    limited = config_file(
        tmp_path,
        RADIO_RRI.replace("exact_slot: true", "exact_slot: true\n        max_duration: 25"),
    )
    manifest, positions = load(tmp_path, radio(channels=["radio-rri"], slot=30))
    line = timeline(manifest, 0.0, 10.0, 0.0)
    found = duration_problems(manifest, positions, load_config(limited), line)
    assert [p.message for p in found] == [
        "channel 'radio-rri' (mp3) takes at most 25 s, but this PSA runs 30.00 s there (jingles 0.00 s, content "
        "10.00 s): shorten it or leave 'radio-rri' out"
    ]


def test_an_invalid_channels_file_is_reported_at_its_line_with_a_hint(tmp_path: Path) -> None:
    bad = config_file(tmp_path, RADIO_RRI.replace("exact_slot: true", "exact_slot: true\n        max_duraton: 30"))
    with pytest.raises(ConfigError) as raised:
        load_config(bad)
    assert str(raised.value) == (
        f"{bad}:11:9: error: unknown key 'channels.radio-rri.renditions[0].max_duraton'; did you mean 'max_duration'?"
    )
    wrong_kind = config_file(tmp_path, RADIO_RRI.replace("[radio-drama]", "[radio]"), "kinds.yaml")
    with pytest.raises(ConfigError) as raised:
        load_config(wrong_kind)
    assert str(raised.value).startswith(f"{wrong_kind}:4:")


def test_a_file_size_limit_that_the_peak_bitrate_could_break_is_a_warning(tmp_path: Path) -> None:
    # whatsapp: 900 kbit/s video peak + 96 kbit/s audio, 16 MB: about 128 s fit for sure.
    data = radio(kind="video", sources={"video": "media/v.mp4"}, channels=["whatsapp"], slot=None)
    manifest, positions = load(tmp_path, data | {"end_card": {"text": "Lapor"}})
    assert duration_problems(manifest, positions, builtin(), timeline(manifest, 0.0, 120.0, 0.0)) == []
    found = duration_problems(manifest, positions, builtin(), timeline(manifest, 0.0, 130.0, 0.0))
    assert [(p.severity, p.message) for p in found] == [
        ("warning", "channel 'whatsapp' (small) takes files up to 16 MB; at its peak bitrate this 134 s PSA may reach "
         "16.7 MB, and build fails if it does"),
    ]  # fmt: skip


def test_psa_validate_reports_a_bad_channels_file_at_its_line(tmp_path: Path) -> None:
    from helpers import run_psa

    bad = config_file(tmp_path, RADIO_RRI.replace("channels: 1}", "channels: 3}"))
    load(tmp_path, radio(channels=["radio-rri"]))
    result = run_psa("validate", "--channels", bad, tmp_path / "psa.yaml")
    assert result.code == 1
    assert result.stderr.startswith(f"psa: error: {bad}:9:") and "channels" in result.stderr


def _readme_block(after: str) -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return readme.split(after, 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_readmes_examples_are_true(tmp_path: Path) -> None:
    channels = config_file(tmp_path, _readme_block("### Channel configuration"))
    config = load_config(channels)
    assert config.channels["radio-rri"].accepts == ("radio-drama",)
    assert config.channels["social"].renditions[0].video.min_source == 360  # type: ignore[union-attr]
    example = tmp_path / "example" / "psa.yaml"
    example.parent.mkdir()
    example.write_text(_readme_block("## The manifest"), encoding="utf-8")
    loaded = load_manifest(example)
    assert loaded.manifest is not None, loaded.problems
    assert manifest_problems(loaded.manifest, loaded.positions, builtin()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RADIO_RRI.replace("codec: libmp3lame", "codec: aac"), "mp3 files cannot hold aac audio; use libmp3lame"),
        (
            RADIO_RRI.replace("exact_slot: true", "captions: {sidecars: [srt]}"),
            "captions need a picture; this rendition has no `video`, so remove its `captions`",
        ),
        (
            RADIO_RRI.replace("container: mp3", "container: mp3\n        video: {width: 640, height: 360}"),
            "mp3 files have no picture; use container: mp4 or remove `video`",
        ),
    ],
)
def test_a_rendition_ffmpeg_could_not_write_is_refused_at_its_line_in_the_channels_file(
    tmp_path: Path, text: str, message: str
) -> None:
    bad = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(bad)
    assert str(raised.value) == f"{bad}:7:9: error: channels.radio-rri.renditions[0]: {message}"
