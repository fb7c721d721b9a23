"""The approvals folder: one append-only history file per PSA, appended under a lock, read with checks.

Appends take an exclusive lock on `<psa-id>.lock`, read the history, add the event chained to
the last one and replace the file atomically: two reviewers deciding at the same moment both land,
in order, and a crash leaves the old history whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psa_pipeline.approval.fingerprint import ApprovalError
from psa_pipeline.core.i18n import _
from psa_pipeline.core.oslock import held
from psa_pipeline.manifest.rules import is_placeholder
from psa_pipeline.records.approval import GENESIS, ApprovalEvent, ApprovalHistory, chain_digest
from psa_pipeline.records.base import RecordError

APPROVALS = "approvals"
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
# Clocks of two machines differ a little; more than this ahead is a typed or forged date.
CLOCK_SLACK = dt.timedelta(minutes=5)


def default_dir(build_root: Path) -> Path:
    """`approvals/` beside the build folder: kept when the build folder is cleaned and rebuilt."""
    return build_root.parent / APPROVALS


def check_id(psa_id: str) -> str:
    """Ids become file names here and in the build folder: nothing that could leave either folder."""
    if not _SAFE_ID.fullmatch(psa_id) or ".." in psa_id:
        raise ApprovalError(_("'{id}' is not a PSA id (letters, digits, '.', '_' and '-')").format(id=psa_id))
    return psa_id


def history_path(folder: Path, psa_id: str) -> Path:
    return folder / f"{check_id(psa_id)}.json"


def check_person(reviewer: str, role: str) -> None:
    """A decision needs a real name and a real position: placeholders and blanks are refused."""
    if is_placeholder(reviewer):
        raise ApprovalError(
            _("reviewer '{name}' is a placeholder or empty: give your full name, e.g. --reviewer 'Siti Rahmawati'")
            .format(name=reviewer)
        )  # fmt: skip
    if is_placeholder(role):
        raise ApprovalError(
            _("role '{role}' is a placeholder or empty: give your position, e.g. --role 'Kepala Bidang IKP'")
            .format(role=role)
        )  # fmt: skip


def check_time(at: str, now: dt.datetime | None = None) -> None:
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        raise ApprovalError(_("'{at}' is not a date and time (ISO 8601)").format(at=at)) from None
    if when.tzinfo is None:
        raise ApprovalError(_("'{at}' has no time zone").format(at=at))
    if when > (now or dt.datetime.now(dt.UTC)) + CLOCK_SLACK:
        raise ApprovalError(_("decision time {at} is in the future").format(at=at))


def read_history(folder: Path, psa_id: str) -> ApprovalHistory | None:
    """The PSA's history, every event checked; a file edited by hand is refused, naming it and the event."""
    path = history_path(folder, psa_id)
    try:
        history = ApprovalHistory.read_if_exists(path)
    except RecordError as exc:
        raise ApprovalError(
            _("{error}; approvals are written only by psa approve and psa review: restore the file from a backup "
              "or move it away and approve again").format(error=exc)
        ) from None  # fmt: skip
    if history is None:
        return None
    if history.psa_id != psa_id:
        raise ApprovalError(_("{path}: holds approvals of '{other}', not '{id}'").format(
            path=path, other=history.psa_id, id=psa_id))  # fmt: skip
    previous = GENESIS
    for number, event in enumerate(history.events, start=1):
        try:
            if event.psa_id != psa_id:
                raise ApprovalError(_("is for PSA '{other}'").format(other=event.psa_id))
            check_person(event.reviewer, event.role)
            check_time(event.at)
            if event.digest != chain_digest(previous, event.body()):
                raise ApprovalError(_("was changed, removed or reordered after it was written (digest mismatch)"))
        except ApprovalError as exc:
            raise ApprovalError(
                _("{path}: decision {n}: {problem}; this approvals file cannot be trusted: move it away and "
                  "approve again").format(path=path, n=number, problem=exc.message)
            ) from None  # fmt: skip
        previous = event.digest
    return history


@contextmanager
def _locked(folder: Path, psa_id: str) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    lock = history_path(folder, psa_id).with_suffix(".lock")
    with lock.open("a+b") as handle, held(handle):
        yield


def append(folder: Path, event: ApprovalEvent) -> ApprovalEvent:
    """Add `event` (its digest is replaced by the chained one) to the PSA's history; returns what was stored."""
    check_person(event.reviewer, event.role)
    check_time(event.at)
    with _locked(folder, event.psa_id):
        history = read_history(folder, event.psa_id) or ApprovalHistory(psa_id=event.psa_id)
        previous = history.events[-1].digest if history.events else GENESIS
        stored = event.model_copy(update={"digest": chain_digest(previous, event.body())})
        history = history.model_copy(update={"events": [*history.events, stored]})
        history.write(history_path(folder, event.psa_id))
    return stored
