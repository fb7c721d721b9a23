"""The fingerprint an approval covers: exactly the built files of one PSA, by content."""

from __future__ import annotations

import hashlib

from psa_pipeline.core.problems import PsaError
from psa_pipeline.records.renditions import RenditionsRecord


class ApprovalError(PsaError):
    """An approval that cannot be written or trusted: named file, and what to do."""


class NotApproved(ApprovalError):
    """No valid approval covers the PSA's current build: publishing is refused."""


def fingerprint(record: RenditionsRecord) -> str:
    """SHA-256 over the sorted (file, sha256) pairs of every rendition and sidecar.

    Content only (no times, sizes or cache keys): an identical rebuild keeps its approval, and
    any rebuild with other bytes, or a file added or dropped, needs a new one.
    """
    pairs = sorted({(f.file, f.sha256) for entry in record.renditions for f in entry.files()})
    digest = hashlib.sha256()
    for file, sha in pairs:
        digest.update(f"{file}\t{sha}\n".encode())
    return digest.hexdigest()


def file_count(record: RenditionsRecord) -> int:
    return len({f.file for entry in record.renditions for f in entry.files()})
