"""An agency's manifest mistakes are reported with file, line and a message they can act on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import VALID_RADIO, make_tone, run_psa

from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.manifest.yamlsrc import MAX_BYTES


def messages(manifest: Path) -> list[str]:
    return [str(p) for p in load_manifest(manifest).problems]


def test_a_valid_manifest_loads_without_problems(project: Callable[[str], Path]) -> None:
    loaded = load_manifest(project(VALID_RADIO))
    assert loaded.problems == []
    assert loaded.manifest is not None and loaded.manifest.id == "spot-lapor"


def test_every_schema_mistake_is_reported_in_one_run_with_its_line(project: Callable[[str], Path]) -> None:
    manifest = project(
        VALID_RADIO.replace("id: spot-lapor", "id: Spot Lapor")
        .replace("language: ind", "languag: ind")
        .replace("kind: radio-drama", "kind: podcast")
    )
    found = messages(manifest)
    assert f"{manifest}:2:5: error: id: an id is a lowercase slug: write `id: spot-lapor`" in found, found
    assert any(m.startswith(f"{manifest}:5:7: error: kind: must be 'radio-drama' or 'video'") for m in found), found
    assert any(f"{manifest}:7:1: error: unknown key 'languag'; did you mean 'language'?" in m for m in found), found
    # the misspelt key is the one mistake: no second "missing required key 'language'" for it
    assert not any("missing required key 'language'" in m for m in found), found


def test_a_typo_in_a_nested_key_gets_a_did_you_mean(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("jingles:\n  intro:", "jingles:\n  intor:"))
    assert any(":11:3: error: unknown key 'jingles.intor'; did you mean 'intro'?" in m for m in messages(manifest))


def test_a_duplicate_key_is_refused_naming_both_lines(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO + "channels: [radio, web]\n")
    found = messages(manifest)
    assert any(":20:1: error: duplicate key 'channels' (first defined on line 17)" in m for m in found), found


def test_non_utf8_file_is_named_with_its_position(tmp_path: Path) -> None:
    manifest = tmp_path / "psa.yaml"
    manifest.write_bytes(b"id: x\ntitle: Pajak \xe9\n")
    (problem,) = load_manifest(manifest).problems
    assert str(problem).startswith(f"{manifest}:2:14: error: file is not UTF-8")


def test_an_empty_or_comment_only_file_is_reported(tmp_path: Path) -> None:
    for text in ("", "   \n", "# only a comment\n"):
        manifest = tmp_path / "psa.yaml"
        manifest.write_text(text)
        (problem,) = load_manifest(manifest).problems
        assert "file is empty" in problem.message


def test_an_alias_bomb_is_stopped_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 10):
        prev = chr(ord("a") + n - 1)
        cur = chr(ord("a") + n)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    manifest = tmp_path / "psa.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    (problem,) = load_manifest(manifest).problems
    assert "expands to more than" in problem.message


def test_an_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    manifest = tmp_path / "psa.yaml"
    manifest.write_text("# " + "x" * (MAX_BYTES + 10))
    (problem,) = load_manifest(manifest).problems
    assert "a manifest may be at most" in problem.message


def test_invalid_yaml_syntax_points_at_the_line(tmp_path: Path) -> None:
    manifest = tmp_path / "psa.yaml"
    manifest.write_text("id: x\ntitle: [unclosed\nkind: video\n")
    (problem,) = load_manifest(manifest).problems
    assert problem.location.line == 3 and "invalid YAML" in problem.message


def test_yaml_tags_that_run_code_are_not_accepted(tmp_path: Path) -> None:
    manifest = tmp_path / "psa.yaml"
    manifest.write_text("id: !!python/object/apply:os.system ['echo hacked']\n")
    (problem,) = load_manifest(manifest).problems
    assert problem.location.line == 1 and "python/object/apply:os.system" in problem.message


def test_a_list_at_the_top_is_not_a_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "psa.yaml"
    manifest.write_text("- id: x\n")
    (problem,) = load_manifest(manifest).problems
    assert "mapping of keys" in problem.message


def test_the_broken_schema_sample_names_every_planted_mistake() -> None:
    manifest = Path("tests/broken/schema-mistakes/psa.yaml")
    result = run_psa("validate", manifest)
    assert result.code == 1
    for expected in (
        f"{manifest}:4:5: error: id: an id is a lowercase slug: write `id: bapenda-kalteng`",
        f"{manifest}:6:1: error: unknown key 'titel'; did you mean 'title'?",
        f"{manifest}:8:3: error: missing required key 'province' in agency",
        f"{manifest}:10:7: error: kind: must be 'radio-drama' or 'video'",
        f"{manifest}:12:11: error: language: 'id' is a two-letter ISO 639-1 code; psa uses ISO 639-3: write ind",
        f"{manifest}:18:16: error: jingles.intro.crossfade: must be at least 0",
        f"{manifest}:20:1: error: duplicate key 'channels' (first defined on line 19)",
    ):
        assert expected in result.stdout, result.stdout


@pytest.mark.media
def test_a_wav_with_a_known_sample_rate_probes(tmp_path: Path) -> None:
    tone = make_tone(tmp_path / "t.wav", rate=44100, channels=1)
    result = run_psa("probe", tone, "--no-loudness")
    assert result.code == 0 and "44100 Hz, 1 ch" in result.stdout
