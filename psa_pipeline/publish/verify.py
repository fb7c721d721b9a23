"""`psa verify`: is this file, circulating on WhatsApp, an official rendition? ("cek sebelum sebar")."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psa_pipeline.core.problems import PsaError
from psa_pipeline.publish.publish import CATALOG_NAME
from psa_pipeline.recognise.catalogue import SOURCE

MAX_CATALOG_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Match:
    title: str
    agency: str
    published_at: str
    channel: str
    file: str
    url: str


def load_catalogs(location: str, endpoint_url: str | None = None) -> list[dict[str, Any]]:
    """Catalogues at a path (a file, or every index.json below a folder), an http(s) URL, or s3://bucket/key."""
    if location.startswith("s3://"):
        return _s3_catalogs(location, endpoint_url)
    if location.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(location, timeout=30) as response:
                return [_parse(response.read(MAX_CATALOG_BYTES), location)]
        except OSError as exc:
            raise PsaError(f"cannot read catalogue {location}: {exc}") from None
    path = Path(location)
    if path.is_dir():
        files = sorted(path.rglob(CATALOG_NAME))
        if not files:
            raise PsaError(f"no {CATALOG_NAME} catalogue below {path}")
        return [_parse(f.read_bytes(), str(f)) for f in files]
    if path.is_file():
        return [_parse(path.read_bytes(), str(path))]
    raise PsaError(f"catalogue {location} not found")


def _s3_catalogs(location: str, endpoint_url: str | None) -> list[dict[str, Any]]:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location[len("s3://") :].partition("/")
    client = boto3.client("s3", endpoint_url=endpoint_url)
    try:
        if key.endswith(CATALOG_NAME):
            keys = [key]
        else:
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            keys = [o["Key"] for p in pages for o in p.get("Contents", []) if o["Key"].endswith(CATALOG_NAME)]
        return [_parse(client.get_object(Bucket=bucket, Key=k)["Body"].read(), f"s3://{bucket}/{k}") for k in keys]
    except (BotoCoreError, ClientError) as exc:
        raise PsaError(f"cannot read catalogue {location}: {exc}") from None


def _parse(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise PsaError(f"{where} is not a psa-pipeline catalogue (not JSON)") from None
    if not isinstance(data, dict) or not isinstance(data.get("psas"), dict):
        raise PsaError(f"{where} is not a psa-pipeline catalogue (no 'psas')")
    data[SOURCE] = where  # recognition reads the fingerprint files from beside the catalogue
    return data


def find(sha256: str, catalogs: list[dict[str, Any]]) -> list[Match]:
    found = []
    for catalog in catalogs:
        for entry in catalog["psas"].values():
            for file in entry.get("files", []):
                if file.get("sha256") == sha256:
                    found.append(
                        Match(
                            entry["title"],
                            entry["agency"],
                            entry["published_at"],
                            str(catalog.get("channel")),
                            file["file"],
                            file.get("url", ""),
                        )
                    )
    return found
