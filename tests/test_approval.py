"""A reviewer's approval covers exactly the build they looked at: publish refuses anything else, saying what to run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakebuild import FakePsa, fake_psa
from helpers import run_psa

from psa_pipeline.approval.fingerprint import ApprovalError, fingerprint
from psa_pipeline.approval.gate import decide
from psa_pipeline.approval.store import default_dir, read_history
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import FolderDestination
from psa_pipeline.core import i18n
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_psa
from psa_pipeline.records.renditions import RenditionsRecord

# Publishing fingerprints every file with ffmpeg, so the publish steps here need it.
pytestmark = pytest.mark.media

REVIEWER, ROLE = "Siti Rahmawati", "Kepala Bidang IKP"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    i18n.choose("en")
    yield
    i18n.choose(None)


def folder_config(root: Path) -> ChannelConfig:
    return ChannelConfig(destinations={"default": FolderDestination(type="folder", path=root)})


def published(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def record_of(psa: FakePsa) -> RenditionsRecord:
    return RenditionsRecord.read(psa.build_root / psa.psa_id / "renditions.json")


def approvals_file(psa: FakePsa) -> Path:
    return default_dir(psa.build_root) / f"{psa.psa_id}.json"


def test_the_fingerprint_is_the_sorted_file_hashes_computed_independently(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    lines = sorted(f"{name}\t{hashlib.sha256(data).hexdigest()}\n" for name, data in psa.files.items())
    assert fingerprint(record_of(psa)) == hashlib.sha256("".join(lines).encode()).hexdigest()
    same = fake_psa(tmp_path / "again", "spot-satu", approved=False)  # an identical rebuild
    assert fingerprint(record_of(same)) == fingerprint(record_of(psa))
    other = fake_psa(tmp_path / "other", "spot-satu", version="2", approved=False)
    assert fingerprint(record_of(other)) != fingerprint(record_of(psa))


def test_without_a_reviewers_approval_nothing_is_published_and_the_command_is_named(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    result = publish_psa(psa.manifest, folder_config(tmp_path / "out"), psa.build_root)
    assert result.status == Status.REFUSED
    assert "no reviewer has approved this build" in (result.error or "")
    assert "psa approve spot-satu --approvals" in (result.error or "")
    assert published(tmp_path / "out") == []


def test_an_approval_covers_its_build_and_a_rebuild_with_other_bytes_needs_a_new_one(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    decide(default_dir(psa.build_root), psa.build_root, psa.psa_id, REVIEWER, ROLE, "approve", "checked")
    config = folder_config(tmp_path / "out")
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    rebuilt = fake_psa(tmp_path, "spot-satu", version="2", approved=False)
    before = {p: p.read_bytes() for p in published(tmp_path / "out")}
    result = publish_psa(rebuilt.manifest, config, rebuilt.build_root, replace=True)
    assert result.status == Status.REFUSED and "the build changed since it was reviewed" in (result.error or "")
    assert {p: p.read_bytes() for p in published(tmp_path / "out")} == before
    decide(default_dir(psa.build_root), psa.build_root, psa.psa_id, REVIEWER, ROLE, "approve")
    assert publish_psa(rebuilt.manifest, config, rebuilt.build_root, replace=True).status == Status.OK


def test_requested_changes_block_publishing_with_the_reviewers_words(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu")  # approved ...
    decide(default_dir(psa.build_root), psa.build_root, psa.psa_id, "Budi Santoso", "Kasi Humas", "request-changes",
           "logo KPK terpotong di akhir")  # fmt: skip
    result = publish_psa(psa.manifest, folder_config(tmp_path / "out"), psa.build_root)
    assert result.status == Status.REFUSED  # ... then the latest decision on this build asks for changes
    assert "Budi Santoso" in (result.error or "") and "logo KPK terpotong di akhir" in (result.error or "")


@pytest.mark.parametrize(
    ("reviewer", "role", "expected"),
    [("Nama Pejabat", ROLE, "placeholder"), ("", ROLE, "placeholder"), (REVIEWER, "  ", "placeholder"),
     (REVIEWER, "Jabatan", "placeholder"), ("xxx", ROLE, "placeholder")],
)  # fmt: skip
def test_placeholder_names_and_empty_roles_are_refused(tmp_path: Path, reviewer: str, role: str, expected: str) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    with pytest.raises(ApprovalError, match=expected):
        decide(default_dir(psa.build_root), psa.build_root, psa.psa_id, reviewer, role, "approve")
    assert not approvals_file(psa).exists()


def test_approving_a_psa_that_is_not_in_the_build_is_refused(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    with pytest.raises(ApprovalError, match="has not been built"):
        decide(default_dir(psa.build_root), psa.build_root, "spot-lain", REVIEWER, ROLE, "approve")
    with pytest.raises(ApprovalError, match="is not a PSA id"):
        decide(default_dir(psa.build_root), psa.build_root, "../spot-satu", REVIEWER, ROLE, "approve")


def _edit(path: Path, change: dict[str, object], event: int = 0) -> None:
    data = json.loads(path.read_text())
    data["events"][event].update(change)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"decision": "approve"}, "digest mismatch"),  # a request for changes turned into an approval
        ({"fingerprint": "0" * 64}, "digest mismatch"),  # pointed at another build
        ({"reviewer": "Nama Pejabat"}, "placeholder"),
        ({"at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()}, "in the future"),
        ({"decision": "setuju"}, "malformed approvals record at events.0.decision"),
        ({"extra": 1}, "malformed approvals record"),
    ],
)
def test_hand_edited_approvals_are_refused_and_nothing_is_published(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    folder = default_dir(psa.build_root)
    decide(folder, psa.build_root, psa.psa_id, REVIEWER, ROLE, "request-changes", "suara terlalu pelan")
    _edit(approvals_file(psa), change)
    result = publish_psa(psa.manifest, folder_config(tmp_path / "out"), psa.build_root)
    assert result.status == Status.REFUSED and expected in (result.error or ""), result.error
    assert str(approvals_file(psa)) in (result.error or "")
    assert published(tmp_path / "out") == []
    with pytest.raises(ApprovalError):  # and no decision is appended to a history that cannot be trusted
        decide(folder, psa.build_root, psa.psa_id, REVIEWER, ROLE, "approve")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{not json", "not valid JSON"), ('{"kind": "approvals", "schema": 9, "psa_id": "spot-satu", "events": []}',
     "newer psa"), ('{"kind": "approvals", "schema": 1, "psa_id": "spot-dua", "events": []}', "not 'spot-satu'")],
)  # fmt: skip
def test_malformed_or_foreign_approval_files_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    approvals_file(psa).parent.mkdir(parents=True, exist_ok=True)
    approvals_file(psa).write_text(text)
    result = publish_psa(psa.manifest, folder_config(tmp_path / "out"), psa.build_root)
    assert result.status == Status.REFUSED and expected in (result.error or ""), result.error
    assert published(tmp_path / "out") == []


def test_removing_an_event_from_the_history_is_noticed(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    folder = default_dir(psa.build_root)
    decide(folder, psa.build_root, psa.psa_id, "Budi Santoso", "Kasi Humas", "request-changes", "ulang")
    decide(folder, psa.build_root, psa.psa_id, REVIEWER, ROLE, "approve")
    data = json.loads(approvals_file(psa).read_text())
    data["events"] = data["events"][1:]
    approvals_file(psa).write_text(json.dumps(data))
    with pytest.raises(ApprovalError, match="decision 1: was changed, removed or reordered"):
        read_history(folder, psa.psa_id)


def _decide_many(folder: str, build_root: str, start: int) -> None:
    for n in range(start, start + 10):
        decide(Path(folder), Path(build_root), "spot-satu", f"Reviewer Nomor {n}", ROLE, "approve")


def test_concurrent_decisions_all_land_in_one_valid_history(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    folder = default_dir(psa.build_root)
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_decide_many, args=(str(folder), str(psa.build_root), 10 * k)) for k in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    history = read_history(folder, psa.psa_id)
    assert history is not None
    assert sorted(e.reviewer for e in history.events) == sorted(f"Reviewer Nomor {n}" for n in range(40))


def test_psa_approve_on_the_command_line(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)
    common = ("--build", psa.build_root)
    refused = run_psa("--lang", "en", "approve", "spot-satu", "--reviewer", "Nama Pejabat", "--role", ROLE, *common)
    assert refused.code == 1 and "placeholder" in refused.stdout
    changes = run_psa("approve", "spot-satu", "--reviewer", REVIEWER, "--role", ROLE, "--request-changes", *common)
    assert changes.code == 2  # a request for changes says what must change
    ok = run_psa("approve", "spot-satu", "--reviewer", REVIEWER, "--role", ROLE, "--comment", "cek", *common)
    assert ok.code == 0, ok.stdout + ok.stderr
    history = read_history(default_dir(psa.build_root), "spot-satu")
    assert history is not None and [(e.reviewer, e.decision, e.via) for e in history.events] == [
        (REVIEWER, "approve", "cli")
    ]
    assert history.events[0].fingerprint == fingerprint(record_of(psa)) and history.events[0].files == 2
    result = publish_psa(psa.manifest, folder_config(tmp_path / "out"), psa.build_root)
    assert result.status == Status.OK, result.error


@pytest.mark.parametrize(
    ("line", "expected"),
    [("approval: {approved_by: Nama Pejabat, role: Kepala Dinas, date: 2025-02-01}", "placeholder"),
     ("approval: {approved_by: Ahmad, role: Jabatan, date: 2025-02-01}", "placeholder"),
     (f"approval: {{approved_by: Ahmad, role: Kepala Dinas, date: {dt.date.today() + dt.timedelta(days=9)}}}",
      "in the future"), ("", "no agency sign-off")],
)  # fmt: skip
def test_the_agencys_own_sign_off_must_be_real_even_with_a_reviewers_approval(
    tmp_path: Path, line: str, expected: str
) -> None:
    psa = fake_psa(tmp_path, "spot-satu")  # approved by a reviewer
    text = psa.manifest.read_text()
    psa.manifest.write_text("\n".join(line if t.startswith("approval:") else t for t in text.splitlines()) + "\n")
    result = publish_psa(psa.manifest, folder_config(tmp_path / "out"), psa.build_root)
    assert result.status == Status.REFUSED and expected in (result.error or ""), result.error
    assert str(psa.manifest) in (result.error or "")
    assert published(tmp_path / "out") == []
