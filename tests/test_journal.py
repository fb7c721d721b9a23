"""The batch journal is a typed, versioned record: one reader, one writer, settled outcomes reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psa_pipeline.batch.run import Journal, PsaState
from psa_pipeline.core.problems import PsaError
from psa_pipeline.core.status import Status
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.journal import BatchJournal, PsaEntry, PublishedFile, StepOutcome


def state(key: str = "satu/psa.yaml", fingerprint: str = "f1") -> PsaState:
    return PsaState(Path("/batch") / key, key, fingerprint, psa_id="satu")


def test_the_journal_round_trips_through_its_one_writer_and_reader(tmp_path: Path) -> None:
    path = tmp_path / "batch-journal.json"
    journal = Journal(path)
    one = state()
    one.steps["validate"] = StepOutcome(status=Status.OK, checks={"schema": "ok", "assets": "warning"})
    one.steps["publish"] = StepOutcome(
        status=Status.CACHED,
        files=[PublishedFile(file="a.mp4", channel="web", url="file:///p/a.mp4", action="skipped")],
    )
    journal.record(one)
    data = json.loads(path.read_text())
    assert (data["kind"], data["schema"]) == ("batch-journal", 1)
    assert data["psas"]["satu/psa.yaml"]["steps"]["publish"]["status"] == "cached"
    again = BatchJournal.read(path)
    assert again.psas["satu/psa.yaml"] == PsaEntry(fingerprint="f1", psa_id="satu", steps=one.steps)


@pytest.mark.parametrize(
    ("status", "reused"),
    [(Status.OK, True), (Status.CACHED, True), (Status.REFUSED, True), (Status.FAILED, False), (Status.SKIPPED, False)],
)
def test_only_settled_outcomes_with_the_same_fingerprint_are_reused(
    tmp_path: Path, status: Status, reused: bool
) -> None:
    path = tmp_path / "batch-journal.json"
    first = state()
    first.steps["build"] = StepOutcome(status=status, error=None if status.finished else "x")
    Journal(path).record(first)
    journal = Journal(path)
    assert (journal.reusable(state(), "build") is not None) is reused
    assert journal.reusable(state(fingerprint="changed"), "build") is None
    assert journal.reusable(state(), "publish") is None
    assert Journal(path, fresh=True).reusable(state(), "build") is None  # --force


def test_a_journal_from_a_newer_psa_is_refused_naming_the_file_and_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "batch-journal.json"
    path.write_text(json.dumps({"kind": "batch-journal", "schema": 2, "psas": {}}))
    with pytest.raises(PsaError) as raised:
        Journal(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: written by a newer psa (schema 2; this psa reads up to 1): upgrade psa")
    assert "--force" in message
    Journal(path, fresh=True).record(state())  # --force starts a new journal
    assert BatchJournal.read(path).psas.keys() == {"satu/psa.yaml"}


def test_a_journal_of_loose_dicts_from_before_the_record_is_refused_not_guessed_at(tmp_path: Path) -> None:
    path = tmp_path / "batch-journal.json"
    path.write_text(
        json.dumps({"psas": {"satu/psa.yaml": {"fingerprint": "f1", "steps": {"build": {"status": "ok"}}}}})
    )
    with pytest.raises(PsaError, match="holds a 'None' record, expected 'batch-journal'"):
        Journal(path)


def test_an_unknown_status_in_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "batch-journal.json"
    entry = {"fingerprint": "f1", "steps": {"build": {"status": "built"}}}
    path.write_text(json.dumps({"kind": "batch-journal", "schema": 1, "psas": {"satu/psa.yaml": entry}}))
    with pytest.raises(
        RecordError, match=r"malformed batch-journal record at psas\.satu/psa\.yaml\.steps\.build\.status"
    ):
        BatchJournal.read(path)
