"""Podcast / radio feeds: parsed by a real feed parser, and held to the podcast directories' rules."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import feedparser
import pytest
from PIL import Image
from sitefixtures import BASE_URL, channels_yaml, site_psa

from psa_pipeline.channels.config import load_config
from psa_pipeline.core.status import Status
from psa_pipeline.publish.public import refresh_site
from psa_pipeline.publish.publish import publish_psa

# The builds here are tiny real media: publishing fingerprints every rendition with ffmpeg.
pytestmark = pytest.mark.media

PODCAST = "https://podcastindex.org/namespace/1.0"


def local(publish: Path, url: str) -> Path:
    assert url.startswith(BASE_URL + "/"), url
    return publish / url.removeprefix(BASE_URL + "/")


def parse(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def podcast_guid(feed: Path) -> str:
    from lxml import etree

    found = etree.fromstring(feed.read_bytes()).findtext("channel/podcast:guid", namespaces={"podcast": PODCAST})
    assert found
    return str(found)


def test_feeds_per_province_and_agency_pass_podcast_directory_rules(tmp_path: Path) -> None:
    publish = tmp_path / "publish"
    config = load_config(channels_yaml(tmp_path, publish))
    kaltim = site_psa(tmp_path, "tolak-pungli-samsat")
    kalteng = site_psa(tmp_path, "jujur-bayar-pajak", "BAPENDA-KALTENG")
    for psa in (kaltim, kalteng):
        assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK

    feeds = publish / "site" / "feed"
    assert sorted(p.relative_to(feeds).as_posix() for p in feeds.rglob("*.xml")) == [
        "instansi/bapenda-kalteng.xml", "instansi/diskominfo-kaltim.xml",
        "provinsi/kalimantan-tengah.xml", "provinsi/kalimantan-timur.xml",
    ]  # fmt: skip
    parsed = parse(feeds / "provinsi" / "kalimantan-timur.xml")
    assert parsed.version == "rss20"
    assert parsed.feed.language == "id"
    assert parsed.feed.title and parsed.feed.subtitle
    [episode] = parsed.entries
    assert episode.title == "Tolak Pungli tolak-pungli-samsat"
    assert episode.id == "psa-pipeline:tolak-pungli-samsat" and episode.guidislink is False
    assert "lapor.go.id" in episode.summary
    [enclosure] = episode.enclosures
    mp3 = local(publish, enclosure.href)
    # The enclosure is the station's MP3, with its real length and type.
    assert mp3.name == "tolak-pungli-samsat-radio-mp3.mp3"
    assert int(enclosure.length) == mp3.stat().st_size == len(kaltim.files[mp3.name])
    assert enclosure.type == "audio/mpeg"
    assert hashlib.sha256(mp3.read_bytes()).hexdigest() == kaltim.sha(mp3.name)

    # Artwork: square, 1400 to 3000 pixels, PNG, where the feed says.
    art_url = parsed.feed.image.href
    with Image.open(local(publish, art_url)) as art:
        assert art.format == "PNG" and art.width == art.height and 1400 <= art.width <= 3000
    agency = parse(feeds / "instansi" / "bapenda-kalteng.xml")
    with Image.open(local(publish, agency.feed.image.href)) as art:
        assert art.width == art.height and 1400 <= art.width <= 3000


def test_podcasting_2_tags_transcripts_and_broadcast_wav(tmp_path: Path) -> None:
    from lxml import etree

    publish = tmp_path / "publish"
    config = load_config(channels_yaml(tmp_path, publish))
    psa = site_psa(tmp_path, "tolak-pungli-samsat")
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    root = etree.fromstring((publish / "site" / "feed" / "instansi" / "diskominfo-kaltim.xml").read_bytes())
    ns = {"podcast": PODCAST}
    assert root.findtext("channel/podcast:locked", namespaces=ns) == "no"
    assert root.findtext("channel/podcast:guid", namespaces=ns)
    transcripts = root.findall("channel/item/podcast:transcript", ns)
    assert {(t.get("language"), t.get("type")) for t in transcripts} == {
        ("id", "text/vtt"), ("id", "application/x-subrip"), ("nij", "text/vtt"), ("nij", "application/x-subrip"),
    }  # fmt: skip
    for transcript in transcripts:
        sidecar = local(publish, transcript.get("url"))
        assert hashlib.sha256(sidecar.read_bytes()).hexdigest() == psa.sha(sidecar.name)
    [alternate] = root.findall("channel/item/podcast:alternateEnclosure", ns)
    wav = local(publish, alternate.find("podcast:source", ns).get("uri"))
    assert wav.suffix == ".wav" and int(alternate.get("length")) == wav.stat().st_size


def test_guids_and_bytes_are_stable_across_regenerations(tmp_path: Path) -> None:
    publish = tmp_path / "publish"
    config = load_config(channels_yaml(tmp_path, publish))
    first = site_psa(tmp_path, "tolak-pungli-samsat")
    assert publish_psa(first.manifest, config, first.build_root).status == Status.OK
    feed = publish / "site" / "feed" / "provinsi" / "kalimantan-timur.xml"
    before = {e.id: e.enclosures[0].href for e in parse(feed).entries}
    guid_before = podcast_guid(feed)

    assert refresh_site(config, dt.datetime.now(dt.UTC)).written == 0  # nothing changed: nothing written
    second = site_psa(tmp_path, "lapor-gratifikasi")
    assert publish_psa(second.manifest, config, second.build_root).status == Status.OK
    after = {e.id: e.enclosures[0].href for e in parse(feed).entries}
    assert after["psa-pipeline:tolak-pungli-samsat"] == before["psa-pipeline:tolak-pungli-samsat"]
    assert set(after) == {"psa-pipeline:tolak-pungli-samsat", "psa-pipeline:lapor-gratifikasi"}
    assert podcast_guid(feed) == guid_before
