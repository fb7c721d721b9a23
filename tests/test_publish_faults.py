"""A hung or failing endpoint costs bounded time and never holds up other PSAs; a killed publisher's locks do not linger."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fakebuild import fake_psa
from faultproxy import FaultProxy
from helpers import ROOT
from s3fixtures import S3Server

from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import FolderDestination, S3Destination
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_all, publish_psa

pytestmark = pytest.mark.media


@pytest.mark.media
def test_a_hung_endpoint_fails_its_psa_in_bounded_time_and_the_next_psa_publishes(
    aws_env: None, s3_bucket: str, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    hung = fake_psa(tmp_path, "spot-macet", channels=("whatsapp",))
    fine = fake_psa(tmp_path, "spot-lancar", channels=("radio",))
    # The hung store serves one channel; the rest, the public site's index included, is a healthy folder.
    destinations = {
        "whatsapp": S3Destination(
            type="s3", bucket=s3_bucket, endpoint_url=fault_proxy.url, max_attempts=2, timeout_seconds=1
        ),
        "default": FolderDestination(type="folder", path=tmp_path / "playout"),
    }
    fault_proxy.stall(60, times=1000)
    started = time.monotonic()
    results = publish_all([hung.manifest, fine.manifest], ChannelConfig(destinations=destinations), hung.build_root,
                          replace=False, dry_run=False)  # fmt: skip
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == [Status.FAILED, Status.OK], [r.error for r in results]
    assert "gave up after 2 attempts of 1 s each" in (results[0].error or "")
    # connect 1 s + read 1 s per attempt, 2 attempts, plus backoff: far from the old ~6 minutes.
    assert elapsed < 20, elapsed
    assert (tmp_path / "playout" / "radio" / "index.json").is_file()


@pytest.mark.media
def test_server_errors_on_every_request_fail_cleanly_without_a_catalogue(
    aws_env: None, s3_server: S3Server, s3_bucket: str, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    psa = fake_psa(tmp_path, "spot-gagal", channels=("web",))
    config = ChannelConfig(destinations={"default": S3Destination(
        type="s3", bucket=s3_bucket, endpoint_url=fault_proxy.url, max_attempts=2)})  # fmt: skip
    fault_proxy.respond_status(503, times=1000)
    result = publish_psa(psa.manifest, config, psa.build_root)
    assert result.status == Status.FAILED and "SlowDown" in (result.error or "")
    fault_proxy.clear_faults()
    assert s3_server.client().list_objects_v2(Bucket=s3_bucket).get("KeyCount", 0) == 0
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK


HOLDER = """
import sys, time
from pathlib import Path
from psa_pipeline.channels.destinations import FolderDestination, S3Destination
from psa_pipeline.publish.destinations import backend

kind, where, folder = sys.argv[1:4]
if kind == "folder":
    config = FolderDestination(type="folder", path=Path(where))
else:
    config = S3Destination(type="s3", bucket=where, endpoint_url=sys.argv[4])
with backend(config).exclusive(folder, "spot-satu"):
    print("holding", flush=True)
    time.sleep(120)
"""


def _hold_then_kill(*args: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), *args], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    os.kill(holder.pid, signal.SIGKILL)  # a publisher killed while holding its PSA's folder
    holder.wait(timeout=10)


def test_a_killed_publishers_folder_lock_does_not_block_the_rerun(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu", channels=("web",))
    dest = tmp_path / "publish"
    _hold_then_kill("folder", str(dest), "kalimantan-timur/diskominfo-kaltim/2025/spot-satu/web/")
    started = time.monotonic()
    config = ChannelConfig(destinations={"default": FolderDestination(type="folder", path=dest)})
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    assert time.monotonic() - started < 5


@pytest.mark.media
def test_a_killed_publishers_s3_lease_is_taken_over_on_the_same_host(
    aws_env: None, s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    psa = fake_psa(tmp_path, "spot-satu", channels=("web",))
    _hold_then_kill("s3", s3_bucket, "kalimantan-timur/diskominfo-kaltim/2025/spot-satu/web/", s3_server.endpoint_url)
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert [k for k in keys if k.endswith(".psa-publish.lock")]  # the dead run's lease is still there
    config = ChannelConfig(destinations={"default": S3Destination(
        type="s3", bucket=s3_bucket, endpoint_url=s3_server.endpoint_url)})  # fmt: skip
    started = time.monotonic()
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    assert time.monotonic() - started < 10
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert not [k for k in keys if k.endswith(".psa-publish.lock")]


@pytest.mark.media
def test_stale_multipart_cleanup_never_touches_a_neighbouring_psa(
    aws_env: None, s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    client = s3_server.client()
    neighbour = client.create_multipart_upload(Bucket=s3_bucket, Key="psa/web/spot-satu-2/spot-satu-2-web-spot.mp3")
    stale = client.create_multipart_upload(Bucket=s3_bucket, Key="psa/web/spot-satu/left-by-a-killed-run.mp3")
    psa = fake_psa(tmp_path, "spot-satu", channels=("web",))
    config = ChannelConfig(destinations={"default": S3Destination(
        type="s3", bucket=s3_bucket, endpoint_url=s3_server.endpoint_url, prefix="psa",
        key_template="{channel}/{id}/{file}")})  # fmt: skip
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    open_uploads = {u["UploadId"] for u in client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])}
    assert open_uploads == {neighbour["UploadId"]} and stale["UploadId"] not in open_uploads
