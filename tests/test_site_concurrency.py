"""Publishers running at once each put their PSA into the site index; none is lost from the site or feeds."""

from __future__ import annotations

import json
import multiprocessing
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest
from fakebuild import FakePsa
from sitefixtures import channels_yaml, site_psa

from psa_pipeline.channels.config import ChannelConfig, load_config
from psa_pipeline.core.status import Status
from psa_pipeline.publish.publish import publish_psa

# The builds here are tiny real media: publishing fingerprints every rendition with ffmpeg.
pytestmark = pytest.mark.media

FORK = multiprocessing.get_context("fork")  # started in milliseconds, so the publishers really overlap


def _publisher(psa: FakePsa, config: ChannelConfig, go: Event, out: Any) -> None:
    go.wait(30)
    result = publish_psa(psa.manifest, config, psa.build_root)
    out.put((psa.psa_id, result.status, result.error))


def test_concurrent_publishers_all_reach_the_site_index_pages_and_feeds(tmp_path: Path) -> None:
    psas = [
        site_psa(tmp_path, f"tolak-pungli-{n:02d}", ("DISKOMINFO-KALTIM", "BAPENDA-KALTENG")[n % 2]) for n in range(6)
    ]
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))
    go, out = FORK.Event(), FORK.Queue()
    workers = [FORK.Process(target=_publisher, args=(p, config, go, out)) for p in psas]
    for worker in workers:
        worker.start()
    go.set()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [r for r in results if r[1] != Status.OK] == []
    site = tmp_path / "publish" / "site"
    ids = {p.psa_id for p in psas}
    assert set(json.loads((site / "psas.json").read_text())["psas"]) == ids
    home = (site / "index.html").read_text(encoding="utf-8")
    assert {i for i in ids if f'href="psa/{i}.html"' in home} == ids
    feeds = "".join(p.read_text(encoding="utf-8") for p in (site / "feed" / "provinsi").glob("*.xml"))
    assert {i for i in ids if f"psa-pipeline:{i}<" in feeds} == ids
    assert not list(site.rglob("*.part"))
