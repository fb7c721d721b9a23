"""Social upload kits: the right rendition, a cover frame and captions per platform, or a refusal with the fix."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import ffmpeg, run_psa
from sitefixtures import site_psa

from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.publish.kits import KitPlan, plan_kits
from psa_pipeline.records.renditions import RenditionsRecord

# The builds here are tiny real media: publishing fingerprints every rendition with ffmpeg.
pytestmark = pytest.mark.media


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English (msgids), whatever the Indonesian catalogue says once it is merged."""
    monkeypatch.setenv("PSA_LANG", "en")


def plans_for(root: Path, psa_id: str, vertical: tuple[int, int, float] | None = None) -> dict[str, KitPlan]:
    psa = site_psa(root, psa_id, vertical=vertical)
    manifest = load_manifest(psa.manifest).manifest
    assert manifest is not None
    record = RenditionsRecord.read(psa.build_root / psa_id / "renditions.json")
    return {plan.platform: plan for plan in plan_kits(manifest, record)}


def test_plan_picks_the_vertical_rendition_and_writes_captions_in_both_languages(tmp_path: Path) -> None:
    plans = plans_for(tmp_path, "tolak-pungli-reels", vertical=(1080, 1920, 30.0))
    assert set(plans) == {"instagram-reels", "tiktok", "facebook-reels"}
    for plan in plans.values():
        assert plan.problem is None and plan.rendition is not None
        assert plan.rendition.file == "tolak-pungli-reels-social-vertical.mp4"
    captions = plans["tiktok"].captions
    assert set(captions) == {"id", "en"}
    assert captions["id"].startswith("Tolak Pungli tolak-pungli-reels\n")
    assert "www.lapor.go.id" in captions["id"] and "SMS 1708" in captions["en"]
    assert "Laporkan pungli: www.lapor.go.id / SMS 1708" in captions["id"]  # the PSA's own end card
    # Hashtags from the themes (pungli, lapor) and the province.
    assert "#SaberPungli" in captions["id"] and "#LAPOR1708" in captions["id"] and "#KalimantanTimur" in captions["en"]


def test_plan_refuses_a_platform_the_psa_does_not_fit_naming_the_psa_and_the_fix(tmp_path: Path) -> None:
    no_vertical = plans_for(tmp_path / "a", "tolak-suap-web")
    assert "add `social` to `channels:`" in no_vertical["instagram-reels"].problem
    assert (no_vertical["tiktok"].problem or "").startswith("tolak-suap-web: ")
    long = plans_for(tmp_path / "b", "tolak-suap-panjang", vertical=(1080, 1920, 120.0))
    assert long["instagram-reels"].problem is None
    assert "runs 120.0 s; Facebook Reels takes 3-90 s" in long["facebook-reels"].problem
    small = plans_for(tmp_path / "c", "tolak-suap-kecil", vertical=(540, 960, 30.0))
    assert "TikTok needs at least 720 pixels wide" in small["tiktok"].problem


def test_psa_kits_writes_folder_and_zip_with_the_built_bytes_and_a_cover_frame(tmp_path: Path) -> None:
    clip = tmp_path / "vertical.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=540x960:rate=10:duration=4", "-f", "lavfi", "-i",
           "sine=duration=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-shortest", str(clip))  # fmt: skip
    data = clip.read_bytes()
    psa = site_psa(tmp_path, "tolak-pungli-kit", media={"vertical.mp4": data}, vertical=(540, 960, 4.0))
    result = run_psa("kits", psa.project, "--build", psa.build_root, "--out", tmp_path / "kits")
    assert result.code == 1  # TikTok refused (540 wide), the other platforms made
    assert "tolak-pungli-kit: " in result.stdout and "TikTok needs at least 720 pixels wide" in result.stdout

    folder = tmp_path / "kits" / "tolak-pungli-kit" / "instagram-reels"
    video = folder / "tolak-pungli-kit-instagram-reels.mp4"
    assert hashlib.sha256(video.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    probed = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(folder / "cover.jpg")],
        capture_output=True, check=True, text=True,
    ).stdout)["streams"][0]  # fmt: skip
    assert (probed["codec_name"], probed["width"], probed["height"]) == ("mjpeg", 540, 960)
    assert "#AntiKorupsi" in (folder / "caption-id.txt").read_text(encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "kits" / "tolak-pungli-kit" / "instagram-reels.zip") as archive:
        names = sorted(archive.namelist())
        assert names == [f"tolak-pungli-kit-instagram-reels/{n}" for n in (
            "caption-en.txt", "caption-id.txt", "cover.jpg", "tolak-pungli-kit-instagram-reels.mp4")]  # fmt: skip
        assert archive.read(names[3]) == data
    assert (tmp_path / "kits" / "tolak-pungli-kit" / "facebook-reels.zip").is_file()
    assert not (tmp_path / "kits" / "tolak-pungli-kit" / "tiktok.zip").exists()
    assert not list((tmp_path / "kits").rglob("*.part"))
