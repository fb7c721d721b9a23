"""`psa batch run`: Kominfosantik runs a whole folder of submissions, resumably, locally or on a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, TINY, approve_build, run_psa, video_project

pytestmark = pytest.mark.media


def submissions(root: Path) -> Path:
    """Two good PSAs, one invalid manifest, one with corrupt media, one not approved."""
    video_project(root, "baik-satu", "whatsapp")
    video_project(root, "baik-dua", "web, social")
    invalid = video_project(root, "salah-tulis", "whatsapp")
    (invalid / "psa.yaml").write_text((invalid / "psa.yaml").read_text().replace("language: ind", "languag: ind"))
    corrupt = video_project(root, "media-rusak", "whatsapp")
    media = corrupt / "media" / "main.mp4"
    media.write_bytes(media.read_bytes()[:2000])
    unapproved = video_project(root, "belum-disetujui", "whatsapp")
    text = (unapproved / "psa.yaml").read_text()
    (unapproved / "psa.yaml").write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("approval"))
    )
    return root / "projects"


def config_with_folder(tmp_path: Path) -> Path:
    config = tmp_path / "channels.yaml"
    config.write_text(
        TINY.read_text() + f"\ndestinations:\n  default: {{type: folder, path: '{tmp_path / 'publish'}'}}\n"
    )
    return config


def batch(tmp_path: Path, folder: Path, *extra: str | Path) -> tuple[int, str]:
    result = run_psa(
        "batch", "run", folder, "--channels", config_with_folder(tmp_path), "--build", tmp_path / "build", *extra
    )
    return result.code, result.stdout + result.stderr


def report(tmp_path: Path) -> dict[str, Any]:
    return json.loads((tmp_path / "build" / "batch-report.json").read_text())  # type: ignore[no-any-return]


def test_a_mixed_batch_reports_each_psa_builds_the_good_ones_and_publishes_only_after_review(tmp_path: Path) -> None:
    folder = submissions(tmp_path)
    code, out = batch(tmp_path, folder, "-j", "2")
    assert code == 1, out
    by_id = {p["manifest"].split("/")[0]: p for p in report(tmp_path)["psas"]}
    assert {k: v["status"] for k, v in by_id.items()} == {
        "baik-dua": "ok", "baik-satu": "ok", "belum-disetujui": "ok", "media-rusak": "refused", "salah-tulis": "refused",
    }  # fmt: skip
    assert {k: v["review"]["state"] for k, v in by_id.items()} == {
        "baik-dua": "needs-review", "baik-satu": "needs-review", "belum-disetujui": "needs-review",
        "media-rusak": "failed", "salah-tulis": "failed",
    }  # fmt: skip
    assert by_id["salah-tulis"]["steps"]["validate"]["status"] == "refused"
    assert "unknown key 'languag'; did you mean 'language'?" in " ".join(
        by_id["salah-tulis"]["steps"]["validate"]["errors"]
    )
    assert "build" not in by_id["salah-tulis"]["steps"]
    assert by_id["media-rusak"]["steps"]["validate"]["status"] == "refused"
    assert "this file is incomplete" in " ".join(by_id["media-rusak"]["steps"]["validate"]["errors"])
    assert all("publish" not in p["steps"] for p in by_id.values())
    assert not (tmp_path / "publish").exists()  # batch run never publishes
    good = by_id["baik-dua"]
    assert [r["name"] for r in good["renditions"]] == ["web/small", "social/vertical"]
    assert [t["lang"] for t in good["renditions"][0]["tracks"]] == ["ind", "nij"]
    assert [t["lang"] for t in good["subtitles"]] == ["ind", "nij"] and good["subtitles"][0]["first_cues"][
        0
    ] == "Tolak pungli!"
    html = (tmp_path / "build" / "batch-report.html").read_text()
    assert "unknown key &#39;languag&#39;" in html and "data:image/jpeg;base64," in html
    assert "<video controls" in html and 'src="baik-dua/web/baik-dua-web-small.mp4"' in html

    for psa_id in ("baik-satu", "belum-disetujui"):
        approve_build(tmp_path / "build", psa_id)
    published = run_psa(
        "batch", "publish", folder, "--channels", config_with_folder(tmp_path), "--build", tmp_path / "build"
    )
    assert published.code == 1, published.stdout + published.stderr
    by_id = {p["manifest"].split("/")[0]: p for p in report(tmp_path)["psas"]}
    assert by_id["baik-satu"]["review"]["state"] == "published" and all(
        r["url"] for r in by_id["baik-satu"]["renditions"]
    )
    assert by_id["baik-dua"]["steps"]["publish"]["status"] == "refused"  # built, not approved by a reviewer
    assert by_id["baik-dua"]["review"]["state"] == "needs-review"
    assert "psa approve baik-dua" in by_id["baik-dua"]["steps"]["publish"]["error"]
    # a reviewer's approval does not replace the agency's own sign-off in the manifest
    assert by_id["belum-disetujui"]["steps"]["publish"]["status"] == "refused"
    assert "approval:" in by_id["belum-disetujui"]["steps"]["publish"]["error"]
    assert json.loads((tmp_path / "publish" / "whatsapp" / "index.json").read_text())["psas"].keys() == {"baik-satu"}
    assert not (tmp_path / "publish" / "web").exists() and not (tmp_path / "publish" / "social").exists()


def test_two_submissions_with_one_id_refuse_the_batch_naming_both(tmp_path: Path) -> None:
    video_project(tmp_path, "satu", "whatsapp")
    twin = video_project(tmp_path, "kembar", "whatsapp")
    (twin / "psa.yaml").write_text((twin / "psa.yaml").read_text().replace("id: kembar", "id: satu"))
    code, out = batch(tmp_path, tmp_path / "projects")
    assert code == 1
    assert str(tmp_path / "projects" / "satu" / "psa.yaml") in out and str(twin / "psa.yaml") in out, out
    assert not (tmp_path / "build" / "satu").exists()  # refused before anything was built


def test_a_rerun_redoes_nothing_and_a_crashed_run_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    video_project(tmp_path, "satu", "whatsapp")
    video_project(tmp_path, "dua", "web")
    config = config_with_folder(tmp_path)
    args = [sys.executable, "-m", "psa_pipeline", "batch", "run", str(folder), "--channels", str(config),
            "--build", str(tmp_path / "build"), "-j", "1"]  # fmt: skip
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = tmp_path / "build" / "batch-journal.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.exists() and '"build"' in journal.read_text()):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)  # power cut after the first build finished
    process.wait(timeout=30)
    code, out = batch(tmp_path, folder, "-j", "1")
    assert code == 0, out
    assert "from journal" in out  # the finished build was not redone
    started = time.monotonic()
    code, out = batch(tmp_path, folder)
    assert code == 0 and out.count("(from journal)") == 4  # validate and build for both
    assert time.monotonic() - started < 30


def test_two_runs_on_one_build_folder_are_refused_not_interleaved(tmp_path: Path) -> None:
    from psa_pipeline.batch.run import BatchLock
    from psa_pipeline.core.problems import PsaError

    video_project(tmp_path, "satu", "whatsapp")
    with BatchLock(tmp_path / "build"):
        code, out = batch(tmp_path, tmp_path / "projects")
        assert code == 1 and "another psa batch run is using" in out and f"pid {os.getpid()}" in out
        with pytest.raises(PsaError):
            BatchLock(tmp_path / "build").__enter__()


def test_a_dask_cluster_gives_the_same_files_as_a_local_run(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    video_project(tmp_path, "satu", "whatsapp, social")
    video_project(tmp_path, "dua", "web")
    local = run_psa("batch", "run", tmp_path / "projects", "--channels", TINY, "--build", tmp_path / "local", "-j", "2")
    assert local.code == 0, local.stdout + local.stderr
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        remote = run_psa("batch", "run", tmp_path / "projects", "--channels", TINY, "--build", tmp_path / "cluster",
                         "--scheduler", cluster.scheduler_address)  # fmt: skip
    assert remote.code == 0, remote.stdout + remote.stderr

    def hashes(root: Path) -> dict[str, str]:
        return {
            f"{psa}/{r['name']}": r["sha256"]
            for psa in ("satu", "dua")
            for r in json.loads((root / psa / "renditions.json").read_text())["renditions"]
        }

    assert hashes(tmp_path / "cluster") == hashes(tmp_path / "local")
    assert len(hashes(tmp_path / "local")) == 3


def test_misuse_exits_2(tmp_path: Path) -> None:
    assert run_psa("batch", "run", tmp_path / "nowhere").code == 2


def test_the_review_report_opens_cleanly_in_a_real_browser_on_desk_and_phone(tmp_path: Path) -> None:
    from browser import check_page

    folder = submissions(tmp_path)
    radio = video_project(tmp_path, "drama-radio", "whatsapp")
    text = (radio / "psa.yaml").read_text().replace("kind: video", "kind: radio-drama")
    (radio / "psa.yaml").write_text(
        text.replace("sources: {video: media/main.mp4}", "sources: {audio: media/drama.wav}\naudiogram: true")
    )
    from helpers import make_tone

    make_tone(radio / "media" / "drama.wav", seconds=3.0)
    code, out = batch(tmp_path, folder)
    assert code == 1, out  # the planted bad submissions
    screenshots = ROOT / "build" / "test-screenshots"  # kept after the run, for people to look at
    page = check_page(tmp_path / "build" / "batch-report.html", screenshots)
    assert page.title == "psa batch review"
    assert page.console_errors == [] and page.page_errors == []
    assert page.broken_images == [] and page.external_requests == []
    assert not page.horizontal_overflow_on_phone
    assert page.screenshot.stat().st_size > 10_000 and page.phone_screenshot.stat().st_size > 10_000
    html = (tmp_path / "build" / "batch-report.html").read_text()
    assert html.count("<img ") >= 5  # contact sheets and waveforms of the good PSAs, the audiogram included
    assert "drama-radio" in html and "<svg" in html


def test_a_full_disk_stops_the_batch_clearly_and_the_journal_resumes(tmp_path: Path, small_disk: Path) -> None:
    video_project(tmp_path, "satu", "whatsapp")
    video_project(tmp_path, "dua", "whatsapp")
    video_project(tmp_path, "tiga", "whatsapp")
    disk = small_disk
    args = ["batch", "run", tmp_path / "projects", "--channels", TINY, "--build", disk / "build", "-j", "1"]
    full = run_psa(*args)
    assert full.code == 1
    assert "the disk holding" in full.stderr and "is full" in full.stderr, full.stdout + full.stderr
    journal = disk / "build" / "batch-journal.json"
    if journal.exists():
        json.loads(journal.read_text())  # whatever was written is whole
    subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
    resumed = run_psa(*args)
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert len(json.loads(journal.read_text())["psas"]) == 3
