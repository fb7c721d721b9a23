"""Where published files go: an S3-compatible object store (boto3) or a folder (NAS, playout watch folder).

Both backends offer the same small interface, so the staged publication in `publish.py` is
written once: look at what is there, upload, read back and hash, write JSON documents.
Credentials come only from the standard AWS chain (environment, profile, instance role).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from psa_pipeline.channels.destinations import FolderDestination, S3Destination
from psa_pipeline.core.atomic import atomic_text, temporary_name
from psa_pipeline.core.hashing import CHUNK, sha256_file
from psa_pipeline.core.problems import PsaError

Progress = Callable[[int], None]


class PublishError(PsaError):
    """A file could not be published or verified."""


@dataclass(frozen=True)
class Existing:
    sha256: str | None  # None when the object carries no checksum we can trust
    size: int


class Backend(Protocol):
    def url(self, key: str) -> str: ...
    def existing(self, key: str) -> Existing | None: ...
    def upload(
        self, local: Path, key: str, meta: dict[str, str], content_type: str, progress: Progress, only_if_absent: bool
    ) -> None: ...
    def read_sha256(self, key: str) -> str: ...
    def read_json(self, key: str) -> dict[str, Any] | None: ...
    def write_json(self, key: str, data: dict[str, Any]) -> None: ...
    def abort_stale_uploads(self, prefix: str) -> int: ...


class FolderBackend:
    """A folder: every write is temporary name, fsync, rename, so watchers never see half a file."""

    def __init__(self, config: FolderDestination) -> None:
        self.root = config.path

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise PublishError(f"key '{key}' would leave the destination folder {self.root}")
        return path

    def url(self, key: str) -> str:
        return str(self.root / key)

    def existing(self, key: str) -> Existing | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return Existing(sha256_file(path), path.stat().st_size)

    def upload(
        self, local: Path, key: str, meta: dict[str, str], content_type: str, progress: Progress, only_if_absent: bool
    ) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_name(path)
        try:
            with local.open("rb") as source, temporary.open("wb") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    progress(len(chunk))
                target.flush()
                os.fsync(target.fileno())
            if only_if_absent:
                # link() fails if the name exists: no other publisher's file is overwritten, even in a race.
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    raise PublishError(f"{path} appeared while publishing (another publisher?); run again") from None
            else:
                os.replace(temporary, path)
            _fsync_dir(path.parent)
        finally:
            temporary.unlink(missing_ok=True)

    def read_sha256(self, key: str) -> str:
        return sha256_file(self._path(key))

    def read_json(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise PublishError(f"{path} is not valid JSON ({exc}); fix or remove it") from None
        return data if isinstance(data, dict) else None

    def write_json(self, key: str, data: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_text(path) as handle:
            json.dump(data, handle, indent=2, ensure_ascii=False)
        _fsync_dir(path.parent)

    def abort_stale_uploads(self, prefix: str) -> int:
        """Temporary files left by a killed publish."""
        folder = self._path(prefix) if prefix else self.root
        count = 0
        for part in folder.rglob(".*.part") if folder.exists() else []:
            part.unlink(missing_ok=True)
            count += 1
        return count


def _fsync_dir(folder: Path) -> None:
    # The rename itself must survive a power loss, not just the file's bytes.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Backend:
    """An S3-compatible bucket through boto3's managed transfers, with bounded retries."""

    def __init__(self, config: S3Destination) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.config = config
        self.client = boto3.client(
            "s3",
            endpoint_url=config.endpoint_url,
            region_name=config.region,
            config=Config(
                # total_max_attempts counts the first try too; plain max_attempts would add one more.
                retries={"total_max_attempts": config.max_attempts, "mode": "standard"},
                connect_timeout=min(10.0, config.timeout_seconds),
                read_timeout=config.timeout_seconds,
                s3={"addressing_style": "path"},
            ),
        )
        threshold = int(config.multipart_threshold_mb * 1024 * 1024)
        self.transfer = TransferConfig(
            multipart_threshold=threshold, multipart_chunksize=max(threshold, 5 * 1024 * 1024)
        )

    def _key(self, key: str) -> str:
        return f"{self.config.prefix}{key}"

    def url(self, key: str) -> str:
        base = (
            self.config.public_base_url
            or f"{self.config.endpoint_url or 'https://s3.amazonaws.com'}/{self.config.bucket}"
        )
        return f"{base.rstrip('/')}/{self._key(key)}"

    def existing(self, key: str) -> Existing | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.config.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise PublishError(f"{self.url(key)}: {_client_error(exc)}") from None
        return Existing(head.get("Metadata", {}).get("sha256"), int(head.get("ContentLength", 0)))

    def upload(
        self, local: Path, key: str, meta: dict[str, str], content_type: str, progress: Progress, only_if_absent: bool
    ) -> None:
        extra: dict[str, Any] = {
            "ContentType": content_type,
            "ContentDisposition": f'attachment; filename="{local.name}"',
            "Metadata": meta,
            "ChecksumAlgorithm": "SHA256",
        }
        if self.config.cache_control:
            extra["CacheControl"] = self.config.cache_control
        if self.config.storage_class:
            extra["StorageClass"] = self.config.storage_class
        if self.config.public:
            extra["ACL"] = "public-read"
        size = local.stat().st_size
        if only_if_absent and size < self.transfer.multipart_threshold:
            # A conditional write: the server refuses it if someone created the key since we looked.
            # Managed (multipart) transfers cannot carry If-None-Match; those rely on the check before.
            from botocore.exceptions import ClientError

            try:
                with local.open("rb") as body:
                    self.client.put_object(
                        Bucket=self.config.bucket, Key=self._key(key), Body=body, IfNoneMatch="*", **extra
                    )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                    raise PublishError(
                        f"{self.url(key)} appeared while publishing (another publisher?); run again"
                    ) from None
                raise
            progress(size)
            return
        self.client.upload_file(
            str(local), self.config.bucket, self._key(key), ExtraArgs=extra, Config=self.transfer, Callback=progress
        )

    def read_sha256(self, key: str) -> str:
        body = self.client.get_object(Bucket=self.config.bucket, Key=self._key(key))["Body"]
        digest = hashlib.sha256()
        for chunk in iter(lambda: body.read(CHUNK), b""):
            digest.update(chunk)
        return digest.hexdigest()

    def read_json(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.config.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise PublishError(f"{self.url(key)}: {_client_error(exc)}") from None
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PublishError(f"{self.url(key)} is not valid JSON ({exc})") from None
        return data if isinstance(data, dict) else None

    def write_json(self, key: str, data: dict[str, Any]) -> None:
        body = json.dumps(data, indent=2, ensure_ascii=False).encode()
        extra: dict[str, Any] = {"ContentType": "application/json", "CacheControl": "no-cache"}
        if self.config.public:
            extra["ACL"] = "public-read"
        self.client.put_object(Bucket=self.config.bucket, Key=self._key(key), Body=body, **extra)

    def abort_stale_uploads(self, prefix: str) -> int:
        """Multipart uploads a killed run left open under `prefix` (they cost storage and never finish)."""
        count = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.config.bucket, Prefix=self._key(prefix)):
            for upload in page.get("Uploads", []):
                self.client.abort_multipart_upload(
                    Bucket=self.config.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                count += 1
        return count


def _client_error(exc: Any) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")


def backend(config: FolderDestination | S3Destination) -> Backend:
    if isinstance(config, FolderDestination):
        return FolderBackend(config)
    return S3Backend(config)
