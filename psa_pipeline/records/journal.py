"""`batch-journal.json`: what each step of `psa batch run` did for each PSA, so a re-run resumes.

Written after every finished task (atomically) and read at the start of the next run. An
outcome is reused only when the PSA's fingerprint is unchanged and the outcome is settled
(ok, cached, or refused on purpose); a failure is tried again.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from psa_pipeline.core.status import Status
from psa_pipeline.records.base import Record

Step = Literal["validate", "build", "publish"]
STEPS: tuple[Step, ...] = ("validate", "build", "publish")
CheckResult = Literal["ok", "warning", "error"]
# What publish did with one file (publish.FileOutcome.action); "skipped": already there with the same bytes.
FileAction = Literal[
    "pending", "uploaded", "skipped", "refused", "failed", "would upload", "would replace", "would repair"
]
# Settled outcomes: the same inputs would give the same answer, so a re-run keeps them.
SETTLED = frozenset({Status.OK, Status.CACHED, Status.REFUSED})


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublishedFile(_Part):
    file: str
    channel: str
    url: str
    action: FileAction


class StepOutcome(_Part):
    """One step's result for one PSA. A validate step that finds errors is `refused`."""

    status: Status
    error: str | None = None
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    checks: dict[str, CheckResult] = Field(default_factory=dict)
    rendered: list[str] = Field(default_factory=list)
    reused: list[str] = Field(default_factory=list)
    files: list[PublishedFile] = Field(default_factory=list)
    seconds: float | None = None
    at: str | None = None  # when the step finished (UTC, ISO 8601)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED

    @property
    def problems(self) -> list[str]:
        return self.errors or ([self.error] if self.error else [])


class PsaEntry(_Part):
    fingerprint: str
    psa_id: str | None = None
    steps: dict[Step, StepOutcome] = Field(default_factory=dict)


class BatchJournal(Record):
    KIND = "batch-journal"
    VERSION = 1

    psas: dict[str, PsaEntry] = Field(default_factory=dict, description="Manifest path (in the batch) -> entry.")
    updated_at: str | None = None


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
