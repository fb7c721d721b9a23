"""`psa publish` to a folder (radio playout watch folder, NAS) and `psa verify` on what circulates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import TINY, approve_build, run_psa, video_project

pytestmark = pytest.mark.media


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    """A built PSA and a channels.yaml that publishes to tmp/publish."""
    folder = video_project(tmp_path, "pajak-jujur", "web, whatsapp")
    config = tmp_path / "channels.yaml"
    config.write_text(
        TINY.read_text() + f"\ndestinations:\n  default: {{type: folder, path: '{tmp_path / 'publish'}'}}\n"
    )
    result = run_psa("build", "--channels", config, "-o", tmp_path / "build", folder)
    assert result.code == 0, result.stdout + result.stderr
    approve_build(tmp_path / "build", "pajak-jujur")
    return folder, config


def publish(tmp_path: Path, config: Path, *args: str | Path) -> tuple[int, str]:
    result = run_psa("publish", "--channels", config, "--build", tmp_path / "build", *args)
    return result.code, result.stdout + result.stderr


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_publish_stages_files_then_publication_then_catalogue(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    code, out = publish(tmp_path, config, folder)
    assert code == 0, out
    root = tmp_path / "publish" / "kalimantan-tengah" / "bapenda-kalteng" / "2025" / "pajak-jujur"
    assert sorted(p.name for p in (root / "web").iterdir()) == [
        "pajak-jujur-web-small.ind.srt", "pajak-jujur-web-small.ind.vtt", "pajak-jujur-web-small.mp4",
        "pajak-jujur-web-small.nij.srt", "pajak-jujur-web-small.nij.vtt", "pajak-jujur-web.fingerprints.json",
        "publication.json",
    ]  # fmt: skip
    publication = json.loads((root / "web" / "publication.json").read_text())
    assert publication["approval"]["approved_by"] == "Ahmad"
    assert {f["file"] for f in publication["files"]} >= {"pajak-jujur-web-small.mp4"}
    catalog = json.loads((tmp_path / "publish" / "web" / "index.json").read_text())
    assert catalog["psas"]["pajak-jujur"]["title"] == "Bayar Pajak Jujur"
    assert not [p for p in all_files(tmp_path / "publish") if p.name.endswith(".part")]


def test_verify_tells_official_files_from_modified_copies(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    assert publish(tmp_path, config, folder)[0] == 0
    official = next((tmp_path / "publish").rglob("*-whatsapp-small.mp4"))
    result = run_psa("verify", official, "--catalog", tmp_path / "publish")
    assert result.code == 0
    assert "OFFICIAL: this file is the official release of “Bayar Pajak Jujur” (Bapenda Kalteng, 20" in result.stdout
    assert "channel whatsapp" in result.stdout
    copy = tmp_path / "dari-whatsapp.mp4"
    copy.write_bytes(official.read_bytes()[:-1] + b"\x00")
    result = run_psa("verify", copy, "--catalog", tmp_path / "publish" / "whatsapp" / "index.json")
    # Not byte-identical any more; what it still shows is recognised (test_verify_recognise.py).
    assert "OFFICIAL:" not in result.stdout and "RESMI: file ini adalah rilis resmi" not in result.stdout


def test_a_rerun_skips_everything_and_keeps_the_catalogue(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    assert publish(tmp_path, config, folder)[0] == 0
    before = {p: p.read_bytes() for p in all_files(tmp_path / "publish")}
    code, out = publish(tmp_path, config, folder)
    assert code == 0 and "up to date" in out
    assert {p: p.read_bytes() for p in all_files(tmp_path / "publish")} == before


def test_different_content_is_refused_unless_replace(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    assert publish(tmp_path, config, folder)[0] == 0
    (folder / "subtitles" / "ind.srt").write_text(
        (folder / "subtitles" / "ind.srt").read_text().replace("Tolak", "Lawan")
    )
    assert run_psa("build", "--channels", config, "-o", tmp_path / "build", folder).code == 0
    catalog_before = (tmp_path / "publish" / "web" / "index.json").read_text()
    code, out = publish(tmp_path, config, folder)
    assert code == 1 and "psa approve pajak-jujur" in out, out  # a rebuild needs a new approval
    assert (tmp_path / "publish" / "web" / "index.json").read_text() == catalog_before
    approve_build(tmp_path / "build", "pajak-jujur")
    code, out = publish(tmp_path, config, folder)
    assert code == 1 and "already published with different content" in out and "--replace" in out
    assert (tmp_path / "publish" / "web" / "index.json").read_text() == catalog_before
    code, out = publish(tmp_path, config, "--replace", folder)
    assert code == 0, out
    publication = json.loads(next((tmp_path / "publish").rglob("whatsapp/publication.json")).read_text())
    replaced = [f for f in publication["files"] if "replaced" in f]
    assert replaced and replaced[0]["replaced"].startswith("replaced sha256 ")


def test_an_unapproved_psa_is_refused_and_nothing_is_written(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    manifest = folder / "psa.yaml"
    manifest.write_text(
        "\n".join(line for line in manifest.read_text().splitlines() if not line.startswith("approval"))
    )
    code, out = publish(tmp_path, config, folder)
    assert code == 1 and "`approval:`" in out and "psa.yaml" in out
    assert all_files(tmp_path / "publish") == []


def test_dry_run_shows_where_each_file_goes_and_writes_nothing(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    code, out = publish(tmp_path, config, "--dry-run", folder)
    assert code == 0
    assert (
        "would upload" in out
        and "kalimantan-tengah/bapenda-kalteng/2025/pajak-jujur/web/pajak-jujur-web-small.mp4" in out
    )
    assert all_files(tmp_path / "publish") == []


def test_a_failed_file_keeps_the_psa_out_of_the_catalogue(tmp_path: Path, built: tuple[Path, Path]) -> None:
    folder, config = built
    blocked = tmp_path / "publish" / "kalimantan-tengah" / "bapenda-kalteng" / "2025" / "pajak-jujur" / "whatsapp"
    (blocked / "pajak-jujur-whatsapp-small.mp4").mkdir(parents=True)  # a folder where the file must go
    code, out = publish(tmp_path, config, folder)
    assert code == 1
    assert not (tmp_path / "publish" / "whatsapp" / "index.json").exists()
    assert not (blocked / "publication.json").exists()
    (blocked / "pajak-jujur-whatsapp-small.mp4").rmdir()
    code, out = publish(tmp_path, config, folder)  # the fault is gone: the re-run finishes the job
    assert code == 0, out
    assert json.loads((tmp_path / "publish" / "whatsapp" / "index.json").read_text())["psas"]["pajak-jujur"]


def test_publishing_needs_a_build(tmp_path: Path) -> None:
    folder = video_project(tmp_path, "belum-dibangun", "whatsapp")
    result = run_psa("publish", "--build", tmp_path / "build", folder)
    assert result.code == 1 and "run psa build" in result.stdout


def test_a_file_written_by_someone_else_meanwhile_is_not_overwritten(
    tmp_path: Path, built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from psa_pipeline.channels.config import load_config
    from psa_pipeline.core.status import Status
    from psa_pipeline.publish.folder import FolderBackend
    from psa_pipeline.publish.publish import publish_psa

    folder, config = built
    target = tmp_path / "publish" / "kalimantan-tengah" / "bapenda-kalteng" / "2025" / "pajak-jujur" / "whatsapp"
    target.mkdir(parents=True)
    (target / "pajak-jujur-whatsapp-small.mp4").write_bytes(b"another publisher's file")
    monkeypatch.setattr(FolderBackend, "existing", lambda self, key: None)  # we looked before it was written
    result = publish_psa(folder / "psa.yaml", load_config(config), tmp_path / "build")
    assert result.status == Status.FAILED and "appeared while publishing" in (result.error or "")
    assert (target / "pajak-jujur-whatsapp-small.mp4").read_bytes() == b"another publisher's file"
    assert not (tmp_path / "publish" / "whatsapp" / "index.json").exists()
