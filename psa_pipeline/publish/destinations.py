"""Where published files go: an S3-compatible object store (boto3) or a folder (NAS, playout watch folder).

Both backends offer the same small interface, so the staged publication in `publish.py` is
written once: look at what is there, upload, verify the stored bytes, compare-and-swap small
JSON documents, and hold one PSA's folder exclusively while publishing it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from psa_pipeline.channels.destinations import FolderDestination, S3Destination, YouTubeDestination
from psa_pipeline.core.problems import PsaError

Progress = Callable[[int], None]


class PublishError(PsaError):
    """A file could not be published or verified."""


@dataclass(frozen=True)
class Existing:
    sha256: str | None  # what the object's metadata claims; None when it carries none
    size: int
    checksum: str | None = None  # SHA-256 of the stored bytes as the server computed it, when it keeps one


@dataclass(frozen=True)
class Versioned:
    data: bytes
    version: str  # ETag on S3, the content's SHA-256 in folders: what a conditional write compares


class Backend(Protocol):
    def url(self, key: str) -> str: ...
    def stored_key(self, key: str) -> str: ...
    def existing(self, key: str) -> Existing | None: ...
    def stored_sha256(self, key: str, size: int) -> str: ...
    def upload(
        self, local: Path, key: str, meta: dict[str, str], content_type: str, progress: Progress, only_if_absent: bool
    ) -> None: ...
    def read(self, key: str) -> Versioned | None: ...
    def write_if(self, key: str, data: bytes, version: str | None) -> bool: ...
    def write(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def exclusive(self, folder: str, what: str) -> AbstractContextManager[None]: ...
    def abort_stale_uploads(self, folder: str) -> int: ...


def backend(config: FolderDestination | S3Destination | YouTubeDestination) -> Backend:
    if isinstance(config, YouTubeDestination):
        # YouTube is not storage: publish.py hands youtube channels to publish/youtube.py before planning uploads.
        raise PublishError("a `type: youtube` destination cannot store files; give this channel a folder or s3 one")
    if isinstance(config, FolderDestination):
        from psa_pipeline.publish.folder import FolderBackend

        return FolderBackend(config)
    from psa_pipeline.publish.s3 import S3Backend

    return S3Backend(config)
