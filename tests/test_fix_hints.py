"""Errors that say the fix: each near miss an agency makes is answered with the value to write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import VALID_RADIO, make_tone, run_psa, write_wav

from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.validation.validate import validate_all, validate_file

LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n"
)


def messages(manifest: Path) -> list[str]:
    return [str(p) for p in validate_file(manifest).problems]


@pytest.mark.parametrize(
    ("written", "fix"),
    [
        ("Banjar", "'Banjar' is a language name; write its ISO 639-3 code: bjn (Bahasa Banjar)"),
        ("Bahasa Banjar", "write its ISO 639-3 code: bjn"),
        ("Dayak Ngaju", "write its ISO 639-3 code: nij (Dayak Ngaju)"),
        ("bahasa indonesia", "write its ISO 639-3 code: ind"),
        ("Indonesian", "write its ISO 639-3 code: ind"),
        ("Jawa", "write its ISO 639-3 code: jav"),
        ("Kutai", "write the ISO 639-3 code of the one you mean: vkt (Bahasa Kutai Tenggarong), mqg"),
        ("id", "'id' is a two-letter ISO 639-1 code; psa uses ISO 639-3: write ind"),
        ("jv", "write jav"),
        ("IND", "language codes are lowercase: write ind"),
        ("NIJ", "language codes are lowercase: write nij"),
    ],
)
def test_a_language_written_as_its_name_gets_its_code(project: Callable[[str], Path], written: str, fix: str) -> None:
    manifest = project(VALID_RADIO.replace("language: ind", f"language: {written}"))
    found = [m for m in messages(manifest) if ":7:11: error: language: " in m]
    assert len(found) == 1 and fix in found[0], found


@pytest.mark.parametrize(("code", "fix"), [("idn", "write ind"), ("day", "write nij"), ("may", "write msa")])
def test_a_code_that_means_something_else_is_an_error_naming_the_right_one(
    project: Callable[[str], Path], code: str, fix: str
) -> None:
    manifest = project(
        VALID_RADIO.replace("- lang: ind", f"- lang: {code}").replace("language: ind", f"language: {code}")
    )
    found = [m for m in messages(manifest) if f"'{code}' is not the ISO 639-3 code of" in m]
    assert [m.split(": error: ")[0].rsplit(":", 2)[1] for m in found] == ["7", "14"], found
    assert all(m.endswith(fix) for m in found)


def test_a_near_miss_language_code_gets_a_did_you_mean(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("language: ind", "language: bjm"))
    assert any(
        "'bjm' is not a language psa-pipeline knows; did you mean bjn (Bahasa Banjar)?" in m for m in messages(manifest)
    )


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("10/03/2025", "2025-03-10"),
        ("10-03-2025", "2025-03-10"),
        ("10.03.2025", "2025-03-10"),
        ("2025/03/10", "2025-03-10"),
        ("2025-3-10", "2025-03-10"),
        ("10 Maret 2025", "2025-03-10"),
        ("1 Agustus 2024", "2024-08-01"),
        ("March 10, 2025", "2025-03-10"),
    ],
)
def test_a_date_written_the_indonesian_way_gets_the_iso_date(
    project: Callable[[str], Path], written: str, iso: str
) -> None:
    manifest = project(VALID_RADIO.replace("date: 2025-02-01", f'date: "{written}"'))
    found = [m for m in messages(manifest) if "approval.date" in m]
    assert found == [
        f"{manifest}:19:58: error: approval.date: dates are written YYYY-MM-DD (year-month-day): write {iso}"
    ]


def test_an_impossible_date_gets_the_format_not_a_guess(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("date: 2025-02-01", 'date: "31/02/2025"'))
    (found,) = [m for m in messages(manifest) if "approval.date" in m]
    assert "must be a date written YYYY-MM-DD" in found and "write 20" not in found


@pytest.mark.parametrize("written", ["2025-13-01", "2025-02-30", "2025-00-10"])
def test_a_date_yaml_cannot_read_is_a_problem_not_a_crash(project: Callable[[str], Path], written: str) -> None:
    manifest = project(VALID_RADIO.replace("date: 2025-02-01", f"date: {written}"))
    (found,) = [m for m in messages(manifest) if "approval.date" in m]
    assert found.startswith(f"{manifest}:19:58: error: approval.date: must be a date written YYYY-MM-DD"), found


def test_tabs_are_reported_on_every_line_that_has_one(project: Callable[[str], Path]) -> None:
    manifest = project(
        VALID_RADIO.replace("  audio: media/spot.wav", "\taudio: media/spot.wav").replace(
            "  intro: {file", "\t intro: {file"
        )
    )
    found = messages(manifest)
    assert found == [
        f"{manifest}:9:1: error: this line is indented with a tab; YAML allows only spaces: replace the tab with spaces",
        f"{manifest}:11:1: error: this line is indented with a tab; YAML allows only spaces: replace the tab with spaces",
    ]


@pytest.mark.parametrize(
    ("broken", "line", "fix"),
    [
        ('title: "Lapor!"', 3, "missing ':' after 'title': write `title: \"Lapor!\"`"),
        ("kind: radio-drama", 5, "missing ':' after 'kind': write `kind: radio-drama`"),
        ("  audio: media/spot.wav", 9, "missing ':' after 'audio': write `audio: media/spot.wav`"),
        ("slot: 30", 18, "missing ':' after 'slot': write `slot: 30`"),
    ],
)
def test_a_missing_colon_names_its_line_and_the_fix(
    project: Callable[[str], Path], broken: str, line: int, fix: str
) -> None:
    manifest = project(VALID_RADIO.replace(broken, broken.replace(":", "", 1)))
    (found,) = messages(manifest)
    assert found.startswith(f"{manifest}:{line}:") and found.endswith(fix), found


def test_a_git_lfs_pointer_instead_of_media_says_git_lfs_pull(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO)
    (manifest.parent / "media").mkdir()
    (manifest.parent / "media" / "spot.wav").write_text(LFS_POINTER, encoding="utf-8")
    found = [m for m in messages(manifest) if "spot.wav" in m]
    assert found == [
        f"{manifest}:9:10: error: 'media/spot.wav' is a Git LFS pointer, not the media itself: run `git lfs pull` "
        "in the repository (in CI: check out with LFS enabled)"
    ]


def test_schema_mistakes_do_not_hide_missing_files(project: Callable[[str], Path]) -> None:
    manifest = project(
        VALID_RADIO.replace("themes: [lapor]", "themes: [lapor]\ntitel: typo")
        .replace("date: 2025-02-01", 'date: "1/2/2025"')
        .replace("media/spot.wav", "media/spott.wav")
    )
    write_wav(manifest.parent / "media" / "spot.wav")
    found = messages(manifest)
    assert f"{manifest}:7:1: error: unknown key 'titel'; did you mean 'title'?" in found
    assert any(":20:58: error: approval.date: dates are written YYYY-MM-DD" in m for m in found), found
    assert any(m.startswith(f"{manifest}:10:10: error: 'media/spott.wav' does not exist") for m in found), found


def test_schema_mistakes_do_not_hide_subtitle_problems(project: Callable[[str], Path]) -> None:
    manifest = project(
        VALID_RADIO.replace('title: "Lapor!"', 'title: "Lapor!"\ntitel: typo').replace(
            "{start: 0.2, end: 1.8,", "{start: 1.8, end: 0.2,"
        )
    )
    report = validate_file(manifest)
    found = [str(p) for p in report.problems]
    assert f"{manifest}:4:1: error: unknown key 'titel'; did you mean 'title'?" in found
    assert any(m.startswith(f"{manifest}:17:11: error: cue 1") and "ends before it starts" in m for m in found), found
    assert "subtitles:ind" in report.checks


def test_a_misspelt_required_key_is_one_problem_not_two(project: Callable[[str], Path]) -> None:
    manifest = project(
        VALID_RADIO.replace("themes: [lapor]", "tema: [lapor]").replace("agency: {name", "agency: {nama")
    )
    found = [m.split(": error: ")[1] for m in messages(manifest) if ": error: " in m]
    assert "unknown key 'tema'; did you mean 'themes'?" in found
    assert "unknown key 'agency.nama'; did you mean 'name'?" in found
    assert not any("missing required key" in m for m in found), found


def test_channel_names_in_capitals_are_the_channels(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO.replace("channels: [radio]", "channels: [Radio]"))
    loaded = load_manifest(manifest)
    assert loaded.manifest is not None and loaded.manifest.channels == ["radio"]


def test_one_id_in_two_manifests_is_refused_naming_both_files(tmp_path: Path) -> None:
    first = tmp_path / "a" / "psa.yaml"
    second = tmp_path / "b" / "psa.yaml"
    for manifest in (first, second):
        manifest.parent.mkdir()
        manifest.write_text(VALID_RADIO.lstrip(), encoding="utf-8")
    reports = validate_all([tmp_path], jobs=1)
    duplicates = [str(p) for r in reports for p in r.problems if p.check == "across"]
    assert duplicates == [
        f"{first}:2:5: error: id 'spot-lapor' is also used by {second}:2: every PSA needs its own id; rename one of them",
        f"{second}:2:5: error: id 'spot-lapor' is also used by {first}:2: every PSA needs its own id; rename one of them",
    ]
    assert not any(r.ok() for r in reports)


def test_an_agency_code_typed_differently_from_the_others_gets_the_usual_spelling(tmp_path: Path) -> None:
    codes = {"a": "DISKOMINFO-KALTIM", "b": "DISKOMINFO-KALTIM", "c": "DISKOMINFO-KALTM", "d": "diskominfo-kaltim"}
    for name, code in codes.items():
        manifest = tmp_path / name / "psa.yaml"
        manifest.parent.mkdir()
        text = VALID_RADIO.lstrip().replace("id: spot-lapor", f"id: spot-{name}")
        manifest.write_text(text.replace("DISKOMINFO-KALTIM", code), encoding="utf-8")
    found = {
        r.manifest.parent.name: [p.message for p in r.problems if p.check == "across"]
        for r in validate_all([tmp_path], jobs=1)
    }
    usual = "differs from 'DISKOMINFO-KALTIM' used by 2 other manifest(s); if it is the same agency, write 'DISKOMINFO-KALTIM'"
    assert found["a"] == found["b"] == []
    assert found["c"] == [f"agency code 'DISKOMINFO-KALTM' {usual}"]
    assert found["d"] == [f"agency code 'diskominfo-kaltim' {usual}"]


@pytest.mark.media
def test_crlf_manifests_and_subtitles_validate_like_lf(project: Callable[[str], Path]) -> None:
    manifest = project(
        VALID_RADIO.replace(
            '    - lang: ind\n      cues:\n        - {start: 0.2, end: 1.8, text: "Laporkan lewat SMS 1708"}',
            "    - {lang: ind, file: subtitles/ind.srt}",
        )
    )
    make_tone(manifest.parent / "media" / "spot.wav", seconds=3.0)
    srt = "1\r\n00:00:00,300 --> 00:00:01,500\r\nTolak pungli!\r\n\r\n2\r\n00:00:01,700 --> 00:00:02,800\r\nLapor ke SMS 1708\r\n"
    (manifest.parent / "subtitles").mkdir()
    (manifest.parent / "subtitles" / "ind.srt").write_bytes(srt.encode())
    lf = run_psa("validate", manifest)
    manifest.write_bytes(manifest.read_bytes().replace(b"\n", b"\r\n"))
    crlf = run_psa("validate", manifest)
    assert lf.code == crlf.code == 0, crlf.stdout
    assert lf.stdout.splitlines()[:-1] == crlf.stdout.splitlines()[:-1]  # the last line is the timing
