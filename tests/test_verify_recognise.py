"""`psa verify` on the files that circulate: signed, published PSAs recognised in copies; bad input handled."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, approve_build, ffmpeg, make_tone, make_video, run_psa, video_project
from psa_media import whatsapp_copy
from s3fixtures import S3Server
from signing_ca import make_signing_files

pytestmark = pytest.mark.media

TINY = ROOT / "tests" / "data" / "tiny-channels.yaml"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A PSA built and published (signed with a test CA) to root/publish; yields root."""
    root = tmp_path_factory.mktemp("verify")
    folder = video_project(root, "pajak-jujur", "web, whatsapp")
    config = root / "channels.yaml"
    config.write_text(TINY.read_text() + f"\ndestinations:\n  default: {{type: folder, path: '{root / 'publish'}'}}\n")
    chain, key = make_signing_files(root / "secrets")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PSA_SIGNING_CERT", str(chain))
        env.setenv("PSA_SIGNING_KEY", str(key))
        env.setenv("PSA_LANG", "en")  # module-scoped: the per-test English fixture has not run yet
        built = run_psa("build", "--channels", config, "-o", root / "build", folder)
        assert built.code == 0, built.stdout + built.stderr
        approve_build(root / "build", "pajak-jujur")  # a reviewer approved exactly this build
        first = run_psa("publish", "--channels", config, "--build", root / "build", folder)
        assert first.code == 0, first.stdout + first.stderr
        again = run_psa("publish", "--channels", config, "--build", root / "build", folder)
        assert again.code == 0 and "up to date" in again.stdout, again.stdout + again.stderr
        yield root


def verify(root: Path, *files: Path) -> tuple[int, list[dict[str, Any]], str]:
    result = run_psa("verify", *files, "--catalog", root / "publish", "--json")
    return result.code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_a_published_file_is_official_and_carries_a_valid_credential(published: Path) -> None:
    official = next((published / "publish").rglob("*-whatsapp-small.mp4"))
    built = next((published / "build").rglob("whatsapp/*-whatsapp-small.mp4"))
    assert official.read_bytes() != built.read_bytes()  # signed: a manifest was added
    code, [verdict], _ = verify(published, official)
    assert code == 0
    assert (verdict["verdict"], verdict["psa_id"], verdict["channel"]) == ("official", "pajak-jujur", "whatsapp")
    credential = verdict["credential"]
    assert credential["state"] == "valid"
    assert (credential["psa_id"], credential["agency"], credential["publisher"]) == (
        "pajak-jujur", "Bapenda Kalteng", "Kominfosantik",
    )  # fmt: skip


def test_the_fingerprint_file_is_published_and_hash_checked_like_every_file(published: Path) -> None:
    publication = json.loads(next((published / "publish").rglob("whatsapp/publication.json")).read_text())
    listed = {f["file"]: f for f in publication["files"]}
    fingerprints = listed["pajak-jujur-whatsapp.fingerprints.json"]
    stored = next((published / "publish").rglob("pajak-jujur-whatsapp.fingerprints.json"))
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == fingerprints["sha256"]
    record = json.loads(stored.read_text())
    assert (record["kind"], record["schema"], record["psa_id"]) == ("fingerprints", 1, "pajak-jujur")
    # Taken of the signed file that was published, not of the build's.
    video = listed["pajak-jujur-whatsapp-small.mp4"]
    assert record["sources"]["pajak-jujur-whatsapp-small.mp4"] == video["sha256"]


def test_a_whatsapp_style_reencode_is_an_official_copy(published: Path, tmp_path: Path) -> None:
    official = next((published / "publish").rglob("*-whatsapp-small.mp4"))
    copy = tmp_path / "dari-whatsapp.mp4"
    whatsapp_copy(official, copy)
    code, [verdict], _ = verify(published, copy)
    assert code == 0, verdict
    assert (verdict["verdict"], verdict["psa_id"], verdict["title"]) == (
        "official-copy",
        "pajak-jujur",
        "Bayar Pajak Jujur",
    )
    assert verdict["credential"]["state"] == "absent"
    human = run_psa("verify", copy, "--catalog", published / "publish")
    assert "SALINAN RESMI" in human.stdout and "OFFICIAL COPY" in human.stdout


def test_a_signed_file_changed_afterwards_has_an_invalid_credential(published: Path, tmp_path: Path) -> None:
    official = next((published / "publish").rglob("*-whatsapp-small.mp4"))
    data = bytearray(official.read_bytes())
    data[len(data) // 2] ^= 0xFF
    changed = tmp_path / "changed.mp4"
    changed.write_bytes(bytes(data))
    _, [verdict], _ = verify(published, changed)
    assert verdict["credential"]["state"] == "invalid"
    assert verdict["verdict"] != "official"


def test_bad_input_gets_a_verdict_or_a_clear_error(published: Path, tmp_path: Path) -> None:
    text = tmp_path / "pesan.mp4"
    text.write_text("bukan video")
    official = next((published / "publish").rglob("*-whatsapp-small.mp4"))
    truncated = tmp_path / "terpotong.mp4"
    truncated.write_bytes(official.read_bytes()[: official.stat().st_size // 3])
    audio_only = make_tone(tmp_path / "nada.wav", seconds=4.0)
    no_audio = make_video(tmp_path / "bisu.mp4", seconds=3.0, audio=False)
    result = run_psa("verify", text, truncated, audio_only, no_audio, "--catalog", published / "publish", "--json")
    verdicts = {Path(v["file"]).name: v for v in map(json.loads, result.stdout.splitlines())}
    assert result.code == 2
    assert verdicts["pesan.mp4"]["verdict"] == "error" and "pesan.mp4" in verdicts["pesan.mp4"]["error"]
    assert verdicts["terpotong.mp4"]["verdict"] in ("error", "unknown")
    assert verdicts["nada.wav"]["verdict"] == "unknown"
    assert verdicts["bisu.mp4"]["verdict"] in ("unknown", "official-copy")  # the same test picture as the PSA's
    everything = result.stdout + result.stderr
    assert "PRIVATE KEY" not in everything and "secrets" not in everything


def test_a_catalogue_whose_fingerprints_do_not_match_their_hash_is_an_error(published: Path, tmp_path: Path) -> None:
    copy = tmp_path / "publish"
    shutil.copytree(published / "publish", copy)
    stored = next(copy.rglob("pajak-jujur-web.fingerprints.json"))
    stored.write_text(stored.read_text().replace('"channel": "web"', '"channel": "radio"'))
    official = next(copy.rglob("*-whatsapp-small.mp4"))
    result = run_psa("verify", official, "--catalog", copy)
    assert result.code == 2
    assert "does not match" in result.stderr
    assert "Traceback" not in result.stderr
    for text in ("{not json", '{"psas": {"pajak-jujur": "nonsense"}}', '{"psas": {"x": {"files": [1]}}}'):
        malformed = tmp_path / "index.json"
        malformed.write_text(text)
        result = run_psa("verify", official, "--catalog", malformed, "--json")
        assert result.code == 2 and "error" in json.loads(result.stdout), result


def test_nothing_about_the_signing_key_is_published(published: Path) -> None:
    for path in (published / "publish").rglob("*.json"):
        text = path.read_text()
        assert "PRIVATE KEY" not in text and "secrets" not in text and "BEGIN CERTIFICATE" not in text


def test_a_copy_is_recognised_against_a_catalogue_in_s3(
    published: Path, tmp_path: Path, aws_env: None, s3_server: S3Server, s3_bucket: str
) -> None:
    config = tmp_path / "channels.yaml"
    destination = f"{{type: s3, bucket: {s3_bucket}, endpoint_url: '{s3_server.endpoint_url}', prefix: psa/}}"
    config.write_text(TINY.read_text() + f"\ndestinations:\n  default: {destination}\n")
    folder = published / "projects" / "pajak-jujur"
    result = run_psa("publish", "--channels", config, "--build", published / "build", folder)
    assert result.code == 0, result.stdout + result.stderr
    stored = s3_server.client().get_object(Bucket=s3_bucket, Key="psa/web/index.json")["Body"].read()
    assert "pajak-jujur-web.fingerprints.json" in stored.decode()
    official = next((published / "build").rglob("whatsapp/*-whatsapp-small.mp4"))
    copy = whatsapp_copy(official, tmp_path / "dari-whatsapp.mp4")
    catalog = f"s3://{s3_bucket}/psa/"
    endpoint = ("--endpoint-url", s3_server.endpoint_url, "--allow-http")  # the loopback S3 server speaks http
    result = run_psa("verify", copy, "--catalog", catalog, *endpoint, "--json")
    verdict = json.loads(result.stdout)
    assert result.code == 0 and (verdict["verdict"], verdict["psa_id"]) == ("official-copy", "pajak-jujur"), verdict


def test_an_hours_long_file_is_answered_in_bounded_time(published: Path, tmp_path: Path) -> None:
    # A minute of a slide show with a hum, looped by remuxing to two hours: cheap to make, hours long.
    minute = tmp_path / "menit.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=160x90:r=1:d=60", "-f", "lavfi", "-i", "sine=f=50:sample_rate=8000:d=60",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", "-b:a", "8k", str(minute),
    )  # fmt: skip
    long = tmp_path / "rekaman-layar.mkv"
    ffmpeg("-stream_loop", "119", "-i", str(minute), "-c", "copy", str(long))
    began = time.monotonic()
    code, [verdict], _ = verify(published, long)
    assert time.monotonic() - began < 120
    assert (code, verdict["verdict"]) == (1, "unknown")


def test_an_unreachable_catalogue_is_an_error(published: Path) -> None:
    official = next((published / "publish").rglob("*-whatsapp-small.mp4"))
    result = run_psa("verify", official, "--catalog", "https://127.0.0.1:9/index.json", "--json")
    assert result.code == 2 and "cannot read catalogue" in json.loads(result.stdout)["error"]
