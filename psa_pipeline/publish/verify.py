"""`psa verify`: is this file, circulating on WhatsApp, an official rendition? ("cek sebelum sebar").

A catalogue comes from anywhere (a folder, a web server, a bucket), so it is input like any other:
parsed with its versioned model, read up to a size limit, fetched under one overall deadline, over
https only unless asked (redirects only to the same host), and its text escaped before printing.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.publish.catalogue import CATALOG_NAME
from psa_pipeline.recognise.catalogue import SOURCE
from psa_pipeline.records.base import MAX_RECORD_BYTES, RecordError
from psa_pipeline.records.publication import CatalogueRecord

MAX_CATALOG_BYTES = MAX_RECORD_BYTES
MAX_CATALOGS = 1000


class CatalogueUnreadable(PsaError):
    """The catalogue cannot be fetched or is not a catalogue: `psa verify` exits 2, not 1 ("not official")."""


@dataclass(frozen=True)
class Loaded:
    record: CatalogueRecord
    where: str  # the path or URL it was read from: fingerprint files are fetched from beside it


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, location: str) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise CatalogueUnreadable(
                _("cannot read catalogue {location}: no answer within {seconds:g} s").format(
                    location=location, seconds=self.seconds
                )
            )
        return remaining


def load_catalogs(
    location: str, endpoint_url: str | None = None, allow_http: bool = False, timeout: float = 60.0
) -> list[Loaded]:
    """Catalogues at a path (a file, or every index.json below a folder), an https URL, or s3://bucket/prefix."""
    deadline = _Deadline(timeout)
    if location.startswith("s3://"):
        return _s3_catalogs(location, endpoint_url, allow_http, deadline)
    if location.startswith(("http://", "https://")):
        return [_parse(_fetch(location, allow_http, deadline), location)]
    path = Path(location)
    if path.is_dir():
        # Where psa puts catalogues (<destination>/<channel>/index.json), not any index.json deeper down.
        files = [f for f in (path / CATALOG_NAME, *sorted(path.glob(f"*/{CATALOG_NAME}"))) if f.is_file()]
        if not files:
            raise CatalogueUnreadable(
                _("no {name} catalogue below {location}").format(name=CATALOG_NAME, location=path)
            )
        if len(files) > MAX_CATALOGS:
            raise CatalogueUnreadable(
                _("more than {count} catalogues below {location}; name one").format(count=MAX_CATALOGS, location=path)
            )
        return [_parse(_read_file(f), str(f)) for f in files]
    if path.is_file():
        return [_parse(_read_file(path), str(path))]
    raise CatalogueUnreadable(_("catalogue {location} not found").format(location=location))


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_CATALOG_BYTES + 1)
    except OSError as exc:
        raise CatalogueUnreadable(
            _("cannot read catalogue {location}: {reason}").format(location=path, reason=exc.strerror)
        ) from None


def _check_scheme(url: str, allow_http: bool) -> None:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme == "https" or (scheme == "http" and allow_http):
        return
    raise CatalogueUnreadable(
        _(
            "refusing catalogue {url}: only https:// "
            "(plain http:// can be altered on the way; --allow-http to accept it)"
        ).format(url=url)
    )


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_http: bool) -> None:
        self.allow_http = allow_http

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        old, new = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if new.hostname != old.hostname:
            raise CatalogueUnreadable(
                _("refusing catalogue {url}: it redirects to another host ({host})").format(
                    url=req.full_url, host=new.hostname
                )
            )
        _check_scheme(newurl, self.allow_http)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url: str, allow_http: bool, deadline: _Deadline) -> bytes:
    _check_scheme(url, allow_http)
    # No proxies from the environment: a catalogue check must reach the host it names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _SameHostRedirects(allow_http))
    chunks: list[bytes] = []
    size = 0
    try:
        with opener.open(url, timeout=min(30.0, deadline.left(url))) as response:
            while chunk := response.read(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_CATALOG_BYTES:
                    break
                deadline.left(url)
    except CatalogueUnreadable:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise CatalogueUnreadable(
            _("cannot read catalogue {location}: {reason}").format(location=url, reason=reason)
        ) from None
    return b"".join(chunks)


def _s3_catalogs(location: str, endpoint_url: str | None, allow_http: bool, deadline: _Deadline) -> list[Loaded]:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    if endpoint_url:
        _check_scheme(endpoint_url, allow_http)
    bucket, _slash, key = location[len("s3://") :].partition("/")
    seconds = max(1.0, min(30.0, deadline.left(location)))
    config = Config(
        connect_timeout=seconds, read_timeout=seconds, retries={"total_max_attempts": 2, "mode": "standard"}
    )
    client = boto3.client("s3", endpoint_url=endpoint_url, config=config)
    try:
        if key.rsplit("/", 1)[-1] == CATALOG_NAME:
            keys = [key]
        else:
            keys = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                deadline.left(location)
                keys += [o["Key"] for o in page.get("Contents", []) if _catalogue_key(o["Key"], key)]
                if len(keys) > MAX_CATALOGS:
                    raise CatalogueUnreadable(
                        _("more than {count} catalogues below {location}; name one").format(
                            count=MAX_CATALOGS, location=location
                        )
                    )
            if not keys:
                raise CatalogueUnreadable(
                    _("no {name} catalogue below {location}").format(name=CATALOG_NAME, location=location)
                )
        catalogs = []
        for k in keys:
            deadline.left(location)
            got = client.get_object(Bucket=bucket, Key=k)
            if int(got.get("ContentLength", 0)) > MAX_CATALOG_BYTES:
                raise CatalogueUnreadable(
                    _("{where}: larger than {size} bytes").format(where=f"s3://{bucket}/{k}", size=MAX_CATALOG_BYTES)
                )
            catalogs.append(_parse(got["Body"].read(MAX_CATALOG_BYTES + 1), f"s3://{bucket}/{k}"))
        return catalogs
    except (BotoCoreError, ClientError) as exc:
        raise CatalogueUnreadable(
            _("cannot read catalogue {location}: {reason}").format(location=location, reason=exc)
        ) from None


def _catalogue_key(key: str, prefix: str) -> bool:
    """`<prefix><channel>/index.json` or `<prefix>index.json`; not "fake-index.json", nor one deep in a PSA folder."""
    if not prefix.endswith("/") and prefix:
        prefix += "/"
    rest = key[len(prefix) :].split("/")
    return rest[-1] == CATALOG_NAME and len(rest) <= 2


def _parse(raw: bytes, where: str) -> Loaded:
    if len(raw) > MAX_CATALOG_BYTES:
        raise CatalogueUnreadable(
            _("{where}: larger than {size} bytes; not a psa-pipeline catalogue").format(
                where=where, size=MAX_CATALOG_BYTES
            )
        )
    try:
        return Loaded(CatalogueRecord.from_text(raw, where), where)
    except RecordError as exc:
        raise CatalogueUnreadable(_("not a psa-pipeline catalogue: {error}").format(error=exc)) from None


def for_recognition(catalogs: list[Loaded]) -> list[dict[str, Any]]:
    """The catalogues as recognition reads them: plain data, each with where it was read (for its fingerprints)."""
    return [{**c.record.model_dump(mode="json"), SOURCE: c.where} for c in catalogs]


def printable(text: str) -> str:
    """Text from a catalogue, safe for a terminal: control characters (escape sequences, newlines) shown escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
