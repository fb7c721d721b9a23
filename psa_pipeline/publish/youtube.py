"""`type: youtube` destinations: upload a PSA's rendition to YouTube once, with captions, playlist and schedule.

Idempotent: the video id goes into the channel's `publication.json` (in the web destination) as
soon as the upload finishes, so a re-run never uploads a duplicate; it finishes what is missing
(captions, playlist, release). A build with other content is refused unless `--replace`, which
updates the title, description, tags, captions and schedule (YouTube cannot replace a video's file).
The video stays private until every caption and the playlist are in; then it becomes public, or
YouTube releases it at the manifest's `publish_at`.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import YouTubeDestination
from psa_pipeline.core.i18n import _
from psa_pipeline.manifest.languages import label
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.publish.catalogue import put_entry
from psa_pipeline.publish.destinations import backend
from psa_pipeline.publish.public import site_destination
from psa_pipeline.publish.records import catalogue_entry, settle_publication
from psa_pipeline.publish.youtube_api import YouTubeError, explain, load_credentials, service
from psa_pipeline.publish.youtube_text import description, tags, title
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.publication import PublicationRecord, PublishedFile
from psa_pipeline.records.renditions import RenditionEntry, RenditionsRecord
from psa_pipeline.site.pages import bcp47

PUBLICATION_NAME = "publication.json"
VIDEO_KEY = "youtube:"
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError)


@dataclass(frozen=True)
class YouTubeJob:
    channel: str
    destination: YouTubeDestination
    rendition: RenditionEntry
    build_dir: Path


def split_youtube(
    config: ChannelConfig, record: RenditionsRecord, build_dir: Path
) -> tuple[RenditionsRecord, list[YouTubeJob]]:
    """The record without its YouTube channels (those go to storage), and one job per YouTube channel."""
    jobs: list[YouTubeJob] = []
    rest: list[RenditionEntry] = []
    for entry in record.renditions:
        destination = config.destination_for(entry.channel)
        if isinstance(destination, YouTubeDestination) and any(s.kind == "video" for s in entry.streams):
            if all(job.channel != entry.channel for job in jobs):
                jobs.append(YouTubeJob(entry.channel, destination, entry, build_dir))
        elif not isinstance(destination, YouTubeDestination):
            rest.append(entry)
    return record.model_copy(update={"renditions": rest}), jobs


def publish_youtube(
    jobs: list[YouTubeJob],
    config: ChannelConfig,
    manifest: Manifest,
    record: RenditionsRecord,
    folder_of: Callable[[str], str],
    replace: bool,
    now: dt.datetime,
) -> bool:
    """Upload or finish each job; True when anything changed on YouTube or in the records."""
    written = False
    for job in jobs:
        written |= _Upload(job, config, manifest, record, folder_of(job.channel) + PUBLICATION_NAME, now).run(replace)
    return written


class _Upload:
    def __init__(
        self, job: YouTubeJob, config: ChannelConfig, manifest: Manifest, record: RenditionsRecord, key: str,
        now: dt.datetime,
    ) -> None:  # fmt: skip
        self.job, self.manifest, self.record, self.key, self.now = job, manifest, record, key, now
        self.store = backend(site_destination(config))
        self.id = manifest.id
        self.scheduled = manifest.publish_at if manifest.publish_at and manifest.publish_at > now else None
        self.captions = self._caption_files()
        self.snippet = {
            "title": title(manifest),
            "description": description(manifest, job.destination.site_url),
            "tags": tags(manifest),
            "categoryId": job.destination.category_id,
            "defaultLanguage": "id",
            "defaultAudioLanguage": bcp47(manifest.language),
        }

    def run(self, replace: bool) -> bool:
        api = service(
            self.job.destination, load_credentials(self.job.destination.token_file, self.job.destination.api_endpoint)
        )
        known = self._recorded()
        written = False
        if known is None:
            video_id = self._upload(api)
            self._record(video_id)
            written = True
        else:
            video_id, sha256 = known
            current = self._call(api.videos().list(part="status", id=video_id), "looking up the video")
            if not current.get("items"):
                raise YouTubeError(
                    _("{id}: video {video} recorded in {key} is no longer on YouTube; remove that file to upload "
                      "again").format(id=self.id, video=video_id, key=self.store.url(self.key))
                )  # fmt: skip
            if sha256 != self.job.rendition.sha256:
                if not replace:
                    raise YouTubeError(
                        _("{id}: already on YouTube as {video} with other content; use --replace to update its "
                          "title, description, captions and schedule").format(id=self.id, video=video_id)
                    )  # fmt: skip
                body = {"id": video_id, "snippet": self.snippet}
                self._call(api.videos().update(part="snippet", body=body), "updating the title and description")
                self._record(video_id)
                written = True
        written |= self._captions(api, video_id, replace)
        written |= self._playlist(api, video_id)
        written |= self._release(api, video_id)
        return written

    # ---- steps -------------------------------------------------------------------------------------------------

    def _caption_files(self) -> dict[str, Path]:
        """One subtitle file per language the PSA has; a language the build lacks is refused before uploading."""
        found: dict[str, Path] = {}
        for sidecar in sorted(self.job.rendition.sidecars, key=lambda s: s.format != "srt"):
            found.setdefault(sidecar.lang, self.job.build_dir / sidecar.file)
        missing = [lang for lang in self.record.psa.subtitle_languages if lang not in found]
        if missing:
            raise YouTubeError(
                _("{id}: no caption file for {langs} in the {channel} rendition; give the channel "
                  "`captions: {{sidecars: [srt]}}` in channels.yaml and run psa build").format(
                    id=self.id, langs=", ".join(missing), channel=self.job.channel)
            )  # fmt: skip
        return found

    def _upload(self, api: Any) -> str:
        from googleapiclient.http import MediaFileUpload

        destination = self.job.destination
        status: dict[str, Any] = {"privacyStatus": "private", "selfDeclaredMadeForKids": False, "embeddable": True}
        if self.scheduled:
            status["publishAt"] = self.scheduled.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        media = MediaFileUpload(
            str(self.job.build_dir / self.job.rendition.file), mimetype="video/mp4", resumable=True,
            chunksize=max(256 * 1024, int(destination.chunk_megabytes * 1024 * 1024) // (256 * 1024) * (256 * 1024)),
        )  # fmt: skip
        request = api.videos().insert(part="snippet,status", body={"snippet": self.snippet, "status": status},
                                      media_body=media, notifySubscribers=False)  # fmt: skip
        response = None
        failures = 0
        while response is None:
            try:
                _status, response = request.next_chunk(num_retries=destination.max_retries)
                failures = 0
            except TRANSPORT_ERRORS as exc:
                # A dropped connection: the client asks the server how far it got, and goes on from there.
                failures += 1
                if failures > destination.max_retries:
                    raise YouTubeError(
                        _("{id}: the connection to YouTube kept dropping ({error}); run psa publish again").format(
                            id=self.id, error=exc)
                    ) from None  # fmt: skip
                time.sleep(min(30.0, 0.2 * 2**failures) * random.uniform(0.5, 1.0))
            except Exception as exc:
                raise explain(exc, self.id, "uploading the video") from None
        return str(response["id"])

    def _captions(self, api: Any, video_id: str, replace: bool) -> bool:
        from googleapiclient.http import MediaFileUpload

        listed = self._call(api.captions().list(part="snippet", videoId=video_id), "listing captions")
        have = {item["snippet"]["language"]: item["id"] for item in listed.get("items", [])}
        written = False
        for lang, path in sorted(self.captions.items()):
            media = MediaFileUpload(str(path), mimetype="application/octet-stream")
            tag = bcp47(lang)
            if tag in have and not replace:
                continue
            if tag in have:
                body: dict[str, Any] = {"id": have[tag], "snippet": {"isDraft": False}}
                request = api.captions().update(part="snippet", body=body, media_body=media)
            else:
                body = {"snippet": {"videoId": video_id, "language": tag, "name": label(lang), "isDraft": False}}
                request = api.captions().insert(part="snippet", body=body, media_body=media)
            self._call(request, f"uploading the {lang} captions")
            written = True
        return written

    def _playlist(self, api: Any, video_id: str) -> bool:
        destination = self.job.destination
        if destination.playlist == "none":
            return False
        name = destination.campaign if destination.playlist == "campaign" and destination.campaign else (
            f"{self.manifest.agency.name} — ILM Antikorupsi"
        )  # fmt: skip
        mine = self._call(api.playlists().list(part="snippet", mine=True, maxResults=50), "listing playlists")
        playlist = next((p["id"] for p in mine.get("items", []) if p["snippet"]["title"] == name), None)
        if playlist is None:
            body = {"snippet": {"title": name, "defaultLanguage": "id"}, "status": {"privacyStatus": "public"}}
            created = self._call(api.playlists().insert(part="snippet,status", body=body), "creating the playlist")
            playlist = created["id"]
        items = self._call(
            api.playlistItems().list(part="id", playlistId=playlist, videoId=video_id), "listing the playlist"
        )
        if items.get("items"):
            return False
        resource = {"kind": "youtube#video", "videoId": video_id}
        item = {"snippet": {"playlistId": playlist, "resourceId": resource}}
        self._call(api.playlistItems().insert(part="snippet", body=item), "adding the video to the playlist")
        return True

    def _release(self, api: Any, video_id: str) -> bool:
        """Private until now; then public (or scheduled: YouTube makes it public at publishAt itself)."""
        listed = self._call(api.videos().list(part="status", id=video_id), "looking up the video")
        current = listed["items"][0]["status"]
        wanted: dict[str, Any] = {"privacyStatus": self.job.destination.privacy, "selfDeclaredMadeForKids": False}
        if self.scheduled:
            wanted = {"privacyStatus": "private", "selfDeclaredMadeForKids": False,
                      "publishAt": self.scheduled.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
        if all(current.get(k) == v for k, v in wanted.items()):
            return False
        self._call(api.videos().update(part="status", body={"id": video_id, "status": wanted}), "releasing the video")
        return True

    # ---- records -----------------------------------------------------------------------------------------------

    def _recorded(self) -> tuple[str, str] | None:
        found = self.store.read(self.key)
        if found is None:
            return None
        try:
            publication = PublicationRecord.from_text(found.data, self.store.url(self.key))
        except RecordError as exc:
            raise YouTubeError(
                f"{exc}; it holds the YouTube video id: repair it, or remove it to upload again"
            ) from None
        video = next((f for f in publication.files if f.key.startswith(VIDEO_KEY)), None)
        return (video.key.removeprefix(VIDEO_KEY), video.sha256) if video else None

    def _record(self, video_id: str) -> None:
        entry = self.job.rendition
        stamp = self.now.astimezone(dt.UTC).replace(microsecond=0).isoformat()
        publication = PublicationRecord(
            psa=self.record.psa, channel=self.job.channel, published_at=stamp, approval=self.record.psa.approval,
            files=[PublishedFile(file=Path(entry.file).name, key=VIDEO_KEY + video_id,
                                 url=f"https://www.youtube.com/watch?v={video_id}", size=entry.size,
                                 sha256=entry.sha256, loudness=entry.loudness_out)],
        )  # fmt: skip
        settled, _changed = settle_publication(self.store, self.key, publication)
        put_entry(
            self.store,
            self.job.channel,
            self.id,
            catalogue_entry(self.manifest, settled, self.store.url(self.key)),
            stamp,
        )

    def _call(self, request: Any, what: str) -> Any:
        try:
            return request.execute(num_retries=self.job.destination.max_retries)
        except Exception as exc:
            raise explain(exc, self.id, what) from None
