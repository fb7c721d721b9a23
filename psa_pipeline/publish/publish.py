"""`psa publish`: approved PSAs to their channels' destinations, staged so no reader sees half a PSA.

Order for each PSA and channel: every file uploaded (or found already there with the same
SHA-256) and read back and hashed; only then its `publication.json`; only then the channel's
catalogue `index.json`. A file already published with different content is refused unless
`--replace`, which records what it replaced.
"""

from __future__ import annotations

import datetime as dt
import functools
import mimetypes
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from psa_pipeline.build.one_psa import RECORD
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.publish.destinations import Backend, PublishError, backend
from psa_pipeline.recognise.credentials import signing_key_from_environment
from psa_pipeline.recognise.publishing import Prepared, prepare_publication
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.renditions import LoudnessValues, RenditionsRecord

CATALOG_NAME = "index.json"
PUBLICATION_NAME = "publication.json"
# One writer at a time for each catalogue in this process; across hosts the staged order still holds.
_catalog_lock = threading.Lock()

mimetypes.add_type("audio/ogg", ".opus")
mimetypes.add_type("text/vtt", ".vtt")
mimetypes.add_type("application/x-subrip", ".srt")


@dataclass
class FileOutcome:
    channel: str
    local: Path
    key: str
    url: str
    size: int
    sha256: str
    action: str = "pending"  # uploaded, skipped, refused, failed, would upload, would replace
    detail: str = ""


@dataclass
class PublishResult:
    manifest: Path
    psa_id: str | None = None
    status: str = "failed"  # published, up to date, refused, failed, dry run
    error: str | None = None
    files: list[FileOutcome] = field(default_factory=list)


BytesDone = Callable[[int], None]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def key_for(template: str, manifest: Manifest, year: int, channel: str, file: str) -> str:
    return template.format(
        province=slug(manifest.agency.province), agency=manifest.agency.code.lower(), year=year,
        id=manifest.id, channel=channel, file=file,
    )  # fmt: skip


def publish_psa(
    manifest_file: Path,
    config: ChannelConfig,
    build_root: Path,
    replace: bool = False,
    dry_run: bool = False,
    progress: BytesDone = lambda n: None,
) -> PublishResult:
    """Publish one PSA; problems with it are in the result, never raised."""
    result = PublishResult(manifest_file)
    try:
        _publish(manifest_file, config, build_root, replace, dry_run, progress, result)
    except PsaError as exc:
        result.status = "failed" if result.status != "refused" else "refused"
        result.error = str(exc)
    except Exception as exc:  # botocore raises many types; a transport failure must not stop the other PSAs
        result.status = "failed"
        result.error = f"{type(exc).__name__}: {exc}"
    return result


def _publish(
    manifest_file: Path,
    config: ChannelConfig,
    build_root: Path,
    replace: bool,
    dry_run: bool,
    progress: BytesDone,
    result: PublishResult,
) -> None:
    loaded = load_manifest(manifest_file)
    if loaded.manifest is None:
        raise PsaError(f"invalid manifest; run psa validate {manifest_file}")
    manifest = loaded.manifest
    result.psa_id = manifest.id
    if manifest.approval is None:
        result.status = "refused"
        raise PsaError(
            f"{manifest_file}: not approved; add an `approval:` block (approved_by, role, date) before publishing"
        )
    record_path = build_root / manifest.id / RECORD
    if not record_path.is_file():
        raise PsaError(f"{record_path} not found; run psa build {manifest_file.parent} first")
    record = RenditionsRecord.read(record_path)
    # Recognition hook: signed renditions to upload instead, and each channel's fingerprint file.
    build_dir = build_root / manifest.id
    prepared = Prepared() if dry_run else prepare_publication(record, build_dir, signing_key_from_environment())
    year = record.psa.year
    by_channel: dict[str, list[FileOutcome]] = {}
    backends: dict[str, tuple[Backend, str]] = {}
    for entry in record.renditions:
        channel = entry.channel
        if channel not in backends:
            destination = config.destination_for(channel)
            backends[channel] = (backend(destination), destination.key_template)
        store, template = backends[channel]
        for built in entry.files():
            out = prepared.outgoing(built, build_dir)
            key = key_for(template, manifest, year, channel, Path(built.file).name)
            outcome = FileOutcome(channel, out.local, key, store.url(key), out.size, out.sha256)
            by_channel.setdefault(channel, []).append(outcome)
    for channel, out in prepared.fingerprints.items():
        store, template = backends[channel]
        key = key_for(template, manifest, year, channel, out.local.name)
        by_channel[channel].append(FileOutcome(channel, out.local, key, store.url(key), out.size, out.sha256))
    result.files = [f for files in by_channel.values() for f in files]
    for outcome in result.files:
        if not outcome.local.is_file() or sha256_file(outcome.local) != outcome.sha256:
            raise PsaError(f"{outcome.local} is missing or changed since it was built; run psa build again")

    for channel, files in by_channel.items():
        store, template = backends[channel]
        if not dry_run:
            store.abort_stale_uploads(key_for(template, manifest, year, channel, "").rsplit("/", 1)[0])
        for outcome in files:
            _publish_file(store, outcome, manifest, record, replace, dry_run, progress)
    if any(f.action in ("refused", "failed") for f in result.files):
        result.status = "refused" if all(f.action != "failed" for f in result.files) else "failed"
        bad = next(f for f in result.files if f.action in ("refused", "failed"))
        result.error = f"{bad.url}: {bad.detail}"
        return
    if dry_run:
        result.status = "dry run"
        return
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    for channel, files in by_channel.items():
        store, template = backends[channel]
        publication_key = key_for(template, manifest, year, channel, PUBLICATION_NAME)
        published = store.read_json(publication_key)
        if published is None or any(f.action == "uploaded" for f in files):
            published = _publication(manifest, record, channel, files, now)
            store.write_json(publication_key, published)
        # Also when nothing changed: a run killed between the two writes left the catalogue behind.
        _update_catalog(store, channel, manifest, published, store.url(publication_key))
    changed = any(f.action == "uploaded" for f in result.files)
    result.status = "published" if changed else "up to date"


def _publish_file(
    store: Backend,
    outcome: FileOutcome,
    manifest: Manifest,
    record: RenditionsRecord,
    replace: bool,
    dry_run: bool,
    progress: BytesDone,
) -> None:
    existing = store.existing(outcome.key)
    if existing is not None and existing.sha256 == outcome.sha256 and existing.size == outcome.size:
        outcome.action = "skipped"
        outcome.detail = "already published with the same content"
        progress(outcome.size)
        return
    if existing is not None and not replace:
        outcome.action = "refused"
        outcome.detail = (
            f"already published with different content (sha256 {existing.sha256 or 'unknown'}); "
            "use --replace to publish a new version"
        )
        return
    if dry_run:
        outcome.action = "would replace" if existing else "would upload"
        return
    if existing is not None:
        outcome.detail = f"replaced sha256 {existing.sha256 or 'unknown'} ({existing.size} bytes)"
    content_type = mimetypes.guess_type(outcome.local.name)[0] or "application/octet-stream"
    meta = {
        "sha256": outcome.sha256,
        "psa-id": manifest.id,
        "agency": manifest.agency.code,
        "languages": ",".join(record.psa.subtitle_languages or [manifest.language]),
        "channel": outcome.channel,
    }
    loudness = _loudness_of(record, outcome.local.name)
    if loudness:
        meta["loudness-lufs"] = str(loudness.integrated_lufs)
        meta["true-peak-dbtp"] = str(loudness.true_peak_dbtp)
    try:
        store.upload(outcome.local, outcome.key, meta, content_type, progress, only_if_absent=existing is None)
        # Our own read-back: a server that stored something else (or nothing) must not pass.
        stored = store.read_sha256(outcome.key)
    except PublishError as exc:
        outcome.action, outcome.detail = "failed", exc.message
        return
    except Exception as exc:  # transport errors after retries are exhausted
        outcome.action, outcome.detail = "failed", f"{type(exc).__name__}: {exc}"
        return
    if stored != outcome.sha256:
        outcome.action = "failed"
        outcome.detail = f"verification failed: stored object has sha256 {stored}, expected {outcome.sha256}"
        return
    outcome.action = "uploaded"


def _loudness_of(record: RenditionsRecord, file_name: str) -> LoudnessValues | None:
    for entry in record.renditions:
        if Path(entry.file).name == file_name:
            return entry.loudness_out
    return None


def _publication(
    manifest: Manifest, record: RenditionsRecord, channel: str, files: list[FileOutcome], now: str
) -> dict[str, Any]:
    return {
        "psa": record.psa.model_dump(mode="json"),
        "channel": channel,
        "published_at": now,
        "approval": manifest.approval.model_dump(mode="json") if manifest.approval else None,
        "files": [
            {
                "file": f.local.name,
                "key": f.key,
                "url": f.url,
                "size": f.size,
                "sha256": f.sha256,
                "loudness": loudness.model_dump() if (loudness := _loudness_of(record, f.local.name)) else None,
                **({"replaced": f.detail} if f.detail.startswith("replaced") else {}),
            }
            for f in files
        ],
    }


def _update_catalog(store: Backend, channel: str, manifest: Manifest, publication: dict[str, Any], url: str) -> None:
    key = f"{channel}/{CATALOG_NAME}"
    with _catalog_lock:
        catalog = store.read_json(key) or {"channel": channel, "psas": {}}
        entry = {
            "title": manifest.title,
            "agency": manifest.agency.name,
            "province": manifest.agency.province,
            "published_at": publication["published_at"],
            "publication": url,
            "files": [{k: f[k] for k in ("file", "key", "url", "size", "sha256")} for f in publication["files"]],
        }
        if catalog.setdefault("psas", {}).get(manifest.id) == entry:
            return
        catalog["psas"][manifest.id] = entry
        catalog["updated_at"] = publication["published_at"]
        store.write_json(key, catalog)


def publish_all(
    manifests: list[Path],
    config: ChannelConfig,
    build_root: Path,
    replace: bool,
    dry_run: bool,
    console: Console,
) -> list[PublishResult]:
    """Publish PSAs one after another (uploads are bound by the link, not the cores), with byte progress."""
    results = []
    if console.is_terminal:
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            for manifest in manifests:
                task = progress.add_task(manifest.parent.name, total=_publish_size(manifest, build_root))
                advance = functools.partial(progress.advance, task)
                results.append(publish_psa(manifest, config, build_root, replace, dry_run, advance))
                progress.remove_task(task)
        return results
    for manifest in manifests:
        started = time.perf_counter()
        result = publish_psa(manifest, config, build_root, replace, dry_run)
        sent = sum(f.size for f in result.files if f.action == "uploaded")
        seconds = time.perf_counter() - started
        console.print(
            f"{result.status:>10}  {result.psa_id or manifest}  {sent / 1e6:.1f} MB in {seconds:.1f} s"
            f" ({sent / 1e6 / max(seconds, 1e-3):.1f} MB/s)",
            highlight=False,
            soft_wrap=True,
        )
        results.append(result)
    return results


def _publish_size(manifest: Path, build_root: Path) -> int | None:
    loaded = load_manifest(manifest)
    if loaded.manifest is None:
        return None
    try:
        return RenditionsRecord.read(build_root / loaded.manifest.id / RECORD).total_size()
    except RecordError:
        return None
