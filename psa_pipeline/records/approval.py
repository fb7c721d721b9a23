"""`approvals/<psa-id>.json`: every review decision on one PSA, oldest first, append-only.

Each event names the reviewer, their role, the decision and the fingerprint of exactly the
built renditions they looked at (approval/fingerprint.py). Each event also carries a digest that
chains it to the one before, so an event edited, removed or reordered by hand is noticed when the
history is read (approval/store.py), not trusted.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from psa_pipeline.records.base import Record

Decision = Literal["approve", "request-changes"]
DECISIONS: tuple[Decision, ...] = ("approve", "request-changes")
SHA256 = r"^[0-9a-f]{64}$"
GENESIS = "0" * 64


class ApprovalEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    psa_id: str = Field(min_length=1, max_length=200)
    reviewer: str = Field(min_length=1, max_length=200, description="The reviewer's full name.")
    role: str = Field(min_length=1, max_length=200, description="The reviewer's position, e.g. Kepala Bidang IKP.")
    decision: Decision
    comment: str = Field("", max_length=5000)
    at: str = Field(description="When the decision was made (UTC, ISO 8601).")
    fingerprint: str = Field(pattern=SHA256, description="approval/fingerprint.py of the renditions reviewed.")
    files: int = Field(ge=1, description="How many built files the fingerprint covers (for people reading the file).")
    via: Literal["cli", "review-app"]
    digest: str = Field(pattern=SHA256, description="SHA-256 of the previous event's digest and this event.")

    def body(self) -> dict[str, object]:
        return self.model_dump(mode="json", exclude={"digest"})


def chain_digest(previous: str, body: dict[str, object]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


class ApprovalHistory(Record):
    KIND = "approvals"
    VERSION = 1

    psa_id: str
    events: list[ApprovalEvent] = Field(default_factory=list)
