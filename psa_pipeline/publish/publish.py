"""`psa publish`: approved PSAs to their channels' destinations, staged so no reader sees half a PSA.

For each PSA: refuse an unapproved PSA, an out-of-date build, or an id another agency owns;
hold each channel's PSA folder exclusively; look at every file already there and verify its
stored bytes (a corrupt copy of ours is repaired, other content refused unless `--replace`);
upload and verify what is missing; only then write each channel's `publication.json` and merge
its entry into the channel catalogue `index.json` (compare-and-swap, see catalogue.py). What goes
into both comes from what this run verified, never from records found in storage.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from psa_pipeline.approval.fingerprint import ApprovalError
from psa_pipeline.approval.gate import check_approval, check_sign_off
from psa_pipeline.approval.store import default_dir
from psa_pipeline.build.one_psa import RECORD
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.core.progress import Progress
from psa_pipeline.core.status import Status, said
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.publish import transaction
from psa_pipeline.publish.catalogue import CATALOG_NAME, OwnershipError, check_owner, put_entry, read_catalogue
from psa_pipeline.publish.destinations import Backend, backend
from psa_pipeline.publish.freshness import StaleBuildError, check_built_files, check_fresh
from psa_pipeline.publish.public import Expired, Held, check_schedule, list_publicly
from psa_pipeline.publish.records import catalogue_entry, publication_record, settle_publication
from psa_pipeline.publish.youtube import publish_youtube, split_youtube
from psa_pipeline.recognise.credentials import signing_key_from_environment
from psa_pipeline.recognise.publishing import Prepared, prepare_publication
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.journal import FileAction
from psa_pipeline.records.publication import PlannedFile, ReplaceIntent
from psa_pipeline.records.renditions import RenditionsRecord

__all__ = ["CATALOG_NAME", "PUBLICATION_NAME", "FileOutcome", "PublishResult", "publish_all", "publish_psa"]

PUBLICATION_NAME = "publication.json"
# What a dry run says it would do with each file, by the plan made after looking at the destination.
_WOULD: dict[str, FileAction] = {"upload": "would upload", "replace": "would replace", "repair": "would repair"}

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
    action: FileAction = "pending"
    detail: str = ""
    plan: str = ""  # after looking: upload, replace, repair, skip, refuse


@dataclass
class PublishResult:
    manifest: Path
    psa_id: str | None = None
    status: Status = Status.FAILED  # ok (published now), cached (already published), refused, failed, skipped
    dry_run: bool = False  # skipped on purpose: nothing was written
    held: bool = False  # embargoed (publish_at not reached): nothing was written, publish again when due
    error: str | None = None
    files: list[FileOutcome] = field(default_factory=list)


@dataclass
class ChannelPlan:
    channel: str
    store: Backend
    folder: str  # the PSA's folder on this channel, ending in "/"
    template: str  # the destination's key template
    files: list[FileOutcome]
    intent: ReplaceIntent | None = None


class Refused(PsaError):
    """Not published on purpose; nothing was written."""


BytesDone = Callable[[int], None]


def describe(result: PublishResult) -> str:
    """The status in the words a media team reads in the summary."""
    if result.dry_run:
        return _("dry run")
    if result.held:
        return _("held")
    if result.status == Status.OK:
        return _("published")
    return _("up to date") if result.status == Status.CACHED else said(result.status)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def key_for(template: str, manifest: Manifest, year: int, channel: str, file: str) -> str:
    # Templates are checked when the channels file is loaded (channels/destinations.py): known placeholders only.
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
    approvals: Path | None = None,
    now: dt.datetime | None = None,
) -> PublishResult:
    """Publish one PSA; problems with it are in the result, never raised.

    `approvals`: the approvals folder (default: `approvals/` beside the build folder). `now` decides
    embargoes and expiry.
    """
    result = PublishResult(manifest_file)
    when = now or dt.datetime.now(dt.UTC)
    try:
        _publish(manifest_file, config, build_root, replace, dry_run, progress, result, approvals, when)
    except Held as exc:
        result.status, result.held, result.error = Status.SKIPPED, True, str(exc)
    except (Refused, OwnershipError, StaleBuildError, ApprovalError, Expired) as exc:
        result.status, result.error = Status.REFUSED, str(exc)
    except PsaError as exc:
        result.status, result.error = Status.FAILED, str(exc)
    except Exception as exc:  # a transport failure must not stop the other PSAs
        result.status, result.error = Status.FAILED, f"{type(exc).__name__}: {exc}"
    return result


def _load(
    manifest_file: Path, build_root: Path, result: PublishResult, approvals: Path | None = None
) -> tuple[Manifest, RenditionsRecord]:
    loaded = load_manifest(manifest_file)
    if loaded.manifest is None:
        raise PsaError(_("invalid manifest; run psa validate {file}").format(file=manifest_file))
    manifest = loaded.manifest
    result.psa_id = manifest.id
    check_sign_off(manifest_file, manifest.approval)
    build_dir = build_root / manifest.id
    if not (build_dir / RECORD).is_file():
        raise PsaError(_("{record} not found; run psa build {folder} first").format(
            record=build_dir / RECORD, folder=manifest_file.parent))  # fmt: skip
    record = RenditionsRecord.read(build_dir / RECORD)
    check_fresh(manifest_file, record, build_dir)
    check_built_files(record, build_dir)
    # The publisher's approval, bound to these exact bytes (the manifest's block is the agency's sign-off).
    check_approval(approvals or default_dir(build_root), manifest.id, record)
    return manifest, record


def _plan(
    manifest: Manifest, record: RenditionsRecord, config: ChannelConfig, build_dir: Path, prepared: Prepared
) -> list[ChannelPlan]:
    plans: dict[str, ChannelPlan] = {}
    year = record.psa.year
    for entry in record.renditions:
        if entry.channel not in plans:
            destination = config.destination_for(entry.channel)
            store = backend(destination)
            folder = key_for(destination.key_template, manifest, year, entry.channel, "")
            plans[entry.channel] = ChannelPlan(entry.channel, store, folder, destination.key_template, [])
        plan = plans[entry.channel]
        for built in entry.files():
            out = prepared.outgoing(built, build_dir)
            plan.files.append(_outcome(plan, manifest, year, Path(built.file).name, out.local, out.size, out.sha256))
    for channel, out in prepared.fingerprints.items():
        plan = plans[channel]
        plan.files.append(_outcome(plan, manifest, year, out.local.name, out.local, out.size, out.sha256))
    return list(plans.values())


def _outcome(
    plan: ChannelPlan, manifest: Manifest, year: int, name: str, local: Path, size: int, sha256: str
) -> FileOutcome:
    key = key_for(plan.template, manifest, year, plan.channel, name)
    _check_key_length(plan.store.stored_key(key))
    return FileOutcome(plan.channel, local, key, plan.store.url(key), size, sha256)


def _check_key_length(key: str) -> None:
    # S3 keys end at 1024 bytes and most file systems' names at 255: refuse before the first upload.
    if len(key.encode()) > 1024 or any(len(segment.encode()) > 255 for segment in key.split("/")):
        raise PsaError(
            _("destination key too long ({size} bytes; at most 1024, 255 per folder name): {key}…; "
              "shorten the manifest's id, agency or province, or the channel's key_template"
              ).format(size=len(key.encode()), key=key[:120])
        )  # fmt: skip


def _publish(
    manifest_file: Path,
    config: ChannelConfig,
    build_root: Path,
    replace: bool,
    dry_run: bool,
    progress: BytesDone,
    result: PublishResult,
    approvals: Path | None,
    now: dt.datetime,
) -> None:
    manifest, record = _load(manifest_file, build_root, result, approvals)
    build_dir = build_root / manifest.id
    record, youtube = split_youtube(config, record, build_dir)

    def to_youtube() -> bool:
        def folder(channel: str) -> str:
            return key_for(config.destination_for(channel).key_template, manifest, record.psa.year, channel, "")

        return publish_youtube(youtube, config, manifest, record, folder, replace, now)

    try:
        check_schedule(manifest, manifest_file, now)
    except Held:
        if youtube and not dry_run:
            to_youtube()  # uploaded private with publishAt: YouTube releases it at the embargo itself
        raise
    # Recognition: signed copies to upload instead of the built MP4/MP3 files, and each channel's fingerprints.
    prepared = Prepared() if dry_run else prepare_publication(record, build_dir, signing_key_from_environment())
    plans = _plan(manifest, record, config, build_dir, prepared)
    result.files = [f for plan in plans for f in plan.files]
    with ExitStack() as held:
        if not dry_run:
            # Sorted, so two runs that need the same folders never hold one each and wait for the other.
            for plan in sorted(plans, key=lambda p: p.store.url(p.folder)):
                what = _("{id} on channel {channel}").format(id=manifest.id, channel=plan.channel)
                held.enter_context(plan.store.exclusive(plan.folder, what))
                plan.store.abort_stale_uploads(plan.folder)
        for plan in plans:
            _inspect(plan, manifest, replace)
        refused = [f for f in result.files if f.plan == "refuse"]
        if refused:
            for f in refused:
                f.action = "refused"
            raise Refused(f"{refused[0].url}: {refused[0].detail}")
        if dry_run:
            for f in result.files:
                f.action = _WOULD.get(f.plan, "skipped")
            result.status, result.dry_run = Status.SKIPPED, True
            return
        written = False
        for plan in plans:
            written |= _upload_channel(plan, manifest, record, progress)
        stamp = now.astimezone(dt.UTC).replace(microsecond=0).isoformat()
        for plan in plans:
            written |= _record_channel(plan, manifest, record, stamp)
    if youtube:
        written |= to_youtube()
    # After every channel's catalogue entry is in, and outside the PSA's folder locks.
    list_publicly(config, manifest, record, plans, now)
    result.status = Status.OK if written else Status.CACHED


def _inspect(plan: ChannelPlan, manifest: Manifest, replace: bool) -> None:
    """Decide each file's fate from the stored bytes themselves, not from what metadata claims."""
    store = plan.store
    catalogue, _found = read_catalogue(store, plan.channel)
    # Before any upload: another agency's id is refused with nothing written (and again when merging).
    check_owner(catalogue, manifest.id, manifest.agency.code, store.url(f"{plan.channel}/{CATALOG_NAME}"))
    ours = catalogue.psas.get(manifest.id) if catalogue else None
    catalogued = {(f.key, f.sha256) for f in ours.files} if ours else set()
    plan.intent = transaction.read_intent(store, plan.folder)
    planned = {store.stored_key(f.key): f.sha256 for f in plan.files}
    finishing = plan.intent is not None and transaction.matches(plan.intent, planned)
    for f in plan.files:
        existing = store.existing(f.key)
        if existing is None:
            f.plan = "upload"
            continue
        # Another size is other content; its claimed hash is only for the message.
        same_size = existing.size == f.size
        stored = (existing.checksum or store.stored_sha256(f.key, f.size)) if same_size else existing.sha256
        if stored == f.sha256:
            f.plan, f.detail = "skip", _("already published with the same content (verified)")
        elif existing.sha256 == f.sha256 or (store.stored_key(f.key), f.sha256) in catalogued:
            # Ours by its metadata or by our catalogue entry, but the bytes differ: corrupted or tampered with.
            f.plan = "repair"
            f.detail = _("repaired: stored object had sha256 {sha256}").format(sha256=stored or _("unknown"))
        elif replace or finishing:
            f.plan = "replace"
            f.detail = _("replaced sha256 {sha256} ({size} bytes)").format(
                sha256=stored or _("unknown"), size=existing.size
            )
        else:
            f.plan = "refuse"
            f.detail = _(
                "already published with different content (sha256 {sha256}); use --replace to publish a new version"
            ).format(sha256=stored or _("unknown"))
    if plan.intent is not None and not finishing and not replace:
        first = plan.files[0]
        first.plan = "refuse"
        first.detail = _(
            "an interrupted --replace (started {at}) was for another build; "
            "run psa publish --replace to finish it with this build"
        ).format(at=plan.intent.started_at)


def _upload_channel(plan: ChannelPlan, manifest: Manifest, record: RenditionsRecord, progress: BytesDone) -> bool:
    store = plan.store
    if any(f.plan == "replace" for f in plan.files):
        # Before the first overwrite: a run killed from here on is finished by the next one.
        intent = ReplaceIntent(
            psa_id=manifest.id, agency_code=manifest.agency.code, channel=plan.channel,
            started_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            files=[PlannedFile(key=store.stored_key(f.key), old_sha256=None, new_sha256=f.sha256) for f in plan.files],
        )  # fmt: skip
        transaction.write_intent(store, plan.folder, intent)
        plan.intent = intent
    written = False
    for f in plan.files:
        if f.plan == "skip":
            f.action = "skipped"
            progress(f.size)
            continue
        try:
            store.upload(f.local, f.key, _metadata(f, manifest, record), _content_type(f.local), progress,
                         only_if_absent=f.plan == "upload")  # fmt: skip
            # Our own check of what the server holds now: a server that stored something else must not pass.
            stored = store.stored_sha256(f.key, f.size)
        except PsaError as exc:
            f.action, f.detail = "failed", exc.message
            raise
        if stored != f.sha256:
            f.action = "failed"
            f.detail = _("verification failed: stored object has sha256 {stored}, expected {expected}").format(
                stored=stored, expected=f.sha256
            )
            raise PsaError(f"{f.url}: {f.detail}")
        f.action = "uploaded"
        written = True
    return written


def _record_channel(plan: ChannelPlan, manifest: Manifest, record: RenditionsRecord, now: str) -> bool:
    store = plan.store
    publication_key = plan.folder + PUBLICATION_NAME
    ours = publication_record(manifest, record, plan.channel, plan.files, store, now)
    publication, written = settle_publication(store, publication_key, ours)
    entry = catalogue_entry(manifest, publication, store.url(publication_key))
    written |= put_entry(store, plan.channel, manifest.id, entry, now)
    if plan.intent is not None:
        transaction.clear_intent(store, plan.folder)
    return written


def _metadata(f: FileOutcome, manifest: Manifest, record: RenditionsRecord) -> dict[str, str]:
    meta = {
        "sha256": f.sha256,
        "psa-id": manifest.id,
        "agency": manifest.agency.code,
        "languages": ",".join(record.psa.subtitle_languages or [manifest.language]),
        "channel": f.channel,
    }
    loudness = next((e.loudness_out for e in record.renditions if Path(e.file).name == f.local.name), None)
    if loudness:
        meta["loudness-lufs"] = str(loudness.integrated_lufs)
        meta["true-peak-dbtp"] = str(loudness.true_peak_dbtp)
    return meta


def _content_type(local: Path) -> str:
    return mimetypes.guess_type(local.name)[0] or "application/octet-stream"


def publish_all(
    manifests: list[Path],
    config: ChannelConfig,
    build_root: Path,
    replace: bool,
    dry_run: bool,
    progress: Progress | None = None,
    approvals: Path | None = None,
) -> list[PublishResult]:
    """Publish PSAs one after another (uploads are bound by the link, not the cores), with byte progress."""
    progress = progress or Progress(unit="bytes")
    results = []
    with progress:
        for manifest in manifests:
            task = progress.start(manifest.parent.name, _publish_size(manifest, build_root))
            result = publish_psa(manifest, config, build_root, replace, dry_run, task.advance, approvals)
            sent = sum(f.size for f in result.files if f.action == "uploaded")
            seconds = task.seconds
            rate = _("{mb:.1f} MB in {seconds:.1f} s ({speed:.1f} MB/s)").format(
                mb=sent / 1e6, seconds=seconds, speed=sent / 1e6 / max(seconds, 1e-3)
            )
            task.finish(f"{describe(result):>10}  {result.psa_id or manifest}  {rate}")
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
