"""Fields that a platform or `psa publish` would refuse later are refused by validate, naming the line and the fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from psa_pipeline.core.problems import Problem
from psa_pipeline.manifest import provinces
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.manifest.rules import check_rules, is_placeholder
from psa_pipeline.manifest.themes import THEMES

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def base() -> dict[str, Any]:
    return {
        "schema": 1,
        "id": "uji-field",
        "title": "Tolak Pungli",
        "agency": {"name": "Bapenda Kalteng", "code": "BAPENDA-KALTENG", "province": "Kalimantan Tengah"},
        "kind": "video",
        "themes": ["pungli"],
        "language": "ind",
        "sources": {"video": "media/v.mp4"},
        "end_card": {"text": "Laporkan: www.lapor.go.id"},
        "channels": ["web"],
        "approval": {"approved_by": "Ahmad Yani", "role": "Kepala Bapenda", "date": "2025-03-10"},
    }


def problems(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, list[Problem]]:
    """Schema problems if the manifest does not load, else the rules' problems."""
    file = tmp_path / "psa.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = load_manifest(file)
    if loaded.manifest is None:
        return file, loaded.problems
    return file, check_rules(loaded.manifest, loaded.positions)


def line_of(file: Path, needle: str) -> int:
    return next(i for i, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def errors(found: list[Problem]) -> list[str]:
    return [f"{p.location.line}: {p.message}" for p in found if p.severity == "error"]


def with_agency(**changes: str) -> dict[str, Any]:
    data = base()
    data["agency"] = {**data["agency"], **changes}
    return data


def test_the_base_manifest_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, base())[1] == []


def test_there_are_38_provinces_each_its_own_canonical_name() -> None:
    assert len(provinces.PROVINCES) == len(set(provinces.PROVINCES)) == 38
    assert all(provinces.canonical(p) == p for p in provinces.PROVINCES)
    assert all(provinces.suggestion(p) == p for p in provinces.PROVINCES)
    assert all(v in provinces.PROVINCES for v in provinces.COMMON_NAMES.values())


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("kalimantan tengah", "Kalimantan Tengah"),
        ("  KALIMANTAN   TENGAH ", "Kalimantan Tengah"),
        ("Provinsi Kalimantan Tengah", "Kalimantan Tengah"),
        ("Prov. Sumatra Selatan", "Sumatera Selatan"),
        ("Daerah Istimewa Yogyakarta", "DI Yogyakarta"),
        ("Daerah Khusus Ibukota Jakarta", "DKI Jakarta"),
        ("Bangka Belitung", "Kepulauan Bangka Belitung"),
        ("papua barat-daya", "Papua Barat Daya"),
        ("Kep. Riau", "Kepulauan Riau"),
        ("D.I. Yogyakarta", "DI Yogyakarta"),
    ],
)
def test_case_spacing_and_long_forms_of_a_province_are_accepted_and_written_officially(
    tmp_path: Path, written: str, official: str
) -> None:
    file, found = problems(tmp_path, with_agency(province=written))
    assert found == []
    loaded = load_manifest(file)
    assert loaded.manifest is not None and loaded.manifest.agency.province == official


@pytest.mark.parametrize(
    ("written", "official"),
    [
        ("Kalteng", "Kalimantan Tengah"),
        ("jabar", "Jawa Barat"),
        ("Jogja", "DI Yogyakarta"),
        ("Jakarta", "DKI Jakarta"),
        ("NTT", "Nusa Tenggara Timur"),
        ("Central Kalimantan", "Kalimantan Tengah"),
        ("Kalimantan Tenggah", "Kalimantan Tengah"),
        ("Prov. Kalteng", "Kalimantan Tengah"),
        ("Irian Jaya", "Papua"),
    ],
)
def test_short_english_and_misspelt_provinces_are_refused_with_the_official_name(
    tmp_path: Path, written: str, official: str
) -> None:
    file, found = problems(tmp_path, with_agency(province=written))
    line = line_of(file, "province:")
    assert errors(found) == [f"{line}: '{written}' is not the official name of a province: write '{official}'"]
    assert found[0].location.file == file


def test_free_text_province_says_where_the_list_is(tmp_path: Path) -> None:
    _, found = problems(tmp_path, with_agency(province="Negeri Antah Berantah"))
    assert "one of Indonesia's 38 provinces (see README)" in errors(found)[0]


def test_a_1131_character_province_fails_at_validate_not_at_publish(tmp_path: Path) -> None:
    province = ("Kalimantan Tengah " * 63)[:1131]
    file, found = problems(tmp_path, with_agency(province=province))
    message = errors(found)[0]
    assert message.startswith(
        f"{line_of(file, 'province:')}: agency.province: is 1131 characters long; at most 40 characters"
    )
    assert len(message) < 250  # the value is quoted shortened, not pasted back whole


@pytest.mark.parametrize(
    ("path", "limit"),
    [(("title",), 100), (("agency", "name"), 120), (("end_card", "text"), 160), (("approval", "role"), 120)],
)
def test_every_free_text_field_is_bounded(tmp_path: Path, path: tuple[str, ...], limit: int) -> None:
    for length, refused in ((limit, False), (limit + 1, True)):
        data = base()
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "a" * length
        _, found = problems(tmp_path, data)
        assert bool(errors(found)) is refused, (path, length, errors(found))
        if refused:
            assert f"is {length} characters long; at most {limit}" in errors(found)[0]


def test_the_title_limit_is_youtubes_from_the_reference() -> None:
    platforms = (SHARED / "reference" / "platforms.md").read_text(encoding="utf-8")
    assert "YouTube" in platforms  # the platform table the limits are chosen against
    from psa_pipeline.manifest.model import TITLE_MAX

    assert TITLE_MAX == 100


def test_unknown_themes_are_refused_naming_the_allowed_ones(tmp_path: Path) -> None:
    data = base()
    data["themes"] = ["pungli", "pungly", "korupsi-dana-desa"]
    file, found = problems(tmp_path, data)
    allowed = ", ".join(THEMES)
    assert errors(found) == [
        f"{line_of(file, '- pungly')}: unknown theme 'pungly'; did you mean 'pungli'? themes: {allowed}",
        f"{line_of(file, '- korupsi')}: unknown theme 'korupsi-dana-desa'; themes: {allowed}",
    ]


@pytest.mark.parametrize("name", ["Nama Pejabat", "TBD", "-", "xxx", "nama", "[Nama]", "n/a", "???", "XXXX"])
def test_placeholder_approvers_are_refused_with_the_fix(tmp_path: Path, name: str) -> None:
    data = base()
    data["approval"]["approved_by"] = name
    file, found = problems(tmp_path, data)
    assert errors(found) == [
        f"{line_of(file, 'approved_by:')}: '{name}' is a placeholder: write the name of the official who approved this PSA, "
        "or remove the `approval` block until it is approved"
    ]


@pytest.mark.parametrize("name", ["Ahmad Yani", "Drs. H. Nama Baik, M.Si.", "Xena", "Na Willa"])
def test_real_names_are_not_placeholders(name: str) -> None:
    assert not is_placeholder(name)


def test_an_empty_or_placeholder_role_is_refused(tmp_path: Path) -> None:
    data = base()
    data["approval"]["role"] = "   "
    file, found = problems(tmp_path, data)
    assert errors(found)[0].startswith(f"{line_of(file, 'role:')}: approval.role:")
    data["approval"]["role"] = "Jabatan"
    file, found = problems(tmp_path, data)
    assert errors(found) == [
        f"{line_of(file, 'role:')}: 'Jabatan' is a placeholder: write the approver's position, e.g. Kepala Dinas Kominfo"
    ]


def test_an_approval_in_the_future_is_a_warning_that_strict_turns_into_an_error(tmp_path: Path) -> None:
    data = base()
    data["approval"]["date"] = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    _, found = problems(tmp_path, data)
    assert errors(found) == []
    assert [p.severity for p in found] == ["warning"] and "in the future" in found[0].message


@pytest.mark.parametrize(("key", "value"), [("title", "Judul"), ("title", "TODO")])
def test_a_placeholder_title_is_refused(tmp_path: Path, key: str, value: str) -> None:
    file, found = problems(tmp_path, base() | {key: value})
    assert errors(found) == [
        f"{line_of(file, 'title:')}: '{value}' is a placeholder: write the PSA's title as the public sees it"
    ]


def test_a_placeholder_agency_name_is_refused(tmp_path: Path) -> None:
    file, found = problems(tmp_path, with_agency(name="Nama Instansi"))
    assert errors(found) == [
        f"{line_of(file, 'name: Nama')}: 'Nama Instansi' is a placeholder: write the agency's full name, as on the end card"
    ]


def test_theme_and_channel_case_does_not_matter(tmp_path: Path) -> None:
    file, found = problems(tmp_path, base() | {"themes": ["Pungli", " LAPOR "], "channels": ["Web"]})
    assert found == []
    loaded = load_manifest(file)
    assert loaded.manifest is not None and loaded.manifest.themes == ["pungli", "lapor"]
    assert loaded.manifest.channels == ["web"]


def test_placeholder_agency_codes_and_end_cards_are_refused(tmp_path: Path) -> None:
    file, found = problems(tmp_path, with_agency(code="XXX") | {"end_card": {"text": "TBD"}})
    assert errors(found) == [
        f"{line_of(file, 'code: XXX')}: 'XXX' is a placeholder: write the agency's short code, e.g. BAPENDA-KALTENG",
        f"{line_of(file, 'text: TBD')}: 'TBD' is a placeholder: write the call to action, e.g. SMS 1708",
    ]


def test_a_manifest_for_a_newer_schema_says_to_upgrade(tmp_path: Path) -> None:
    file, found = problems(tmp_path, base() | {"schema": 2})
    assert errors(found) == [
        f"{line_of(file, 'schema:')}: schema: this psa reads manifest schema 1, not 2: upgrade psa-pipeline"
    ]
    _, found = problems(tmp_path, base() | {"schema": 0})
    assert errors(found)[0].endswith("not 0: write `schema: 1`")
