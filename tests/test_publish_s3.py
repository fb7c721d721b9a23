"""`psa publish` to an S3-compatible server (moto on loopback, real boto3 over HTTP), with network faults.

Whatever the fault, the invariant holds: a channel's catalogue never lists a PSA whose files are
not all present and verified.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy
from helpers import ROOT, TINY, approve_build, run_psa, video_project
from s3fixtures import S3Server

from psa_pipeline.channels.config import ChannelConfig, load_config
from psa_pipeline.channels.destinations import S3Destination
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_psa
from psa_pipeline.publish.s3 import S3Backend

pytestmark = pytest.mark.media


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("s3-psa")
    folder = video_project(root, "pajak-jujur", "web, whatsapp")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PSA_LANG", "en")  # module-scoped: the per-test English fixture has not run yet
        result = run_psa("build", "--channels", TINY, "-o", root / "build", folder)
    assert result.code == 0, result.stdout + result.stderr
    approve_build(root / "build", "pajak-jujur")
    yield folder / "psa.yaml", root / "build"


def s3_config(endpoint: str, bucket: str, **options: Any) -> ChannelConfig:
    base = load_config(TINY)
    # A tiny threshold sends every rendition through the multipart path.
    settings: dict[str, Any] = {"multipart_threshold_mb": 0.05, "max_attempts": 6, "timeout_seconds": 5} | options
    destination = S3Destination(type="s3", bucket=bucket, endpoint_url=endpoint, prefix="psa/", **settings)
    return ChannelConfig(channels=base.channels, destinations={"default": destination})


def objects(server: S3Server, bucket: str) -> dict[str, dict[str, Any]]:
    client = server.client()
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.head_object(Bucket=bucket, Key=o["Key"]) for o in listed}


def catalog(server: S3Server, bucket: str, channel: str) -> dict[str, Any] | None:
    try:
        body = server.client().get_object(Bucket=bucket, Key=f"psa/{channel}/index.json")["Body"].read()
    except server.client().exceptions.NoSuchKey:
        return None
    return json.loads(body)  # type: ignore[no-any-return]


EXPECTED_MEDIA = 6  # web mp4 + 4 sidecars, whatsapp mp4
EXPECTED_FILES = EXPECTED_MEDIA + 2  # and a fingerprint file per channel


def test_publish_uploads_verifies_and_catalogues(
    aws_env: None, s3_server: S3Server, s3_bucket: str, built: tuple[Path, Path]
) -> None:
    manifest, build = built
    result = publish_psa(manifest, s3_config(s3_server.endpoint_url, s3_bucket), build)
    assert result.status == Status.OK, result.error
    assert [f.action for f in result.files] == ["uploaded"] * EXPECTED_FILES
    stored = objects(s3_server, s3_bucket)
    video_key = "psa/kalimantan-tengah/bapenda-kalteng/2025/pajak-jujur/whatsapp/pajak-jujur-whatsapp-small.mp4"
    head = stored[video_key]
    record = json.loads((build / "pajak-jujur" / "renditions.json").read_text())
    whatsapp = next(e for e in record["renditions"] if e["channel"] == "whatsapp")
    assert head["Metadata"]["sha256"] == whatsapp["sha256"]
    assert head["Metadata"]["psa-id"] == "pajak-jujur" and head["Metadata"]["languages"] == "ind,nij"
    assert head["ContentType"] == "video/mp4" and head["CacheControl"] == "public, max-age=86400"
    assert head["ContentDisposition"] == 'attachment; filename="pajak-jujur-whatsapp-small.mp4"'
    assert head["ETag"].strip('"').endswith("-1")  # it went through the multipart path
    assert stored["psa/kalimantan-tengah/bapenda-kalteng/2025/pajak-jujur/web/publication.json"]
    index = catalog(s3_server, s3_bucket, "whatsapp")
    assert index is not None and index["psas"]["pajak-jujur"]["files"][0]["sha256"] == whatsapp["sha256"]
    assert s3_server.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_a_rerun_skips_and_different_content_is_refused(
    aws_env: None, s3_server: S3Server, s3_bucket: str, built: tuple[Path, Path]
) -> None:
    manifest, build = built
    config = s3_config(s3_server.endpoint_url, s3_bucket)
    key = "psa/kalimantan-tengah/bapenda-kalteng/2025/pajak-jujur/web/pajak-jujur-web-small.mp4"
    s3_server.client().put_object(Bucket=s3_bucket, Key=key, Body=b"someone else's file", Metadata={"sha256": "0" * 64})
    refused = publish_psa(manifest, config, build)
    assert refused.status == Status.REFUSED and "already published with different content" in (refused.error or "")
    assert {f.action for f in refused.files} <= {"refused", "pending"}  # refused before any upload
    assert s3_server.client().get_object(Bucket=s3_bucket, Key=key)["Body"].read() == b"someone else's file"
    assert [k for k in objects(s3_server, s3_bucket) if k != key] == []
    s3_server.client().delete_object(Bucket=s3_bucket, Key=key)
    assert publish_psa(manifest, config, build).status == Status.OK
    again = publish_psa(manifest, config, build)
    assert again.status == Status.CACHED and {f.action for f in again.files} == {"skipped"}


def test_an_object_corrupted_between_upload_and_verify_fails_the_psa(
    aws_env: None, s3_server: S3Server, s3_bucket: str, built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest, build = built
    upload = S3Backend.upload

    def upload_then_corrupt(self: S3Backend, local: Path, key: str, *args: Any, **kwargs: Any) -> None:
        upload(self, local, key, *args, **kwargs)
        if local.suffix == ".mp4":  # the server "loses" the bytes after accepting them
            s3_server.client().put_object(Bucket=s3_bucket, Key=f"psa/{key}", Body=b"\x00" * 100)

    monkeypatch.setattr(S3Backend, "upload", upload_then_corrupt)
    result = publish_psa(manifest, s3_config(s3_server.endpoint_url, s3_bucket), build)
    assert result.status == Status.FAILED and "verification failed" in (result.error or "")
    assert catalog(s3_server, s3_bucket, "web") is None and catalog(s3_server, s3_bucket, "whatsapp") is None
    assert not [k for k in objects(s3_server, s3_bucket) if k.endswith("publication.json")]


def test_server_errors_are_retried_until_the_publish_completes(
    aws_env: None, s3_bucket: str, fault_proxy: FaultProxy, s3_server: S3Server, built: tuple[Path, Path]
) -> None:
    manifest, build = built
    fault_proxy.respond_status(503, times=2)
    fault_proxy.respond_status(500, times=2)
    result = publish_psa(manifest, s3_config(fault_proxy.url, s3_bucket), build)
    assert result.status == Status.OK, result.error
    assert fault_proxy.faults_injected == 4
    assert catalog(s3_server, s3_bucket, "web") is not None


def test_a_connection_dropped_mid_upload_is_retried(
    aws_env: None, s3_bucket: str, fault_proxy: FaultProxy, s3_server: S3Server, built: tuple[Path, Path]
) -> None:
    manifest, build = built
    fault_proxy.drop_after(20_000, times=3)
    result = publish_psa(manifest, s3_config(fault_proxy.url, s3_bucket), build)
    assert result.status == Status.OK, result.error
    assert fault_proxy.faults_injected == 3


def test_faults_beyond_the_retries_fail_cleanly(
    aws_env: None, s3_bucket: str, fault_proxy: FaultProxy, s3_server: S3Server, built: tuple[Path, Path]
) -> None:
    manifest, build = built
    first = publish_psa(manifest, s3_config(s3_server.endpoint_url, s3_bucket), build, dry_run=True)
    assert first.status == Status.SKIPPED and first.dry_run and objects(s3_server, s3_bucket) == {}
    fault_proxy.respond_status(500, times=1000)
    result = publish_psa(manifest, s3_config(fault_proxy.url, s3_bucket, max_attempts=2), build)
    assert result.status == Status.FAILED
    assert catalog(s3_server, s3_bucket, "web") is None and catalog(s3_server, s3_bucket, "whatsapp") is None


def test_a_stalled_server_times_out_and_fails_cleanly(
    aws_env: None, s3_bucket: str, fault_proxy: FaultProxy, s3_server: S3Server, built: tuple[Path, Path]
) -> None:
    manifest, build = built
    fault_proxy.stall(30, times=1000)
    started = time.monotonic()
    result = publish_psa(manifest, s3_config(fault_proxy.url, s3_bucket, max_attempts=2, timeout_seconds=1), build)
    assert result.status == Status.FAILED and time.monotonic() - started < 30
    assert catalog(s3_server, s3_bucket, "web") is None


def test_a_killed_publish_resumes_and_duplicates_nothing(
    aws_env: None,
    s3_bucket: str,
    fault_proxy: FaultProxy,
    s3_server: S3Server,
    built: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    manifest, build = built
    config_file = tmp_path / "channels.yaml"

    def write_config(endpoint: str) -> None:
        config_file.write_text(
            TINY.read_text() + "\ndestinations:\n  default: {type: s3, bucket: " + s3_bucket + ", prefix: psa/, "
            f"endpoint_url: '{endpoint}', multipart_threshold_mb: 0.05, timeout_seconds: 60}}\n"
        )

    write_config(fault_proxy.url)
    fault_proxy.stall(60, times=1000)
    process = subprocess.Popen(
        [sys.executable, "-m", "psa_pipeline", "publish", "--channels", str(config_file), "--build", str(build), str(manifest)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while fault_proxy.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)  # power cut in the middle of the publish
    process.wait(timeout=30)
    assert catalog(s3_server, s3_bucket, "web") is None
    fault_proxy.clear_faults()
    write_config(s3_server.endpoint_url)
    resumed = run_psa("publish", "--channels", config_file, "--build", build, manifest)
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    stored = objects(s3_server, s3_bucket)
    assert len([k for k in stored if not k.endswith(".json") and not k.startswith("psa/site/")]) == EXPECTED_MEDIA
    assert s3_server.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    again = run_psa("publish", "--channels", config_file, "--build", build, manifest)
    assert again.code == 0 and "up to date" in again.stdout
    index = catalog(s3_server, s3_bucket, "web")
    assert index is not None and list(index["psas"]) == ["pajak-jujur"]


def test_credentials_never_come_from_the_manifest_and_are_never_printed(
    aws_env: None, s3_server: S3Server, s3_bucket: str, built: tuple[Path, Path], tmp_path: Path
) -> None:
    manifest, build = built
    config_file = tmp_path / "channels.yaml"
    config_file.write_text(
        TINY.read_text() + "\ndestinations:\n  default: {type: s3, bucket: " + s3_bucket + ", "
        f"endpoint_url: '{s3_server.endpoint_url}'}}\n"
    )
    result = run_psa("publish", "--channels", config_file, "--build", build, manifest)
    assert result.code == 0, result.stdout + result.stderr
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    assert secret not in result.stdout and secret not in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("destinations:\n  default: {type: s3, bucket: b, aws_secret_access_key: x}\n")
    refused = run_psa("publish", "--channels", bad, "--build", build, manifest)
    assert refused.code == 1 and "unknown key 'destinations.default.aws_secret_access_key'" in refused.stderr


def test_a_key_created_by_someone_else_meanwhile_is_not_overwritten(
    aws_env: None, s3_server: S3Server, s3_bucket: str, built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest, build = built
    key = "psa/kalimantan-tengah/bapenda-kalteng/2025/pajak-jujur/web/pajak-jujur-web-small.ind.srt"
    s3_server.client().put_object(Bucket=s3_bucket, Key=key, Body=b"another publisher's file")
    # The race: our look at the bucket happened before the other publisher wrote the key.
    monkeypatch.setattr(S3Backend, "existing", lambda self, key: None)
    config = s3_config(s3_server.endpoint_url, s3_bucket, multipart_threshold_mb=8)  # single-part puts
    result = publish_psa(manifest, config, build)
    assert result.status == Status.FAILED and "appeared while publishing" in (result.error or "")
    assert s3_server.client().get_object(Bucket=s3_bucket, Key=key)["Body"].read() == b"another publisher's file"
    assert catalog(s3_server, s3_bucket, "web") is None
