"""The page checker must fail on broken pages, not only pass on good ones: prove both in a real Chromium."""

from __future__ import annotations

import base64
import http.server
import os
import struct
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import PHONE, check_page, chromium_available

if not chromium_available():
    # CI installs Chromium through the Makefile, so there a skip would hide a missing install step.
    if os.environ.get("CI"):
        pytest.fail("Chromium or playwright missing in CI: apt-get install chromium; pip install playwright")
    pytest.skip("needs Debian's chromium (/usr/bin/chromium) and the playwright package", allow_module_level=True)

VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1">'

pytestmark = pytest.mark.media  # Debian's Chromium


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real, decodable PNG of one colour, so the good page needs no file beside it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))  # filter byte 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def page(tmp_path: Path, name: str, head: str, body: str) -> Path:
    path = tmp_path / f"{name}.html"
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>")
    return path


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep pytest output quiet
        pass


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request: if the browser sent one, it lands here."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_good_self_contained_page_passes(tmp_path: Path) -> None:
    dot = data_uri(png(4, 3, (200, 30, 30)))
    tile = data_uri(png(2, 2, (30, 30, 200)))
    html = page(
        tmp_path,
        "good",
        f"<title>Laporan</title>{VIEWPORT_META}"
        f"<style>body{{font-family:sans-serif;margin:1rem}} .hero{{height:40px;background:url('{tile}')}}"
        " .hero::after{content:'';display:block;height:4px;background-image:linear-gradient(red,blue)}</style>",
        f"<h1>Laporan</h1><div class='hero'></div><img alt='dot' src='{dot}' width='40'>"
        "<img alt='lazy' loading='lazy' style='margin-top:3000px' src='" + dot + "'>"
        "<script>console.log('fine'); console.warn('warnings are not errors');</script>",
    )
    out = tmp_path / "shots"

    result = check_page(html, out)

    assert result.ok, result.summary()
    assert result.title == "Laporan"
    assert result.screenshot == out / "good-desktop.png"
    assert result.phone_screenshot == out / "good-phone.png"
    # Full-page: as wide as the viewport and taller than it, since the lazy image sits 3000px down.
    desktop_width, desktop_height = png_size(result.screenshot)
    phone_width, phone_height = png_size(result.phone_screenshot)
    assert desktop_width == 1280 and desktop_height > 3000
    assert phone_width == PHONE["width"] and phone_height > 3000


def test_broken_page_reports_every_problem(tmp_path: Path, loopback: tuple[str, list[str]]) -> None:
    server, hits = loopback
    html = page(
        tmp_path,
        "broken",
        f"<title>Rusak</title>{VIEWPORT_META}<style>.banner{{height:20px;background:url(missing-bg.png)}}</style>",
        "<img alt='gone' src='missing.png'>"
        "<img alt='remote' src='https://example.com/a.png'>"
        f"<img alt='loopback' src='{server}/pixel.png'>"
        "<div class='banner'></div>"
        "<script>console.error('x'); throw new Error('boom');</script>",
    )

    result = check_page(html, tmp_path / "shots")

    assert not result.ok
    assert result.title == "Rusak"
    assert "Error: boom" in result.page_errors, result.summary()
    assert any(error.split(" [")[0] == "x" for error in result.console_errors), result.summary()
    broken = "\n".join(result.broken_images)
    assert (tmp_path / "missing.png").as_uri() in broken, result.summary()
    assert (tmp_path / "missing-bg.png").as_uri() + " (background-image of div.banner)" in broken, result.summary()
    assert "https://example.com/a.png" in broken, result.summary()
    assert "https://example.com/a.png" in result.external_requests, result.summary()
    assert f"{server}/pixel.png" in result.external_requests, result.summary()
    # Aborted by our router (Chromium's "blocked by client"), and the server really got nothing.
    assert any("ERR_BLOCKED_BY_CLIENT" in e and "/pixel.png" in e for e in result.console_errors), result.summary()
    assert hits == []
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # ignore any *_proxy variables
    with pytest.raises(urllib.error.HTTPError):  # the server was alive all along: it answers 404 to us
        direct.open(f"{server}/probe", timeout=5)
    assert hits == ["/probe"]
    assert not result.horizontal_overflow_on_phone
    assert result.screenshot.is_file() and result.phone_screenshot.is_file()


def test_wide_element_overflows_on_phone(tmp_path: Path) -> None:
    html = page(
        tmp_path,
        "wide",
        f"<title>Lebar</title>{VIEWPORT_META}",
        "<p>table below is too wide</p><div style='width:2000px;height:20px;background:#c33'></div>",
    )

    result = check_page(html, tmp_path / "shots")

    assert result.horizontal_overflow_on_phone, result.summary()
    assert not (result.console_errors or result.page_errors or result.broken_images or result.external_requests)
    # The phone screenshot shows the whole 2000px document, so a person can see what sticks out.
    assert png_size(result.phone_screenshot)[0] > PHONE["width"]


def test_page_without_viewport_meta_overflows_on_phone(tmp_path: Path) -> None:
    # The phone context is a mobile one, so like a real phone it lays out a page without
    # <meta name=viewport> 980px wide and shrinks it: not responsive, and reported as such.
    html = page(tmp_path, "desktop-only", "<title>Desktop</title>", "<p>short text that would fit</p>")

    assert check_page(html, tmp_path / "shots").horizontal_overflow_on_phone
