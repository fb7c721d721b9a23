"""The public site in a real headless Chromium: pages at phone and desktop width, a video playing with its
caption track, and the Cek keaslian panel telling an official file from a modified copy."""

from __future__ import annotations

import functools
import http.server
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM_BINARY, CHROMIUM_WRAPPER, LAUNCH_ARGS, PHONE, check_page, chromium_available
from helpers import ffmpeg, serving
from sitefixtures import channels_yaml, site_psa

from psa_pipeline.channels.config import load_config
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_psa

if not chromium_available():
    if os.environ.get("CI"):
        pytest.fail("Chromium or playwright missing in CI: apt-get install chromium; pip install playwright")
    pytest.skip("needs Debian's chromium (/usr/bin/chromium) and the playwright package", allow_module_level=True)

pytestmark = pytest.mark.media  # ffmpeg for the media, Debian's Chromium

VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.800\n{text}\n"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """One PSA with real tiny media (H.264/AAC video, MP3), published to a folder with its site."""
    root = tmp_path_factory.mktemp("site")
    media = root / "media"
    media.mkdir()
    for name, seconds, size in (("web.mp4", 2, "160x90"), ("small.mp4", 1, "128x72")):
        ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={seconds}",
               "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart",
               "-shortest", str(media / name))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame", str(media / "spot.mp3"))
    files = {
        "mp4": (media / "web.mp4").read_bytes(),
        "small.mp4": (media / "small.mp4").read_bytes(),
        "mp3": (media / "spot.mp3").read_bytes(),
        "ind.vtt": VTT.format(text="Tolak pungli!").encode(),
        "nij.vtt": VTT.format(text="Dia pungli!").encode(),
    }
    psa = site_psa(root, "tolak-pungli-samsat", media=files)
    config = load_config(channels_yaml(root, root / "publish"))
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    return root / "publish", files


@pytest.fixture(scope="module")
def server(published: tuple[Path, dict[str, bytes]]) -> Iterator[str]:
    """The publish folder over HTTP on loopback: <track> captions need a same-origin page, which file:// is not."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(functools.partial(Quiet, directory=str(published[0]))) as url:
        yield url


@pytest.mark.parametrize(
    "page", ["site/index.html", "site/en/index.html", "site/psa/tolak-pungli-samsat.html", "site/cek.html",
             "site/provinsi/kalimantan-timur.html"],
)  # fmt: skip
def test_pages_render_at_phone_and_desktop_width(
    published: tuple[Path, dict[str, bytes]], tmp_path: Path, page: str
) -> None:
    check = check_page(published[0] / page, tmp_path)
    # Opened from disk, Chromium refuses <track> files (file: pages are unique origins); served over HTTP
    # they load, as the playback test below proves. Every other problem still fails the test.
    check.console_errors = [e for e in check.console_errors if not (".vtt from frame" in e and "file:" in e)]
    assert check.ok, check.summary()
    assert check.title


def test_video_plays_with_caption_track_and_cek_keaslian_tells_official_from_modified(
    published: tuple[Path, dict[str, bytes]], server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    official = tmp_path / "dari-whatsapp.mp4"
    official.write_bytes(published[1]["small.mp4"])
    modified = tmp_path / "diubah.mp4"
    modified.write_bytes(published[1]["small.mp4"] + b"x")
    executable = CHROMIUM_BINARY if CHROMIUM_BINARY.exists() else CHROMIUM_WRAPPER
    with sync_playwright() as playwright:
        # Loopback only: every other host stays unresolvable, as in browser.py.
        args = [a for a in LAUNCH_ARGS if not a.startswith("--host-resolver-rules")]
        args.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True, args=args)
        try:
            page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{server}/site/psa/tolak-pungli-samsat.html")
            played = page.evaluate(
                """async () => {
                  const video = document.querySelector("video");
                  const track = video.textTracks[0];
                  track.mode = "showing";
                  video.muted = true;
                  await video.play();
                  const deadline = Date.now() + 10000;
                  while ((video.currentTime < 0.5 || !track.cues || !track.cues.length) && Date.now() < deadline) {
                    await new Promise((r) => setTimeout(r, 100));
                  }
                  return {time: video.currentTime, lang: track.language, cues: track.cues ? track.cues.length : 0,
                          text: track.cues && track.cues.length ? track.cues[0].text : "", tracks: video.textTracks.length};
                }"""
            )
            assert played["time"] >= 0.5, played
            assert played == {**played, "lang": "id", "cues": 1, "text": "Tolak pungli!", "tracks": 2}

            page.goto(f"{server}/site/cek.html")
            page.set_input_files("#cek-file", str(official))
            page.wait_for_selector("#cek-result.ok")
            verdict = page.inner_text("#cek-result")
            assert "Berkas resmi" in verdict and "Tolak Pungli tolak-pungli-samsat" in verdict
            assert "tolak-pungli-samsat-whatsapp-small.mp4" in verdict

            page.set_input_files("#cek-file", str(modified))
            page.wait_for_selector("#cek-result.bad")
            assert "Bukan berkas resmi" in page.inner_text("#cek-result")
        finally:
            browser.close()
