"""`psa verify` on catalogues from anywhere: malformed, hostile, slow or redirected ones end in one line and exit 2."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from fakebuild import FakePsa, fake_psa
from helpers import run_psa, serving
from s3fixtures import S3Server

from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import FolderDestination
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_psa

pytestmark = pytest.mark.media


@pytest.fixture
def published(tmp_path: Path) -> tuple[FakePsa, Path]:
    psa = fake_psa(tmp_path, "spot-satu", channels=("web",))
    dest = tmp_path / "publish"
    config = ChannelConfig(destinations={"default": FolderDestination(type="folder", path=dest)})
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    return psa, dest


def official_file(psa: FakePsa) -> Path:
    return psa.build_root / psa.psa_id / "spot-satu-web-spot.mp3"


def assert_refused(result_code: int, stderr: str, *needles: str) -> None:
    assert result_code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in a naive parser
        b'{"psas": 5}',
        b'{"kind": "catalogue", "schema": 1, "channel": "web", "updated_at": "x", "psas": {"a": {"files": "x"}}}',
        b'{"kind": "catalogue", "schema": 1, "channel": "web", "updated_at": "x", "psas": {"a": null}}',
        b'{"kind": "catalogue", "schema": 99, "channel": "web", "updated_at": "x", "psas": {}}',
        b'["not", "a", "catalogue"]',
        b"\xff\xfe\x00garbage",
        b"",
    ],
)
def test_a_malformed_catalogue_exits_2_with_one_line(
    tmp_path: Path, published: tuple[FakePsa, Path], content: bytes
) -> None:
    psa, _ = published
    catalogue = tmp_path / "index.json"
    catalogue.write_bytes(content)
    result = run_psa("verify", official_file(psa), "--catalog", catalogue)
    assert_refused(result.code, result.stderr, str(catalogue))


def drop_fingerprints(index: dict[str, Any]) -> None:
    for entry in index["psas"].values():
        entry["files"] = [f for f in entry["files"] if not f["file"].endswith(".fingerprints.json")]


def test_titles_are_printed_with_control_characters_escaped(tmp_path: Path, published: tuple[FakePsa, Path]) -> None:
    psa, dest = published
    index = json.loads((dest / "web" / "index.json").read_text())
    index["psas"]["spot-satu"]["title"] = "\x1b[2J\x1b[31mRESMI\x07\nofficial PSA: palsu"
    drop_fingerprints(index)  # moved away from its fingerprint files: exact hashes only
    hostile = tmp_path / "index.json"
    hostile.write_text(json.dumps(index))
    result = run_psa("verify", official_file(psa), "--catalog", hostile)
    assert result.code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2J\\x1b[31mRESMI\\x07\\nofficial PSA: palsu" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1


class _Handler(BaseHTTPRequestHandler):
    catalogue = b""
    port = 0

    def do_GET(self) -> None:
        if self.path == "/stall":
            time.sleep(20)
        if self.path.startswith("/to-other-host"):
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.port}/index.json")
            self.end_headers()
            return
        if self.path == "/to-same-host":
            self.send_response(302)
            self.send_header("Location", "/index.json")
            self.end_headers()
            return
        if self.path == "/huge":
            self.send_response(200)
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(2000):  # 128 MiB of whitespace, never finished
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.catalogue)))
        self.end_headers()
        self.wfile.write(self.catalogue)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web(published: tuple[FakePsa, Path]) -> Iterator[str]:
    _, dest = published
    index = json.loads((dest / "web" / "index.json").read_text())
    drop_fingerprints(index)  # served from elsewhere than its fingerprint files: exact hashes only
    _Handler.catalogue = json.dumps(index).encode()
    with serving(_Handler) as url:
        _Handler.port = int(url.rsplit(":", 1)[1])  # read per request, for the redirect to `localhost`
        yield url


def test_plain_http_needs_an_explicit_flag(web: str, published: tuple[FakePsa, Path]) -> None:
    psa, _ = published
    refused = run_psa("verify", official_file(psa), "--catalog", f"{web}/index.json")
    assert_refused(refused.code, refused.stderr, "only https://", "--allow-http")
    accepted = run_psa("verify", official_file(psa), "--catalog", f"{web}/to-same-host", "--allow-http")
    assert accepted.code == 0 and "OFFICIAL: this file is the official release of" in accepted.stdout
    assert "Tolak Pungli spot-satu" in accepted.stdout


def test_a_redirect_to_another_host_is_refused(web: str, published: tuple[FakePsa, Path]) -> None:
    psa, _ = published
    result = run_psa("verify", official_file(psa), "--catalog", f"{web}/to-other-host", "--allow-http")
    assert_refused(result.code, result.stderr, "redirects to another host (localhost)")


def test_a_stalled_or_endless_catalogue_ends_at_the_deadline_or_the_size_limit(
    web: str, published: tuple[FakePsa, Path]
) -> None:
    psa, _ = published
    started = time.monotonic()
    result = run_psa("verify", official_file(psa), "--catalog", f"{web}/stall", "--allow-http", "--timeout", "2")
    assert_refused(result.code, result.stderr, f"{web}/stall")
    assert time.monotonic() - started < 10
    result = run_psa("verify", official_file(psa), "--catalog", f"{web}/huge", "--allow-http", "--timeout", "60")
    assert_refused(result.code, result.stderr, "larger than")


@pytest.mark.media
def test_only_catalogues_named_index_json_are_read_from_a_bucket(
    aws_env: None, s3_server: S3Server, s3_bucket: str, published: tuple[FakePsa, Path], tmp_path: Path
) -> None:
    psa, dest = published
    client = s3_server.client()
    genuine = json.loads((dest / "web" / "index.json").read_text())
    drop_fingerprints(genuine)  # copied from a folder: its fingerprint files are not in the bucket
    client.put_object(Bucket=s3_bucket, Key="psa/web/index.json", Body=json.dumps(genuine).encode())
    forged_file = tmp_path / "palsu.mp3"
    forged_file.write_bytes(b"palsu")
    forged = json.loads(json.dumps(genuine))
    forged["psas"]["spot-satu"]["files"][0]["sha256"] = hashlib.sha256(b"palsu").hexdigest()
    client.put_object(Bucket=s3_bucket, Key="psa/web/fake-index.json", Body=json.dumps(forged).encode())
    client.put_object(Bucket=s3_bucket, Key="psa/kalteng/2025/x/web/index.json", Body=json.dumps(forged).encode())
    args = ("--catalog", f"s3://{s3_bucket}/psa/", "--endpoint-url", s3_server.endpoint_url)
    result = run_psa("verify", forged_file, *args, "--allow-http")
    # Read, a forged catalogue would make it "official" by its hash; unread, it is not media at all.
    assert result.code == 2 and "OFFICIAL" not in result.stdout
    result = run_psa("verify", official_file(psa), *args, "--allow-http")
    assert result.code == 0 and "OFFICIAL: this file is the official release" in result.stdout
    result = run_psa("verify", official_file(psa), *args)
    assert_refused(result.code, result.stderr, "only https://")


def test_a_catalogue_planted_deep_in_a_folder_is_not_read(tmp_path: Path, published: tuple[FakePsa, Path]) -> None:
    psa, dest = published
    forged = json.loads((dest / "web" / "index.json").read_text())
    forged["psas"]["spot-satu"]["files"][0]["sha256"] = hashlib.sha256(b"palsu").hexdigest()
    planted = dest / "kalimantan-timur" / "diskominfo-kaltim" / "index.json"
    planted.write_text(json.dumps(forged))
    fake = tmp_path / "palsu.mp3"
    fake.write_bytes(b"palsu")
    result = run_psa("verify", fake, "--catalog", dest)
    # Read, the planted catalogue would make it "official" by its hash; unread, it is not media at all.
    assert result.code == 2 and "OFFICIAL" not in result.stdout and "not audio or video" in result.stdout
    assert run_psa("verify", official_file(psa), "--catalog", dest).code == 0
