"""Many publishers at once into one destination: no catalogue entry lost, none doubled, none wrong.

Each round starts 10 publisher processes at the same instant (released by one event) into a fresh
folder: 8 PSAs of two agencies on two channels, two of them published twice at once; on S3, 8
processes (6 PSAs on one channel, two published twice) keep moto's share of the time small. After
every round the catalogues are read as plain JSON (not through psa's model) and every listed
file's stored bytes are hashed here, independently of the code that published them.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest
from fakebuild import FakePsa, fake_psa
from s3fixtures import S3Server, make_bucket, unique_bucket_name

from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import FolderDestination, S3Destination
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_psa

pytestmark = pytest.mark.media

ROUNDS = 20
PSAS = 8
TWICE = 2  # PSAs published by two processes at once
CHANNELS = ("web", "whatsapp")
# fork: the publishers start in milliseconds with everything imported, so they really overlap.
FORK = multiprocessing.get_context("fork")


def many(root: Path, count: int, channels: tuple[str, ...]) -> list[FakePsa]:
    agencies = ("DISKOMINFO-KALTIM", "BAPENDA-KALTENG")
    return [fake_psa(root, f"spot-{n:02d}", agencies[n % 2], channels) for n in range(count)]


def _publisher(psa: FakePsa, config: ChannelConfig, go: Event, out: Any) -> None:
    go.wait(30)
    result = publish_psa(psa.manifest, config, psa.build_root)
    out.put((psa.psa_id, result.status, result.error))


def run_round(psas: list[FakePsa], config: ChannelConfig) -> list[tuple[str, str, str | None]]:
    go, out = FORK.Event(), FORK.Queue()
    workers = [FORK.Process(target=_publisher, args=(p, config, go, out)) for p in [*psas, *psas[:TWICE]]]
    for worker in workers:
        worker.start()
    time.sleep(0.2)  # all forked and waiting
    go.set()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return results


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys in a catalogue: {keys}"
    return dict(pairs)


def check_catalogues(
    psas: list[FakePsa], read: Callable[[str], bytes], channels: tuple[str, ...] = CHANNELS, prefix: str = ""
) -> int:
    """Every PSA listed exactly once per channel, every listed file's stored bytes hashing to the catalogue."""
    expected = {p.psa_id: p for p in psas}
    checked = 0
    for channel in channels:
        catalogue = json.loads(read(f"{prefix}{channel}/index.json"), object_pairs_hook=_no_duplicate_keys)
        assert sorted(catalogue["psas"]) == sorted(expected), f"{channel}: lost or extra entries"
        for psa_id, entry in catalogue["psas"].items():
            built = expected[psa_id].files
            # The rendition, and the fingerprint file publishing adds beside it (hashed like every file).
            ours = [f"{psa_id}-{channel}-spot.mp3", f"{psa_id}-{channel}.fingerprints.json"]
            assert [f["file"] for f in entry["files"]] == ours
            for file in entry["files"]:
                stored = read(file["key"])
                assert hashlib.sha256(stored).hexdigest() == file["sha256"]
                if file["file"] in built:
                    assert file["sha256"] == hashlib.sha256(built[file["file"]]).hexdigest()
                assert len(stored) == file["size"]
                checked += 1
    return checked


def test_folder_publishers_at_once_lose_nothing(tmp_path: Path) -> None:
    psas = many(tmp_path, PSAS, CHANNELS)
    started, listed = time.monotonic(), 0
    for n in range(ROUNDS):
        destination = tmp_path / f"round-{n}"
        config = ChannelConfig(destinations={"default": FolderDestination(type="folder", path=destination)})
        results = run_round(psas, config)
        assert [r for r in results if r[1] not in (Status.OK, Status.CACHED)] == []
        listed += check_catalogues(psas, lambda key, d=destination: (d / key).read_bytes())  # type: ignore[misc]
        assert not [p for p in destination.rglob("*.part")]
    print(f"\nfolder: {ROUNDS} rounds x {PSAS + TWICE} processes, {listed} listed files verified, "
          f"entries lost: 0, {time.monotonic() - started:.1f} s")  # fmt: skip


@pytest.mark.media
def test_s3_publishers_at_once_lose_nothing(aws_env: None, s3_server: S3Server, tmp_path: Path) -> None:
    psas = many(tmp_path, PSAS - TWICE, ("web",))
    client = s3_server.client()
    started, listed = time.monotonic(), 0
    for _ in range(ROUNDS):
        bucket = make_bucket(s3_server.endpoint_url, unique_bucket_name("psa-many"))
        destination = S3Destination(type="s3", bucket=bucket, endpoint_url=s3_server.endpoint_url, prefix="psa")
        config = ChannelConfig(destinations={"default": destination})
        results = run_round(psas, config)
        assert [r for r in results if r[1] not in (Status.OK, Status.CACHED)] == []

        def read(key: str, bucket: str = bucket) -> bytes:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]

        listed += check_catalogues(psas, read, ("web",), prefix="psa/")
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert not [k for k in keys if k.endswith(".lock")], "a lease was left behind"
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    print(f"\ns3: {ROUNDS} rounds x {PSAS} processes, {listed} listed files verified, "
          f"entries lost: 0, {time.monotonic() - started:.1f} s")  # fmt: skip
