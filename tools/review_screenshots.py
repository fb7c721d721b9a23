"""Pictures of the real review app for README.id.md: `psa review` in Chromium, in Bahasa Indonesia.

Two sample projects are copied to a scratch folder and run through the real commands: `psa batch
run`, then `psa review` (a subprocess on a free loopback port, its tokenised address read from what
it prints). Headless Chromium opens the page, a reviewer approves one PSA and requests changes on the
other through the form, and the page is photographed at desktop (1280 px) and phone (390 px) width.
The pictures fail to be written when the page scrolls sideways or the decisions did not land.

Run: .venv/bin/python tools/review_screenshots.py   (about two minutes: the batch is really built)
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
VIDEO = "diskominfo-sumsel-kpk-antikorupsi"
RADIO = "inspektorat-kalteng-tolak-gratifikasi"
CHROMIUM = Path("/usr/lib/chromium/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ENV = {**os.environ, "PSA_LANG": "id"}


def psa(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "psa_pipeline", *args], cwd=cwd, env=ENV, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_review(work: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "psa_pipeline", "review", "projects", "--port", str(port)],
        cwd=work, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    line = server.stdout.readline()
    found = re.search(r"http://localhost:\d+/\S+/", line)
    if not found:
        server.kill()
        raise SystemExit(f"psa review printed no address: {line!r}")
    url = found.group(0).replace("localhost", "127.0.0.1")
    for _ in range(100):  # uvicorn starts listening just after the line is printed
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("psa review did not start listening")


def decide(page: Page, psa_id: str, button: str, comment: str) -> None:
    form = page.locator(f"section[data-psa={psa_id}] form.decide")
    if form.locator("input[name=reviewer]").count():
        form.locator("input[name=reviewer]").fill("Siti Rahmawati")
        form.locator("input[name=role]").fill("Kepala Bidang Informasi dan Komunikasi Publik")
    form.locator("textarea[name=comment]").fill(comment)
    form.locator(f"button[value={button}]").click()
    page.wait_for_load_state()


def photograph(url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
            page.goto(url)
            decide(page, RADIO, "approve", "Sudah didengar semua rendisi; kenyaringan sesuai.")
            decide(page, VIDEO, "request-changes", "Teks kartu penutup terlalu kecil di versi WhatsApp.")
            states = [page.locator(f"section[data-psa={p}] .state").first.inner_text() for p in (RADIO, VIDEO)]
            print("states:", states)
            OUT.mkdir(parents=True, exist_ok=True)
            for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(size)  # type: ignore[arg-type]
                page.evaluate("() => window.scrollTo(0, 0)")
                width = page.evaluate("() => document.documentElement.scrollWidth")
                if width > size["width"]:
                    raise SystemExit(f"{name}: the page is {width}px wide, more than {size['width']}px")
                path = OUT / f"psa-review-{name}.png"
                page.screenshot(path=path, full_page=False, animations="disabled")
                print(f"wrote {path} ({path.stat().st_size // 1024} kB)")
        finally:
            browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        shutil.copytree(ROOT / "assets", work / "assets")
        for name in (VIDEO, RADIO):
            shutil.copytree(ROOT / "projects" / name, work / "projects" / name)
        psa("batch", "run", "projects", cwd=work)
        server, url = start_review(work)
        try:
            photograph(url)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
