"""One status vocabulary for every stage: build, publish, batch and the review report say the same words."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OK = "ok"  # done now
    CACHED = "cached"  # nothing to do: the same inputs were done before
    SKIPPED = "skipped"  # not attempted because an earlier step did not finish
    REFUSED = "refused"  # not done on purpose (no approval, out-of-date build, another agency's id)
    FAILED = "failed"  # tried and did not succeed

    @property
    def finished(self) -> bool:
        return self in (Status.OK, Status.CACHED)
