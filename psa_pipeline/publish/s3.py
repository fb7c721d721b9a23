"""An S3-compatible bucket through boto3: managed transfers, bounded retries, conditional writes.

Documents several publishers update (the catalogue) are written with `If-Match` on the ETag read
(or `If-None-Match: *` when absent); the server refuses a write based on a stale read with 412,
and the caller re-reads, merges and tries again. One PSA's folder is held with a lease object
created by `If-None-Match: *`, so two runs never clean up or upload under each other.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psa_pipeline.channels.destinations import S3Destination
from psa_pipeline.core.hashing import CHUNK
from psa_pipeline.core.i18n import _
from psa_pipeline.core.processes import alive
from psa_pipeline.publish.destinations import Existing, Progress, PublishError, Versioned
from psa_pipeline.publish.locks import unique_suffix

LEASE_NAME = ".psa-publish.lock"
LEASE_SECONDS = 15 * 60  # a holder killed on another machine blocks re-runs at most this long
WAIT_SECONDS = 300.0
_MISSING = ("404", "NoSuchKey", "NotFound")
_CONFLICT = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class S3Backend:
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

    def stored_key(self, key: str) -> str:
        return f"{self.config.prefix}{key}"

    def url(self, key: str) -> str:
        base = (
            self.config.public_base_url
            or f"{self.config.endpoint_url or 'https://s3.amazonaws.com'}/{self.config.bucket}"
        )
        return f"{base}/{self.stored_key(key)}"

    @contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        """botocore's many exception types, after its retries, as one line naming the object and the limits."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

        try:
            yield
        except PublishError:
            raise
        except (ReadTimeoutError, ConnectionError) as exc:
            raise PublishError(
                _("{url}: no answer from {server} ({kind}; gave up after {attempts} attempts of {seconds:g} s each)")
                .format(url=self.url(key), server=self.config.endpoint_url or "S3", kind=type(exc).__name__,
                        attempts=self.config.max_attempts, seconds=self.config.timeout_seconds)
            ) from None  # fmt: skip
        except ClientError as exc:
            raise PublishError(f"{self.url(key)}: {_client_error(exc)}") from None
        except (BotoCoreError, S3UploadFailedError) as exc:
            raise PublishError(f"{self.url(key)}: {exc}") from None

    def _found(self, call: Any, key: str, **options: Any) -> Any:
        """A HEAD or GET of `key`; None when there is no such object."""
        from botocore.exceptions import ClientError

        with self._errors(key):
            try:
                return call(Bucket=self.config.bucket, Key=self.stored_key(key), **options)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    return None
                raise

    def existing(self, key: str) -> Existing | None:
        head = self._found(self.client.head_object, key, ChecksumMode="ENABLED")
        if head is None:
            return None
        size = int(head.get("ContentLength", 0))
        return Existing(head.get("Metadata", {}).get("sha256"), size, _full_object_sha256(head))

    def stored_sha256(self, key: str, size: int) -> str:
        """The stored bytes' SHA-256: the server's own full-object checksum if it keeps one, else read back."""
        found = self.existing(key)
        if found is not None and found.checksum and found.size == size:
            return found.checksum
        with self._errors(key):
            body = self.client.get_object(Bucket=self.config.bucket, Key=self.stored_key(key))["Body"]
            digest = hashlib.sha256()
            for chunk in iter(lambda: body.read(CHUNK), b""):
                digest.update(chunk)
            return digest.hexdigest()

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
        with self._errors(key):
            if size < self.transfer.multipart_threshold:
                # A conditional write when new: the server refuses it if someone created the key since we looked.
                condition = {"IfNoneMatch": "*"} if only_if_absent else {}
                with local.open("rb") as body:
                    if not self._put(key, body, **condition, **extra):
                        raise PublishError(
                            _("{path} appeared while publishing (another publisher?); run again").format(
                                path=self.url(key)
                            )
                        )
                progress(size)
                return
            # Managed (multipart) transfers cannot carry If-None-Match; the PSA's lease and the check before guard.
            self.client.upload_file(
                str(local),
                self.config.bucket,
                self.stored_key(key),
                ExtraArgs=extra,
                Config=self.transfer,
                Callback=progress,
            )

    def _put(self, key: str, body: Any, **extra: Any) -> bool:
        """PutObject; False when a condition (If-Match / If-None-Match) did not hold."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.config.bucket, Key=self.stored_key(key), Body=body, **extra)
        except ClientError as exc:
            if _code(exc) in _CONFLICT:
                return False
            if _code(exc) in ("NotImplemented", "501"):
                raise PublishError(
                    _("{url}: the server does not support conditional writes (If-Match / If-None-Match), "
                      "which concurrent publishing needs; see README, 'Guarantees and their limits'"
                      ).format(url=self.url(key))
                ) from None  # fmt: skip
            raise
        return True

    def _create(self, key: str, data: bytes) -> str | None:
        """Create `key` only if absent; its ETag, or None when it exists."""
        from botocore.exceptions import ClientError

        try:
            put = self.client.put_object(
                Bucket=self.config.bucket, Key=self.stored_key(key), Body=data, IfNoneMatch="*",
                ContentType="application/json",
            )  # fmt: skip
        except ClientError as exc:
            if _code(exc) in _CONFLICT:
                return None
            raise
        return str(put["ETag"])

    def read(self, key: str) -> Versioned | None:
        got = self._found(self.client.get_object, key)
        if got is None:
            return None
        with self._errors(key):
            return Versioned(got["Body"].read(), got["ETag"])

    def _json_extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"ContentType": "application/json", "CacheControl": "no-cache"}
        if self.config.public:
            extra["ACL"] = "public-read"
        return extra

    def write_if(self, key: str, data: bytes, version: str | None) -> bool:
        condition = {"IfMatch": version} if version is not None else {"IfNoneMatch": "*"}
        with self._errors(key):
            return self._put(key, data, **condition, **self._json_extra())

    def write(self, key: str, data: bytes) -> None:
        with self._errors(key):
            self._put(key, data, **self._json_extra())

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.config.bucket, Key=self.stored_key(key))

    @contextmanager
    def exclusive(self, folder: str, what: str) -> Iterator[None]:
        key = f"{folder}{LEASE_NAME}"
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            lease = {"host": socket.gethostname(), "pid": os.getpid(), "token": unique_suffix(),
                     "expires": time.time() + LEASE_SECONDS}  # fmt: skip
            with self._errors(key):
                etag = self._create(key, json.dumps(lease).encode())
                if etag is not None:
                    break
                held = self.read(key)
                if held is not None and self._stale(held):
                    self._delete_if(key, held.version)
                    continue
            if time.monotonic() > deadline:
                raise PublishError(
                    _("{what} is being published by another psa process (lease {url}); run again when it has finished")
                    .format(what=what, url=self.url(key))
                )  # fmt: skip
            time.sleep(0.2)
        try:
            yield
        finally:
            # Only our own lease: if it expired and another run took over, theirs has another ETag.
            with contextlib.suppress(PublishError), self._errors(key):
                self._delete_if(key, etag)

    def _stale(self, held: Versioned) -> bool:
        try:
            lease = json.loads(held.data)
            expired = float(lease["expires"]) < time.time()
            here = lease["host"] == socket.gethostname()
            pid = int(lease["pid"])
        except (ValueError, KeyError, TypeError):
            return True  # not a lease psa wrote: nothing to wait for
        return expired or (here and not alive(pid))

    def _delete_if(self, key: str, etag: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.delete_object(Bucket=self.config.bucket, Key=self.stored_key(key), IfMatch=etag)
        except ClientError as exc:
            if _code(exc) not in (*_CONFLICT, *_MISSING):
                raise

    def abort_stale_uploads(self, folder: str) -> int:
        """Multipart uploads a killed run left open in this PSA's folder (call with its lease held)."""
        count = 0
        with self._errors(folder):
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.config.bucket, Prefix=self.stored_key(folder)):
                for upload in page.get("Uploads", []):
                    self.client.abort_multipart_upload(
                        Bucket=self.config.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    count += 1
        return count


def _full_object_sha256(head: dict[str, Any]) -> str | None:
    checksum = head.get("ChecksumSHA256")
    # A multipart upload's checksum is usually a checksum of part checksums, not of the bytes; servers
    # do not all say so (ChecksumType), so only a single-part object's (plain ETag) is used.
    single = "-" not in head.get("ETag", "-") and "-" not in (checksum or "-")
    if not checksum or not single or head.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    return base64.b64decode(checksum).hex()


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _client_error(exc: Any) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip(": ")
