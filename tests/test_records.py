"""Records stages hand each other on disk: one reader, one writer, and a clear refusal of anything else."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT, run_psa

from psa_pipeline.records import base
from psa_pipeline.records.base import Record, RecordError
from psa_pipeline.records.registry import record_classes, record_schemas


class Rendered(Record):
    """A record shaped like the ones the stages write, for these tests only."""

    KIND = "test-rendered"
    VERSION = 2

    psa_id: str
    files: list[str]
    seconds: float = 0.0


def written(tmp_path: Path, data: object, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_record_reads_back_what_it_wrote(tmp_path: Path) -> None:
    record = Rendered(psa_id="spot-lapor", files=["radio/broadcast.wav"], seconds=1.5)
    path = tmp_path / "deep" / "renditions.json"
    assert record.write(path) is True
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["kind"] == "test-rendered" and on_disk["schema"] == 2  # written into the file, for readers
    assert Rendered.read(path) == record


def test_writing_the_same_content_again_leaves_the_file_alone(tmp_path: Path) -> None:
    record = Rendered(psa_id="spot-lapor", files=[])
    path = tmp_path / "r.json"
    record.write(path)
    before = path.stat().st_mtime_ns
    assert record.write(path) is False and path.stat().st_mtime_ns == before


def test_a_record_of_another_kind_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = written(tmp_path, {"kind": "publication", "schema": 1, "psa_id": "x", "files": []})
    with pytest.raises(RecordError, match=rf"^{path}: holds a 'publication' record, expected 'test-rendered'$"):
        Rendered.read(path)


def test_a_record_from_a_newer_psa_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = written(tmp_path, {"kind": "test-rendered", "schema": 3, "psa_id": "x", "files": []})
    with pytest.raises(
        RecordError, match=rf"^{path}: written by a newer psa \(schema 3; .* reads up to 2\): upgrade psa"
    ):
        Rendered.read(path)


def test_an_older_version_is_refused_unless_the_record_upgrades_it(tmp_path: Path) -> None:
    path = written(tmp_path, {"kind": "test-rendered", "schema": 1, "psa_id": "x", "files": []})
    with pytest.raises(RecordError, match="test-rendered schema 1 is no longer read"):
        Rendered.read(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a test-rendered record (expected a JSON object)"),
        ('{"kind": "test-rendered", "psa_id": "x", "files": []}', "has no valid `schema` version"),
        ('{"kind": "test-rendered", "schema": true, "psa_id": "x", "files": []}', "has no valid `schema` version"),
        (
            '{"kind": "test-rendered", "schema": 2, "psa_id": "x", "files": "a"}',
            "malformed test-rendered record at files",
        ),
        ('{"kind": "test-rendered", "schema": 2, "psa_id": "x", "files": [], "extra": 1}', "at extra"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
)
def test_a_malformed_record_is_one_error_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        Rendered.read(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


def test_a_missing_record_is_named(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match=r"r\.json: missing$"):
        Rendered.read(tmp_path / "r.json")
    assert Rendered.read_if_exists(tmp_path / "r.json") is None


def test_an_oversized_record_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_RECORD_BYTES", 100)
    text = json.dumps({"kind": "test-rendered", "schema": 2, "psa_id": "x" * 200, "files": []})
    with pytest.raises(RecordError, match=r"^build/r\.json: too large for a test-rendered record \(\d+ bytes\)$"):
        Rendered.from_text(text, "build/r.json")


def test_the_json_schema_names_kind_and_version() -> None:
    schema = Rendered.json_schema()
    assert schema["properties"]["kind"] == {"const": "test-rendered"}
    assert schema["properties"]["schema"] == {"const": 2}
    assert schema["required"][:2] == ["kind", "schema"] and "psa_id" in schema["required"]


@pytest.fixture
def record_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package shaped like psa_pipeline.records, with records in a module and a subpackage."""
    package = tmp_path / "fake_records"
    (package / "nested").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "nested" / "__init__.py").write_text("")
    header = "from psa_pipeline.records.base import Record\n\n\n"
    (package / "journal.py").write_text(
        header
        + textwrap.dedent("""\
        class Journal(Record):
            KIND = "journal"
            psas: dict[str, str] = {}


        class CompactJournal(Journal):
            KIND = "journal-compact"
        """)
    )
    (package / "nested" / "catalogue.py").write_text(header + 'class Catalogue(Record):\n    KIND = "catalogue"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "fake_records"
    for name in [m for m in sys.modules if m.startswith("fake_records")]:
        del sys.modules[name]


def test_every_record_module_is_found_without_being_listed(record_package: str) -> None:
    found = record_classes(record_package)
    assert [cls.KIND for cls in found] == ["catalogue", "journal", "journal-compact"]  # subclasses of subclasses too
    assert Rendered not in found  # only records defined in the package count
    assert set(record_schemas(record_package)) == {"catalogue", "journal", "journal-compact"}


def test_two_records_claiming_one_kind_are_refused(record_package: str, tmp_path: Path) -> None:
    (tmp_path / record_package / "clash.py").write_text(
        'from psa_pipeline.records.base import Record\n\n\nclass Other(Record):\n    KIND = "journal"\n'
    )
    with pytest.raises(Exception, match="two records claim the kind 'journal'"):
        record_classes(record_package)


def test_the_committed_record_schemas_match_the_code(tmp_path: Path) -> None:
    result = run_psa("schema", "--records", "-o", tmp_path / "records")
    assert result.code == 0, result.stderr
    committed = ROOT / "schema" / "records"
    expected = {p.name: json.loads(p.read_text()) for p in committed.glob("*.schema.json")}
    made = {p.name: json.loads(p.read_text()) for p in (tmp_path / "records").glob("*.schema.json")}
    assert made == expected, "schema/records/ is stale: run `make schema`"
    printed = json.loads(run_psa("schema", "--records").stdout)
    assert {f"{kind}.schema.json" for kind in printed} == set(made)


def test_schema_records_removes_the_schema_of_a_kind_that_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "retired-kind.schema.json").write_text("{}")
    (folder / "notes.txt").write_text("kept")
    assert run_psa("schema", "--records", "-o", folder).code == 0
    assert not (folder / "retired-kind.schema.json").exists() and (folder / "notes.txt").exists()
