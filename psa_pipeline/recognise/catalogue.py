"""The catalogue's fingerprint files: fetched beside the catalogue, hash-checked, indexed.

A catalogue (`index.json` of a channel) lists every published file with its key, URL and
SHA-256; the fingerprint files are among them. They are read from where the catalogue was
read (the same folder tree, bucket or web server), and a file whose bytes do not match the
catalogue's SHA-256 is refused: a catalogue that cannot vouch for its fingerprints is broken.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.recognise.extract import CAPTION_CELLS, FRAME_RATE, U8, U32, U64
from psa_pipeline.recognise.index import CatalogueIndex, Content, Publication
from psa_pipeline.recognise.publishing import FINGERPRINTS_SUFFIX
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.fingerprints import AudioPrint, ContentPrint, FingerprintRecord, VideoPrint

MAX_FINGERPRINT_BYTES = 16 * 1024 * 1024
SOURCE = "_source"  # set by publish.verify.load_catalogs: where the catalogue was read


class CatalogueError(PsaError):
    """The catalogue or one of its files cannot be read or does not match its hash."""


def fingerprint_records(
    catalogs: list[dict[str, Any]], endpoint_url: str | None = None
) -> list[tuple[dict[str, Any], FingerprintRecord]]:
    """Every fingerprint file the catalogues list, with the catalogue entry it belongs to."""
    found = []
    for catalog in catalogs:
        where = str(catalog.get(SOURCE, ""))
        for _channel, entry, file in catalogue_files(catalog):
            if not str(file.get("file", "")).endswith(FINGERPRINTS_SUFFIX):
                continue
            raw = _fetch(where, file, endpoint_url)
            if hashlib.sha256(raw).hexdigest() != file.get("sha256"):
                raise CatalogueError(
                    _("{where}: {file} does not match the SHA-256 the catalogue gives").format(
                        where=where, file=file["file"]
                    )
                )
            try:
                found.append((entry, FingerprintRecord.from_text(raw, file["file"])))
            except RecordError as exc:
                raise CatalogueError(f"{where}: {exc}") from None
    return found


def catalogue_files(catalog: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(PSA id, its entry, one of its files) for every published file; CatalogueError if malformed."""
    where = catalog.get(SOURCE, "the catalogue")
    for psa_id, entry in catalog["psas"].items():
        files = entry.get("files") if isinstance(entry, dict) else None
        if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
            raise CatalogueError(
                _("{where}: malformed catalogue: the entry of {id} has no list of files").format(
                    where=where, id=repr(psa_id)
                )
            )
        for file in files:
            yield str(psa_id), entry, file


def _fetch(where: str, file: dict[str, Any], endpoint_url: str | None) -> bytes:
    key = str(file.get("key", ""))
    try:
        if where.startswith("s3://"):
            import boto3

            # Catalogue keys are the objects' full keys, the destination's prefix included.
            bucket = where[len("s3://") :].partition("/")[0]
            client = boto3.client("s3", endpoint_url=endpoint_url)
            body = client.get_object(Bucket=bucket, Key=key)["Body"]
            raw: bytes = body.read(MAX_FINGERPRINT_BYTES + 1)
        elif where.startswith(("http://", "https://")):
            url = str(file.get("url", ""))
            if not url.startswith("https://") and not (where.startswith("http://") and url.startswith("http://")):
                raise CatalogueError(
                    _("{where}: {file} has no web address to fetch it from").format(where=where, file=file.get("file"))
                )
            with urllib.request.urlopen(url, timeout=30) as response:
                raw = response.read(MAX_FINGERPRINT_BYTES + 1)
        else:
            # A folder catalogue sits at <root>/<channel>/index.json and keys are relative to <root>.
            root = Path(where).resolve().parent.parent
            path = (root / key).resolve()
            if root not in path.parents:
                raise CatalogueError(
                    _("{where}: key {key} leaves the catalogue's folder").format(where=where, key=repr(key))
                )
            with path.open("rb") as handle:
                raw = handle.read(MAX_FINGERPRINT_BYTES + 1)
    except CatalogueError:
        raise
    except Exception as exc:  # boto, urllib and the file system each raise their own types
        raise CatalogueError(
            _("{where}: cannot read {file} ({kind})").format(
                where=where, file=file.get("file"), kind=type(exc).__name__
            )
        ) from None
    if len(raw) > MAX_FINGERPRINT_BYTES:
        raise CatalogueError(
            _("{where}: {file} is larger than a fingerprint file can be").format(where=where, file=file.get("file"))
        )
    return raw


def build_index(records: list[tuple[dict[str, Any], FingerprintRecord]]) -> CatalogueIndex:
    """One `Content` per distinct sound-and-picture; channels that published the same one share it."""
    contents: dict[str, Content] = {}
    for entry, record in records:
        for print_ in record.contents:
            _same_method(print_, record)
            audio = _u32(print_.audio.values) if print_.audio else None
            full = _u64(print_.video.full) if print_.video else None
            centre = _u64(print_.video.centre) if print_.video else None
            captions = _cells(print_.video.captions) if print_.video and print_.video.captions else None
            content = Content(record.psa_id, print_.duration, audio, full, centre, captions)
            content = contents.setdefault(content.digest(), content)
            content.publications.append(
                Publication(
                    record.psa_id,
                    str(entry.get("title", record.psa_id)),
                    str(entry.get("agency", "")),
                    record.channel,
                    str(entry.get("published_at", "")),
                    tuple(print_.files),
                )
            )
    return CatalogueIndex(list(contents.values()))


def _same_method(print_: ContentPrint, record: FingerprintRecord) -> None:
    """Fingerprints made another way (another algorithm or frame rate) cannot be compared with ours."""
    expected = (AudioPrint.model_fields["algorithm"].default, VideoPrint.model_fields["algorithm"].default, FRAME_RATE)
    audio = print_.audio.algorithm if print_.audio else expected[0]
    video = (print_.video.algorithm, print_.video.rate) if print_.video else expected[1:]
    if (audio, *video) != expected:
        raise CatalogueError(
            _("fingerprints of {id} ({channel}) were made with another method ({audio}, {video} at {rate}/s); "
              "this psa compares {our_audio}, {our_video} at {our_rate}/s").format(
                id=record.psa_id, channel=record.channel, audio=audio, video=video[0], rate=video[1],
                our_audio=expected[0], our_video=expected[1], our_rate=FRAME_RATE)
        )  # fmt: skip


def _u32(text: str) -> U32:
    raw = base64.b64decode(text)
    return np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<u4").astype(np.uint32)


def _cells(text: str) -> U8:
    packed = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    per_frame = CAPTION_CELLS[0] * CAPTION_CELLS[1] // 2
    packed = packed[: len(packed) // per_frame * per_frame].reshape(-1, per_frame)
    cells = np.empty((len(packed), per_frame * 2), np.uint8)
    cells[:, 0::2], cells[:, 1::2] = packed >> 4, packed & 15
    return cells.reshape(-1, *CAPTION_CELLS)


def _u64(text: str) -> U64:
    raw = base64.b64decode(text)
    return np.frombuffer(raw[: len(raw) // 8 * 8], dtype="<u8").astype(np.uint64)
