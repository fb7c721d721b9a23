"""`psa review`: reviewers watch every rendition of a batch in the browser and approve or request changes.

The real app runs under uvicorn on 127.0.0.1 (a free port, in a thread); requests are real HTTP.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import stat
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, TINY, run_psa, video_project

from psa_pipeline.approval.store import read_history
from psa_pipeline.core import i18n

pytestmark = pytest.mark.media


@dataclass
class Batch:
    root: Path
    folder: Path
    build: Path
    channels: Path


@dataclass
class Server:
    url: str  # with the token, ending in "/"
    base: str  # without it
    approvals: Path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    root = tmp_path_factory.mktemp("review")
    video_project(root, "satu", "web")
    video_project(root, "dua", "web, whatsapp")
    channels = root / "channels.yaml"
    channels.write_text(
        TINY.read_text() + f"\ndestinations:\n  default: {{type: folder, path: '{root / 'publish'}'}}\n"
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PSA_LANG", "en")  # module-scoped: the per-test English fixture has not run yet
        result = run_psa(
            "batch", "run", root / "projects", "--channels", channels, "--build", root / "build", "-j", "2"
        )
    assert result.code == 0, result.stdout + result.stderr
    return Batch(root, root / "projects", root / "build", channels)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(batch: Batch, tmp_path: Path) -> Iterator[Server]:
    yield from serve(batch, tmp_path / "approvals")


def serve(batch: Batch, approvals: Path, accounts: Path | None = None) -> Iterator[Server]:
    import uvicorn

    from psa_pipeline.review.accounts import load_accounts
    from psa_pipeline.review.app import ReviewConfig, create_app

    i18n.choose("en")
    config = ReviewConfig(batch.folder, batch.build, approvals, accounts=load_accounts(accounts) if accounts else None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    base = f"http://127.0.0.1:{port}"
    try:
        yield Server(f"{base}/{config.token}/", base, approvals)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        i18n.choose(None)


class Client:
    """A browser-like client: keeps cookies, follows redirects, says the status instead of raising."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return self._open(urllib.request.Request(url, headers=headers or {}))

    def post(self, url: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return self._open(urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


def form_of(page: bytes, psa_id: str) -> dict[str, str]:
    text = page.decode()
    match = re.search(rf'<form class="decide" method="post" action="[^"]*/decide/{psa_id}">(.*?)</form>', text, re.S)
    assert match, f"no decision form for {psa_id}"
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', match.group(1)))


def decisions(approvals: Path, psa_id: str) -> list[tuple[str, str]]:
    history = read_history(approvals, psa_id)
    return [(e.reviewer, e.decision) for e in history.events] if history else []


def test_the_token_csrf_and_build_folder_guard_every_request(batch: Batch, server: Server) -> None:
    client = Client()
    assert client.get(server.base + "/")[0] == 404
    assert client.get(server.base + "/not-the-token/")[0] == 404
    code, _, page = client.get(server.url)
    assert code == 200 and b"satu" in page and b"dua" in page
    hidden = form_of(page, "satu")
    decide = server.url + "decide/satu"
    person = {"reviewer": "Siti Rahmawati", "role": "Kepala Bidang IKP", "decision": "approve"}
    # a forged form: right session, wrong CSRF token; and a right token from a client without the session
    assert client.post(decide, {**hidden, **person, "csrf": "x" * 43})[0] == 403
    assert Client().post(decide, {**hidden, **person})[0] == 403
    assert Client().post(server.base + "/not-the-token/decide/satu", {**hidden, **person})[0] == 404
    assert decisions(server.approvals, "satu") == []
    # a PSA that is not in the batch, and a page opened before a rebuild
    assert client.post(server.url + "decide/lain", {**hidden, **person})[0] == 400
    code, _, page = client.post(decide, {**hidden, **person, "fingerprint": "0" * 64})
    assert code == 200 and b"was rebuilt after this page was opened" in page
    assert decisions(server.approvals, "satu") == []
    code, _, page = client.post(decide, {**hidden, **person})
    assert code == 200 and b"satu: decision recorded" in page
    assert decisions(server.approvals, "satu") == [("Siti Rahmawati", "approve")]

    record = json.loads((batch.build / "satu" / "renditions.json").read_text())
    video = record["renditions"][0]["file"]
    data = (batch.build / "satu" / video).read_bytes()
    code, headers, body = client.get(server.url + f"media/satu/{video}", {"Range": "bytes=100-299"})
    assert code == 206 and body == data[100:300] and headers["content-type"] == "video/mp4"
    assert headers["content-range"] == f"bytes 100-299/{len(data)}"
    vtt = next(s["file"] for s in record["renditions"][0]["sidecars"] if s["format"] == "vtt")
    code, headers, body = client.get(server.url + f"media/satu/{vtt}")
    assert code == 200 and headers["content-type"].startswith("text/vtt") and body.startswith(b"WEBVTT")
    (batch.build / "satu" / "not-listed.mp4").write_bytes(b"x")
    for escape in ("renditions.json", "not-listed.mp4", "../dua/renditions.json", "%2e%2e/%2e%2e/channels.yaml",
                   "..%2F..%2Fchannels.yaml", "/etc/passwd", "%2Fetc%2Fpasswd"):  # fmt: skip
        assert client.get(server.url + f"media/satu/{escape}")[0] == 404, escape
    assert client.get(server.url + f"media/lain/{video}")[0] == 404


def test_listening_beyond_this_machine_needs_accounts_with_hashed_passwords(batch: Batch, tmp_path: Path) -> None:
    refused = run_psa("review", batch.folder, "--build", batch.build, "--host", "0.0.0.0")
    assert refused.code == 2 and "--accounts" in refused.stderr
    accounts = tmp_path / "reviewers.json"
    added = run_psa("review", "add-reviewer", accounts, "--login", "siti", "--name", "Siti Rahmawati",
                    "--role", "Kepala Bidang IKP", "--password", "rahasia-sekali-123")  # fmt: skip
    assert added.code == 0, added.stdout + added.stderr
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    assert "rahasia-sekali-123" not in accounts.read_text()
    placeholder = run_psa("review", "add-reviewer", accounts, "--login", "x", "--name", "Nama Pejabat",
                          "--role", "Kepala Bidang IKP", "--password", "rahasia-sekali-123")  # fmt: skip
    assert placeholder.code == 2
    os.chmod(accounts, 0o644)
    loose = run_psa("review", batch.folder, "--build", batch.build, "--host", "0.0.0.0", "--accounts", accounts)
    assert loose.code != 0 and "chmod 600" in loose.stdout + loose.stderr
    os.chmod(accounts, 0o600)

    for server in serve(batch, tmp_path / "approvals", accounts):
        client = Client()
        code, _, page = client.get(server.url)
        assert code == 200 and b'name="password"' in page  # sent to the sign-in page
        record = json.loads((batch.build / "satu" / "renditions.json").read_text())
        assert client.get(server.url + f"media/satu/{record['renditions'][0]['file']}")[0] == 403
        csrf = dict(re.findall(r'name="(csrf)" value="([^"]*)"', page.decode()))["csrf"]
        code, _, page = client.post(server.url + "login", {"csrf": csrf, "login": "siti", "password": "salah"})
        assert b"wrong login or password" in page
        code, _, page = client.post(
            server.url + "login", {"csrf": csrf, "login": "siti", "password": "rahasia-sekali-123"}
        )
        assert code == 200 and b"Signed in as Siti Rahmawati" in page
        hidden = form_of(page, "dua")
        assert b'name="reviewer"' not in page  # the account says who is deciding
        code, _, page = client.post(
            server.url + "decide/dua", {**hidden, "decision": "approve", "reviewer": "Orang Lain"}
        )
        assert decisions(server.approvals, "dua") == [("Siti Rahmawati", "approve")]


def test_review_in_chromium_then_batch_publish_publishes_exactly_the_approved_psa(batch: Batch, tmp_path: Path) -> None:
    from browser import CHROMIUM_BINARY, DESKTOP, LAUNCH_ARGS, PHONE
    from playwright.sync_api import sync_playwright

    approvals = tmp_path / "approvals"
    shots = ROOT / "build" / "test-screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    server = next(serve_gen := serve(batch, approvals))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM_BINARY), headless=True,
                                                 args=[a for a in LAUNCH_ARGS if not a.startswith("--host-resolver")])  # fmt: skip
            try:
                page = browser.new_page(viewport=DESKTOP)
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url)
                assert "Approve" in page.content()  # --lang en: the page is English
                # play the first rendition of satu and see time pass
                video = page.locator("section[data-psa=satu] video").first
                video.evaluate("v => { v.muted = true; return v.play(); }")
                page.wait_for_function(
                    "() => document.querySelector('section[data-psa=satu] video').currentTime > 0.3", timeout=20000
                )
                # switch the caption language: ind is the default track, show nij instead and read its cue
                langs = video.evaluate("v => [...v.textTracks].map(t => t.language)")
                assert langs == ["ind", "nij"]
                video.evaluate(
                    "v => { for (const t of v.textTracks) t.mode = t.language === 'nij' ? 'showing' : 'disabled'; }"
                )
                page.wait_for_function(
                    "() => { const t = [...document.querySelector('section[data-psa=satu] video').textTracks]"
                    ".find(t => t.language === 'nij'); return t.cues && t.cues.length > 0; }", timeout=20000
                )  # fmt: skip
                assert video.evaluate("v => [...v.textTracks].find(t => t.mode === 'showing').language") == "nij"
                # approve satu, request changes on dua
                satu = page.locator("section[data-psa=satu] form.decide")
                satu.locator("input[name=reviewer]").fill("Siti Rahmawati")
                satu.locator("input[name=role]").fill("Kepala Bidang IKP")
                satu.locator("textarea[name=comment]").fill("Sudah diperiksa")
                satu.locator("button[value=approve]").click()
                page.wait_for_load_state()
                dua = page.locator("section[data-psa=dua] form.decide")
                assert dua.locator("input[name=reviewer]").input_value() == "Siti Rahmawati"  # remembered
                dua.locator("textarea[name=comment]").fill("Teks terlalu kecil")
                dua.locator("button[value=request-changes]").click()
                page.wait_for_load_state()
                assert "approved" in page.locator("section[data-psa=satu] .state").first.inner_text()
                assert "changes requested" in page.locator("section[data-psa=dua] .state").first.inner_text()
                assert errors == []
                for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
                    page.set_viewport_size(size)
                    page.screenshot(path=shots / f"review-{name}.png", full_page=True)
                    width = page.evaluate("() => document.documentElement.scrollWidth")
                    assert width <= size["width"], f"{name}: the page is {width}px wide"
            finally:
                browser.close()
    finally:
        next(serve_gen, None)
    assert decisions(approvals, "satu") == [("Siti Rahmawati", "approve")]
    assert decisions(approvals, "dua") == [("Siti Rahmawati", "request-changes")]

    def batch_publish() -> tuple[int, dict[str, dict[str, object]]]:
        result = run_psa("batch", "publish", batch.folder, "--channels", batch.channels, "--build", batch.build,
                         "--approvals", approvals)  # fmt: skip
        data = json.loads((batch.build / "batch-report.json").read_text())
        return result.code, {p["id"]: p for p in data["psas"]}

    code, psas = batch_publish()
    assert code == 1
    assert psas["satu"]["review"]["state"] == "published" and psas["dua"]["review"]["state"] == "changes-requested"
    catalogue = json.loads((batch.root / "publish" / "web" / "index.json").read_text())
    assert list(catalogue["psas"]) == ["satu"]
    assert not (batch.root / "publish" / "whatsapp").exists()
    html = (batch.build / "batch-report.html").read_text()
    assert "state published" in html and "state changes-requested" in html

    # a rebuild with other bytes after the approval blocks publishing until it is approved again
    subtitles = batch.folder / "satu" / "subtitles" / "ind.srt"
    subtitles.write_text(subtitles.read_text().replace("Tolak", "Lawan"))
    rebuilt = run_psa("batch", "run", batch.folder, "--channels", batch.channels, "--build", batch.build)
    assert rebuilt.code == 0, rebuilt.stdout + rebuilt.stderr
    published_before = sorted(p.read_bytes() for p in (batch.root / "publish").rglob("*.mp4"))
    code, psas = batch_publish()
    assert code == 1 and psas["satu"]["steps"]["publish"]["status"] == "refused"
    assert "psa approve satu" in psas["satu"]["steps"]["publish"]["error"]
    assert psas["satu"]["review"]["state"] == "needs-review"
    assert sorted(p.read_bytes() for p in (batch.root / "publish").rglob("*.mp4")) == published_before
