"""One status vocabulary for every stage: build, publish, batch and the review report say the same words."""

from __future__ import annotations

from enum import StrEnum

from psa_pipeline.core.i18n import N_, _


class Status(StrEnum):
    OK = "ok"  # done now
    CACHED = "cached"  # nothing to do: the same inputs were done before
    SKIPPED = "skipped"  # not attempted because an earlier step did not finish
    REFUSED = "refused"  # not done on purpose (no approval, out-of-date build, another agency's id)
    FAILED = "failed"  # tried and did not succeed

    @property
    def finished(self) -> bool:
        return self in (Status.OK, Status.CACHED)


# The same words in the user's language, for terminals and reports (the values above stay in the records).
_WORDS = {
    Status.OK: N_("ok"),
    Status.CACHED: N_("cached"),
    Status.SKIPPED: N_("skipped"),
    Status.REFUSED: N_("refused"),
    Status.FAILED: N_("failed"),
}


def said(status: Status) -> str:
    """The status as the user reads it, in their language."""
    return _(_WORDS[status])
