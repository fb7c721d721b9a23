"""YouTube destination against a loopback server implementing the documented endpoints (never a Google host).

First upload, resume after a dropped connection, re-run without a duplicate, captions per language,
scheduled release, quota exhausted, revoked sign-in, and refusals before anything is uploaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitefixtures import BASE_URL, site_psa
from youtube_server import REFRESH, TOKEN, State, youtube_server

from psa_pipeline.channels.config import load_config
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import PublishResult, publish_psa
from psa_pipeline.publish.youtube_api import SCOPES

# The builds here are tiny real media: publishing fingerprints every rendition with ffmpeg.
pytestmark = pytest.mark.media

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=WIB)
# Three resumable chunks of 256 KiB (the smallest YouTube takes) and a bit.
VIDEO = hashlib.sha256(b"yt").digest() * (3 * 8192 + 100)


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English (msgids), whatever the Indonesian catalogue says once it is merged."""
    monkeypatch.setenv("PSA_LANG", "en")


@pytest.fixture
def server() -> Iterator[tuple[str, State]]:
    with youtube_server() as running:
        yield running


def token_file(root: Path, url: str, expired: bool = False) -> Path:
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=-1 if expired else 1)
    path = root / "youtube-token.json"
    path.write_text(json.dumps({
        "token": TOKEN, "refresh_token": REFRESH, "token_uri": f"{url}/token", "client_id": "psa.apps",
        "client_secret": "not-a-secret", "scopes": SCOPES, "expiry": expiry.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }))  # fmt: skip
    path.chmod(0o600)
    return path


def config_for(root: Path, url: str, token: Path) -> Path:
    config = root / "channels.yaml"
    config.write_text(
        f"destinations:\n"
        f"  default: {{type: folder, path: '{root / 'publish'}', public_base_url: '{BASE_URL}'}}\n"
        f"  youtube: {{type: youtube, token_file: '{token}', api_endpoint: '{url}', chunk_megabytes: 0.25,\n"
        f"            max_retries: 3, timeout_seconds: 5, site_url: '{BASE_URL}'}}\n",
        encoding="utf-8",
    )
    return config


def publish(
    root: Path, url: str, psa_id: str = "tolak-pungli-yt", now: dt.datetime = NOW, **kwargs: object
) -> PublishResult:
    psa = site_psa(root, psa_id, media={"yt.mp4": VIDEO}, youtube=kwargs.pop("youtube", ("ind", "nij")), **kwargs)  # type: ignore[arg-type]
    token = root / "youtube-token.json"
    if not token.exists():
        token = token_file(root, url)
    return publish_psa(psa.manifest, load_config(config_for(root, url, token)), psa.build_root, now=now)


def srt_sha(root: Path, psa_id: str, lang: str) -> str:
    return hashlib.sha256((root / "build" / psa_id / f"{psa_id}-youtube-1080p.{lang}.srt").read_bytes()).hexdigest()


def test_first_upload_with_metadata_captions_playlist_then_release(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    result = publish(tmp_path, url)
    assert result.status == Status.OK, result.error
    [video] = state.videos.values()
    assert hashlib.sha256(video.data).hexdigest() == hashlib.sha256(VIDEO).hexdigest()
    assert state.uploads() == 1 and state.chunk_puts == 4
    snippet = video.snippet
    assert snippet["title"] == "Tolak Pungli tolak-pungli-yt"
    indonesian, english = (
        snippet["description"].index("Laporkan korupsi"),
        snippet["description"].index("Report corruption"),
    )
    assert indonesian < english and "www.lapor.go.id" in snippet["description"]
    assert f"{BASE_URL}/site/psa/tolak-pungli-yt.html" in snippet["description"]
    assert {"pungli", "lapor", "SaberPungli"} <= set(snippet["tags"])
    assert (snippet["categoryId"], snippet["defaultLanguage"], snippet["defaultAudioLanguage"]) == ("29", "id", "id")
    # Uploaded private, made public only after the captions and the playlist.
    [session] = state.sessions.values()
    assert session["meta"]["status"] == {
        "privacyStatus": "private",
        "selfDeclaredMadeForKids": False,
        "embeddable": True,
    }
    assert video.status["privacyStatus"] == "public" and video.status["selfDeclaredMadeForKids"] is False
    released = state.log.index("PUT /youtube/v3/videos")
    assert max(i for i, line in enumerate(state.log) if "captions" in line or "playlistItems" in line) < released
    # One caption track per language, with the bytes of the build's sidecar.
    captions = {c["language"]: c for c in state.captions.values()}
    assert set(captions) == {"id", "nij"}
    assert captions["nij"]["sha256"] == srt_sha(tmp_path, "tolak-pungli-yt", "nij")
    assert captions["nij"]["name"] == "Dayak Ngaju" and captions["nij"]["videoId"] == video.id
    [(playlist, item)] = state.items
    assert item == video.id and state.playlists[playlist]["title"] == "Diskominfo Kaltim — ILM Antikorupsi"
    # The video id is recorded: publication.json and the youtube catalogue in the web destination.
    [publication] = (tmp_path / "publish").rglob("youtube/publication.json")
    record = json.loads(publication.read_text())
    assert record["files"][0]["key"] == f"youtube:{video.id}"
    assert record["files"][0]["sha256"] == hashlib.sha256(VIDEO).hexdigest()
    catalogue = json.loads((tmp_path / "publish" / "youtube" / "index.json").read_text())
    assert catalogue["psas"]["tolak-pungli-yt"]["files"][0]["url"] == f"https://www.youtube.com/watch?v={video.id}"


def test_rerun_uploads_no_duplicate(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    assert publish(tmp_path, url).status == Status.OK
    again = publish_psa(tmp_path / "projects" / "tolak-pungli-yt" / "psa.yaml",
                        load_config(tmp_path / "channels.yaml"), tmp_path / "build", now=NOW)  # fmt: skip
    assert again.status == Status.CACHED, again.error
    assert state.uploads() == 1 and len(state.videos) == 1 and len(state.captions) == 2 and len(state.items) == 1


def test_upload_resumes_after_a_dropped_connection(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    state.drop_chunks = {2, 3}
    result = publish(tmp_path, url)
    assert result.status == Status.OK, result.error
    [video] = state.videos.values()
    assert video.data == VIDEO  # every byte once, in order, though two chunks were cut off
    assert state.uploads() == 1  # one session, resumed: not started again
    assert state.chunk_puts > 4


def test_scheduled_release_is_uploaded_private_with_publish_at_and_held_elsewhere(
    tmp_path: Path, server: tuple[str, State]
) -> None:
    url, state = server
    result = publish(tmp_path, url, schedule="publish_at: 2026-03-02T08:00:00+07:00\n")
    assert result.held and result.status == Status.SKIPPED
    [video] = state.videos.values()
    assert video.status["privacyStatus"] == "private" and video.status["publishAt"] == "2026-03-02T01:00:00Z"
    assert not list((tmp_path / "publish").rglob("*.mp3"))  # the other channels wait for the embargo
    assert not (tmp_path / "publish" / "site").exists()
    due = publish_psa(tmp_path / "projects" / "tolak-pungli-yt" / "psa.yaml", load_config(tmp_path / "channels.yaml"),
                      tmp_path / "build", now=NOW + dt.timedelta(days=2))  # fmt: skip
    assert due.status == Status.OK, due.error
    assert state.uploads() == 1


def test_quota_exhausted_is_a_clear_error_and_the_next_run_finishes_without_a_duplicate(
    tmp_path: Path, server: tuple[str, State]
) -> None:
    url, state = server
    state.quota_after = 5  # enough for the upload (POST + 4 chunks), not for the captions
    result = publish(tmp_path, url)
    assert result.status == Status.FAILED
    assert "tolak-pungli-yt: YouTube quota exhausted (quotaExceeded)" in (result.error or "")
    assert "midnight Pacific time" in (result.error or "")
    assert len(state.videos) == 1 and not state.captions
    assert not (tmp_path / "publish" / "site").exists()  # not listed: it did not publish

    state.quota_after = None
    again = publish_psa(tmp_path / "projects" / "tolak-pungli-yt" / "psa.yaml",
                        load_config(tmp_path / "channels.yaml"), tmp_path / "build", now=NOW)  # fmt: skip
    assert again.status == Status.OK, again.error
    assert state.uploads() == 1 and len(state.captions) == 2


def test_revoked_sign_in_names_the_fix(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    token_file(tmp_path, url, expired=True)
    state.revoked = True
    result = publish(tmp_path, url)
    assert result.status == Status.FAILED
    assert "revoked or has expired; run psa auth youtube --client-secrets FILE" in (result.error or "")
    assert "POST /token" in state.log and not state.videos and not state.sessions


def test_expired_token_is_refreshed_and_kept_private(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    token = token_file(tmp_path, url, expired=True)
    assert publish(tmp_path, url).status == Status.OK
    assert "POST /token" in state.log
    assert os.stat(token).st_mode & 0o777 == 0o600


def test_world_readable_token_is_refused(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    token_file(tmp_path, url).chmod(0o644)
    result = publish(tmp_path, url)
    assert result.status == Status.FAILED and "can be read by other users" in (result.error or "")
    assert "chmod 600" in (result.error or "") and not state.log


def test_missing_caption_language_is_refused_before_uploading(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    result = publish(tmp_path, url, youtube=("ind",))
    assert result.status == Status.FAILED
    assert "tolak-pungli-yt: no caption file for nij in the youtube rendition" in (result.error or "")
    assert state.uploads() == 0


def test_a_title_youtube_refuses_is_named_before_uploading(tmp_path: Path, server: tuple[str, State]) -> None:
    url, state = server
    result = publish(tmp_path, url, title="Tolak <pungli> di pasar")
    assert result.status == Status.FAILED
    assert "tolak-pungli-yt: the title" in (result.error or "") and "shorten `title`" in (result.error or "")
    assert state.uploads() == 0


def test_sign_in_runs_the_installed_app_flow_and_stores_a_private_token(
    tmp_path: Path, server: tuple[str, State], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The flow up to Google's redirect: the browser step is ours (a request to the redirect URI), the rest is real."""
    import queue
    import threading
    import urllib.parse
    import urllib.request
    import webbrowser

    from psa_pipeline.publish.youtube_api import sign_in

    url, _state = server
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "psa.apps", "client_secret": "not-a-secret", "auth_uri": f"{url}/auth",
        "token_uri": f"{url}/token", "redirect_uris": ["http://localhost"],
    }}))  # fmt: skip
    opened: queue.Queue[str] = queue.Queue()

    class Browser:
        def open(self, address: str, new: int = 0, autoraise: bool = True) -> bool:
            opened.put(address)
            return True

    monkeypatch.setattr(webbrowser, "get", lambda using=None: Browser())
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the loopback token endpoint is plain http
    token = tmp_path / "config" / "youtube-token.json"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sign_in(secrets, token)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    consent = urllib.parse.urlsplit(opened.get(timeout=20))
    asked = urllib.parse.parse_qs(consent.query)
    assert consent.path == "/auth" and "https://www.googleapis.com/auth/youtube.upload" in asked["scope"][0]
    redirect = asked["redirect_uri"][0]
    assert redirect.startswith("http://127.0.0.1:")
    query = urllib.parse.urlencode({"code": "loopback-consent-code", "state": asked["state"][0]})
    with urllib.request.urlopen(f"{redirect}?{query}", timeout=20) as answer:
        assert b"Signed in" in answer.read()
    thread.join(timeout=20)
    assert not errors, errors
    assert os.stat(token).st_mode & 0o777 == 0o600
    stored = json.loads(token.read_text())
    assert stored["refresh_token"] == REFRESH
    assert TOKEN not in capsys.readouterr().out and REFRESH not in capsys.readouterr().out


def test_auth_command_refuses_a_file_that_is_not_an_oauth_client(tmp_path: Path) -> None:
    from helpers import run_psa

    secrets = tmp_path / "client_secret.json"
    secrets.write_text('{"web": {}}')
    result = run_psa("--lang", "en", "auth", "youtube", "--client-secrets", secrets, "--no-browser")
    assert result.code == 1
    assert "is not an OAuth client of type Desktop app" in result.stdout + result.stderr


def test_new_content_is_refused_without_replace_and_replace_updates_without_uploading(
    tmp_path: Path, server: tuple[str, State]
) -> None:
    url, state = server
    assert publish(tmp_path, url).status == Status.OK
    [video] = state.videos.values()
    # A rebuild with other video bytes (and a new title) for the same PSA.
    shutil.rmtree(tmp_path / "build")
    psa = site_psa(tmp_path, "tolak-pungli-yt", media={"yt.mp4": VIDEO[::-1]}, youtube=("ind", "nij"),
                   title="Tolak Pungli di Pasar Baru")  # fmt: skip
    config = load_config(tmp_path / "channels.yaml")
    refused = publish_psa(psa.manifest, config, psa.build_root, now=NOW)
    assert refused.status == Status.FAILED
    assert f"tolak-pungli-yt: already on YouTube as {video.id} with other content; use --replace" in (
        refused.error or ""
    )
    replaced = publish_psa(psa.manifest, config, psa.build_root, replace=True, now=NOW)
    assert replaced.status == Status.OK, replaced.error
    assert state.uploads() == 1 and video.snippet["title"] == "Tolak Pungli di Pasar Baru"
    assert {c["sha256"] for c in state.captions.values()} == {
        srt_sha(tmp_path, "tolak-pungli-yt", "ind"), srt_sha(tmp_path, "tolak-pungli-yt", "nij"),
    }  # fmt: skip
