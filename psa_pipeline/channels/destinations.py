"""Where a channel's files are published, as configuration: a folder or an S3-compatible bucket.

Only the shape lives here, so `psa validate --channels` can check a destination before anything
is uploaded; the code that talks to the storage is in `psa_pipeline.publish.destinations`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TEMPLATE = "{province}/{agency}/{year}/{id}/{channel}/{file}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderDestination(_Strict):
    type: Literal["folder"]
    path: Path = Field(description="Root folder; relative paths are taken from the working directory.")
    key_template: str = DEFAULT_TEMPLATE


class S3Destination(_Strict):
    type: Literal["s3"]
    bucket: Annotated[str, Field(min_length=3, max_length=63)]
    prefix: str = ""
    key_template: str = DEFAULT_TEMPLATE
    endpoint_url: str | None = Field(None, description="MinIO / Ceph endpoint; omit for AWS S3.")
    region: str = "us-east-1"
    storage_class: str | None = None
    public: bool = Field(False, description="Upload with the public-read ACL.")
    cache_control: str | None = "public, max-age=86400"
    public_base_url: str | None = Field(None, description="URL the public reaches files at (CDN); default: endpoint.")
    multipart_threshold_mb: float = Field(16, gt=0)
    max_attempts: int = Field(6, ge=1, le=20, description="Tries per request, with backoff (botocore standard mode).")
    timeout_seconds: float = Field(60, gt=0, le=600, description="Connect and read timeout of each request.")


DestinationConfig = Annotated[FolderDestination | S3Destination, Field(discriminator="type")]
