"""Deciding and checking: a decision recorded against a build, and the check publish makes before uploading."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from psa_pipeline.approval.fingerprint import ApprovalError, NotApproved, file_count, fingerprint
from psa_pipeline.approval.store import append, check_id, check_person, read_history
from psa_pipeline.build.one_psa import RECORD
from psa_pipeline.core.i18n import _
from psa_pipeline.manifest.model import Approval
from psa_pipeline.manifest.rules import is_placeholder
from psa_pipeline.records.approval import GENESIS, ApprovalEvent, ApprovalHistory, Decision
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.renditions import RenditionsRecord


@dataclass(frozen=True)
class Standing:
    """Where a PSA's current build stands with the reviewers."""

    fingerprint: str
    decision: ApprovalEvent | None  # the latest decision on exactly this build
    earlier: ApprovalEvent | None  # the latest decision on another build, if any

    @property
    def approved(self) -> bool:
        return self.decision is not None and self.decision.decision == "approve"


def read_build(build_root: Path, psa_id: str) -> RenditionsRecord:
    path = build_root / check_id(psa_id) / RECORD
    if not path.is_file():
        raise ApprovalError(
            _("{path}: not found: '{id}' has not been built in {build}; only built PSAs can be reviewed").format(
                path=path, id=psa_id, build=build_root)
        )  # fmt: skip
    try:
        record = RenditionsRecord.read(path)
    except RecordError as exc:
        raise ApprovalError(str(exc)) from None
    if record.psa.id != psa_id:
        raise ApprovalError(_("{path}: is the build of '{other}', not '{id}'").format(
            path=path, other=record.psa.id, id=psa_id))  # fmt: skip
    return record


def standing(history: ApprovalHistory | None, record: RenditionsRecord) -> Standing:
    current = fingerprint(record)
    events = history.events if history else []
    mine = [e for e in events if e.fingerprint == current]
    others = [e for e in events if e.fingerprint != current]
    return Standing(current, mine[-1] if mine else None, others[-1] if others else None)


def decide(
    approvals: Path,
    build_root: Path,
    psa_id: str,
    reviewer: str,
    role: str,
    decision: Decision,
    comment: str = "",
    via: str = "cli",
    expected: str | None = None,
) -> ApprovalEvent:
    """Record a reviewer's decision on the PSA's build as it is now on disk.

    `expected`: the fingerprint the reviewer was shown (the review page); if the build changed
    since, the decision is refused rather than applied to renditions nobody looked at.
    """
    check_person(reviewer.strip(), role.strip())
    record = read_build(build_root, psa_id)
    current = fingerprint(record)
    if expected is not None and expected != current:
        raise ApprovalError(
            _("'{id}' was rebuilt after this page was opened; reload it and review the new renditions").format(
                id=psa_id
            )
        )
    event = ApprovalEvent(
        psa_id=psa_id, reviewer=reviewer.strip(), role=role.strip(), decision=decision, comment=comment.strip(),
        at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), fingerprint=current,
        files=file_count(record), via="review-app" if via == "review-app" else "cli", digest=GENESIS,
    )  # fmt: skip
    return append(approvals, event)


def check_approval(approvals: Path, psa_id: str, record: RenditionsRecord) -> ApprovalEvent:
    """The approval that covers this build, or NotApproved saying what to run."""
    state = standing(read_history(approvals, psa_id), record)
    command = f"psa approve {psa_id} --approvals {approvals} --reviewer NAME --role POSITION"
    if state.approved and state.decision is not None:
        return state.decision
    if state.decision is not None:
        raise NotApproved(
            _("{id}: {reviewer} ({role}) requested changes on this build on {at}: \"{comment}\"; rebuild with "
              "the changes and have it reviewed again").format(
                id=psa_id, reviewer=state.decision.reviewer, role=state.decision.role, at=state.decision.at,
                comment=state.decision.comment)
        )  # fmt: skip
    if state.earlier is not None:
        raise NotApproved(
            _("{id}: the build changed since it was reviewed on {at} (approvals cover the exact renditions); "
              "review it again with psa review, or run: {command}").format(
                id=psa_id, at=state.earlier.at, command=command)
        )  # fmt: skip
    raise NotApproved(
        _("{id}: no reviewer has approved this build (in {folder}); review it with psa review, or run: {command}")
        .format(id=psa_id, folder=approvals, command=command)
    )  # fmt: skip


def check_sign_off(manifest_file: Path, approval: Approval | None) -> None:
    """The agency's own sign-off (the manifest's `approval:` block): present, real, not dated ahead."""
    if approval is None:
        raise NotApproved(
            _("{file}: no agency sign-off; add an `approval:` block (approved_by, role, date) before publishing")
            .format(file=manifest_file)
        )  # fmt: skip
    if is_placeholder(approval.approved_by) or is_placeholder(approval.role):
        raise NotApproved(
            _("{file}: the `approval:` block holds a placeholder ('{name}', '{role}'): write the name and position "
              "of the official who signed the PSA off").format(
                file=manifest_file, name=approval.approved_by, role=approval.role)
        )  # fmt: skip
    if approval.date > dt.date.today():
        raise NotApproved(
            _("{file}: the `approval:` date {date} is in the future: write the date it was signed off").format(
                file=manifest_file, date=approval.date)
        )  # fmt: skip
