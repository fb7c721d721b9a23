"""After a PSA is published and catalogued: list it on the public site and in the podcast feeds, and schedules.

The site lives in the destination of the `web` channel (or the default one). Its index entry is
made from what this run verified, like the catalogue's, and is put only after every channel's
catalogue entry is in: the site and feeds never list what did not publish.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import DestinationConfig, FolderDestination
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.publish.destinations import Backend, backend
from psa_pipeline.records.renditions import RenditionsRecord
from psa_pipeline.records.site import FileKind, SiteFile, SitePsa
from psa_pipeline.site.generate import Written, regenerate
from psa_pipeline.site.store import SITE, put_psa, stamp

if TYPE_CHECKING:
    from psa_pipeline.publish.publish import ChannelPlan

SITE_CHANNEL = "web"


class Held(PsaError):
    """Not published yet on purpose: the manifest's `publish_at` embargo has not passed."""


class Expired(PsaError):
    """Refused: the manifest's `expires` has passed, so the site and feeds would not list the PSA."""


def check_schedule(manifest: Manifest, manifest_file: Path, now: dt.datetime) -> None:
    """Hold an embargoed PSA; refuse one that has already expired (publishing it would list nothing)."""
    if manifest.publish_at and manifest.publish_at > now:
        raise Held(
            _(
                "{file}: embargoed until {time} (publish_at); nothing was published. "
                "Run psa publish (or psa batch publish) again from then, or change publish_at"
            ).format(file=manifest_file, time=manifest.publish_at.isoformat())
        )
    if manifest.expires and manifest.expires <= now:
        raise Expired(
            _(
                "{file}: expired on {time} (expires); nothing was published. "
                "Set a later `expires` (or remove it) to publish this PSA"
            ).format(file=manifest_file, time=manifest.expires.isoformat())
        )


def site_destination(config: ChannelConfig) -> DestinationConfig:
    return config.destination_for(SITE_CHANNEL)


def public_urls(destination: DestinationConfig, store: Backend) -> tuple[Callable[[str], str], str | None]:
    """The absolute URL of a key in the site's destination, and the public address of `site/` (None: not served)."""
    if isinstance(destination, FolderDestination):
        base = destination.public_base_url
        if base:
            return (lambda key: f"{base}/{key}"), f"{base}/{SITE.rstrip('/')}"
        return (lambda key: Path(store.url(key)).as_uri()), None
    return store.url, store.url(SITE.rstrip("/"))


def list_publicly(
    config: ChannelConfig,
    manifest: Manifest,
    record: RenditionsRecord,
    plans: Sequence[ChannelPlan],
    now: dt.datetime,
) -> Written:
    destination = site_destination(config)
    put_psa(backend(destination), site_entry(config, destination, manifest, record, plans, now), now)
    return refresh_site(config, now)


def refresh_site(config: ChannelConfig, now: dt.datetime) -> Written:
    """Render the site and feeds from the site index as of `now` (expired PSAs drop out)."""
    destination = site_destination(config)
    store = backend(destination)
    public, site_url = public_urls(destination, store)
    return regenerate(store, public, site_url, now)


def site_entry(
    config: ChannelConfig,
    destination: DestinationConfig,
    manifest: Manifest,
    record: RenditionsRecord,
    plans: Sequence[ChannelPlan],
    now: dt.datetime,
) -> SitePsa:
    # file name -> kind, rendition, language, duration
    kinds: dict[str, tuple[FileKind, str, str | None, float | None]] = {}
    for entry in record.renditions:
        video = any(s.kind == "video" for s in entry.streams)
        kinds[Path(entry.file).name] = ("video" if video else "audio", entry.rendition, None, entry.duration)
        for sidecar in entry.sidecars:
            kinds[Path(sidecar.file).name] = ("subtitle", entry.rendition, sidecar.lang, None)
    files = []
    for plan in plans:
        same = config.destination_for(plan.channel) == destination
        for f in plan.files:
            if f.local.name not in kinds:
                continue  # the channel's fingerprint file: read by psa verify, not offered to people
            kind, rendition, lang, duration = kinds[f.local.name]
            file = SiteFile(
                channel=f.channel, rendition=rendition, kind=kind, file=f.local.name,
                key=f.key, url=f.url, in_site_store=same, size=f.size, sha256=f.sha256,
                content_type=_content_type(f.local.name), lang=lang, duration=duration,
            )  # fmt: skip
            files.append(file)
    return SitePsa(
        id=manifest.id,
        title=manifest.title,
        agency=record.psa.agency,
        kind=manifest.kind,
        language=manifest.language,
        subtitle_languages=record.psa.subtitle_languages,
        themes=list(manifest.themes),
        year=record.psa.year,
        call_to_action=manifest.end_card.text if manifest.end_card else None,
        published_at=stamp(now),
        publish_at=manifest.publish_at.isoformat() if manifest.publish_at else None,
        expires=manifest.expires.isoformat() if manifest.expires else None,
        files=files,
    )


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
