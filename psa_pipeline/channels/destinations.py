"""Where a channel's files are published, as configuration: a folder or an S3-compatible bucket.

Only the shape lives here, so `psa validate --channels` can check a destination before anything
is uploaded; the code that talks to the storage is in `psa_pipeline.publish.destinations`.
Key templates and prefixes are checked here, as validators, so every loader of a channels file
reports a bad one with its file and line instead of a traceback after uploads began.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, WrapValidator, field_validator

from psa_pipeline.core.i18n import _

DEFAULT_TEMPLATE = "{province}/{agency}/{year}/{id}/{channel}/{file}"
PLACEHOLDERS = ("province", "agency", "year", "id", "channel", "file")
# Without these a template maps several files, channels or PSAs onto one key.
REQUIRED_PLACEHOLDERS = ("id", "channel", "file")

Text = Annotated[str, Field(max_length=256)]


def check_key_template(template: str) -> str:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(
            _("key_template {template} is not a valid template ({error})").format(template=repr(template), error=exc)
        ) from None
    names = [name for _, name, _, _ in parsed if name is not None]
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ValueError(
                _("key_template has an unknown placeholder {name}; use only {known}").format(
                    name=f"{{{name}}}", known=", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                )
            )
        if spec or conversion:
            raise ValueError(
                _("key_template placeholder {name} must be plain, without ':' or '!'").format(name=f"{{{name}}}")
            )
    missing = [p for p in REQUIRED_PLACEHOLDERS if p not in names]
    if missing:
        raise ValueError(
            _("key_template must contain {names} (otherwise several files would share one key)").format(
                names=", ".join(f"{{{p}}}" for p in missing)
            )
        )
    segments = template.split("/")
    if segments[-1] != "{file}":
        # publication.json and the stale-upload cleanup work on the folder that holds one PSA's files.
        raise ValueError(_("key_template must end with the segment {segment}").format(segment="/{file}"))
    _check_segments(template, "key_template")
    return template


def _check_segments(value: str, what: str) -> None:
    if value.startswith("/") or "\\" in value:
        raise ValueError(
            _("{what} {value} must be a relative path with '/' separators").format(what=what, value=repr(value))
        )
    if any(segment in ("", ".", "..") for segment in value.split("/")):
        raise ValueError(
            _("{what} {value} must not have empty, '.' or '..' segments").format(what=what, value=repr(value))
        )


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError(
            _("{value} must start with https:// (or http:// for a local test server)").format(value=repr(value))
        )
    return value.rstrip("/") if value else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FolderDestination(_Strict):
    type: Literal["folder"]
    path: Path = Field(description="Root folder; relative paths are taken from the working directory.")
    key_template: Text = DEFAULT_TEMPLATE
    public_base_url: Text | None = Field(
        None,
        description="URL a web server serves this folder at; podcast feeds need it for their absolute links.",
    )

    _check_template = field_validator("key_template")(check_key_template)
    _check_url = field_validator("public_base_url")(_http_url)


class S3Destination(_Strict):
    type: Literal["s3"]
    bucket: Annotated[str, Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")]
    prefix: Text = Field("", description="Put before every key, e.g. `psa/`; a missing final '/' is added.")
    key_template: Text = DEFAULT_TEMPLATE
    endpoint_url: Text | None = Field(None, description="MinIO / Ceph endpoint; omit for AWS S3.")
    region: Annotated[str, Field(max_length=32)] = "us-east-1"
    storage_class: Annotated[str, Field(max_length=32)] | None = None
    public: bool = Field(False, description="Upload with the public-read ACL.")
    cache_control: Text | None = "public, max-age=86400"
    public_base_url: Text | None = Field(
        None, description="URL of the bucket root (CDN); the prefix and key are added to it. Default: endpoint."
    )
    multipart_threshold_mb: float = Field(16, gt=0)
    max_attempts: int = Field(4, ge=1, le=20, description="Tries per request, with backoff (botocore standard mode).")
    timeout_seconds: float = Field(20, gt=0, le=600, description="Connect and read timeout of each request.")

    _check_template = field_validator("key_template")(check_key_template)

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value:
            return value
        value = value if value.endswith("/") else value + "/"
        _check_segments(value[:-1], "prefix")
        return value

    _check_urls = field_validator("endpoint_url", "public_base_url")(_http_url)


class YouTubeDestination(_Strict):
    """A YouTube channel, through the YouTube Data API v3 (google-api-python-client); see README "YouTube"."""

    type: Literal["youtube"]
    token_file: Path = Field(description="OAuth token written by `psa auth youtube` (kept with 0600 permissions).")
    category_id: Annotated[str, Field(pattern=r"^[0-9]{1,3}$")] = Field(
        "29", description="YouTube video category; 29 is Nonprofits & Activism, 25 News & Politics."
    )
    privacy: Literal["public", "unlisted"] = Field(
        "public", description="What the video becomes once published; it is private until then."
    )
    playlist: Literal["agency", "campaign", "none"] = Field(
        "agency", description="Add each video to a playlist per agency, or per campaign (`campaign:` below)."
    )
    campaign: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    site_url: Text | None = Field(None, description="Public site address, linked from each video's description.")
    api_endpoint: Text | None = Field(None, description="Only for tests: a local server instead of Google's.")
    chunk_megabytes: float = Field(8, gt=0, le=1024, description="Resumable upload chunk size.")
    max_retries: int = Field(5, ge=0, le=20, description="Retries of each request and chunk, with backoff.")
    timeout_seconds: float = Field(60, gt=0, le=600, description="How long one request may wait for YouTube.")
    key_template: Text = Field(
        DEFAULT_TEMPLATE, description="Where its publication.json (with the video id) goes in the web destination."
    )

    _check_template = field_validator("key_template")(check_key_template)
    _check_urls = field_validator("site_url", "api_endpoint")(_http_url)


def _by_type(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # Chosen by hand rather than with a pydantic discriminator: a discriminator puts its tag into
    # every error's location (destinations.web.s3.prefix), which has no line in the YAML file.
    kinds: dict[object, type[BaseModel]] = {
        "folder": FolderDestination, "s3": S3Destination, "youtube": YouTubeDestination,
    }  # fmt: skip
    if isinstance(value, dict) and value.get("type") in kinds:
        return kinds[value["type"]].model_validate(value)
    if isinstance(value, FolderDestination | S3Destination | YouTubeDestination):
        return handler(value)
    raise ValueError(_("a destination needs `type: folder`, `type: s3` or `type: youtube`"))


DestinationConfig = Annotated[FolderDestination | S3Destination | YouTubeDestination, WrapValidator(_by_type)]
