"""Schedules and the public listing: an embargoed PSA is held, an expired one leaves the site and feeds,
and nothing that did not publish is ever listed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers import run_psa
from sitefixtures import channels_yaml, site_psa

from psa_pipeline.channels.config import load_config
from psa_pipeline.core.status import Status
from psa_pipeline.publish.public import refresh_site
from psa_pipeline.publish.publish import publish_psa

# The builds here are tiny real media: publishing fingerprints every rendition with ffmpeg.
pytestmark = pytest.mark.media

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English (msgids), whatever the Indonesian catalogue says once it is merged."""
    monkeypatch.setenv("PSA_LANG", "en")


def listed(publish: Path) -> set[str]:
    """PSA ids the site's home page links to, read from the HTML."""
    index = publish / "site" / "index.html"
    if not index.exists():
        return set()
    html = index.read_text(encoding="utf-8")
    return {part.split(".html")[0] for part in html.split('href="psa/')[1:]}


def feed_guids(publish: Path) -> set[str]:
    found = set()
    for xml in (publish / "site" / "feed").rglob("*.xml"):
        text = xml.read_text(encoding="utf-8")
        found |= {part.split("<")[0] for part in text.split('<guid isPermaLink="false">')[1:]}
    return found


def test_embargoed_psa_is_held_then_published_when_due(tmp_path: Path) -> None:
    psa = site_psa(tmp_path, "tolak-pungli-pasar", schedule="publish_at: 2026-03-02T08:00:00+07:00\n")
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))

    held = publish_psa(psa.manifest, config, psa.build_root, now=NOW)
    assert held.status == Status.SKIPPED and held.held
    assert "embargoed until 2026-03-02T08:00:00+07:00" in (held.error or "")
    assert str(psa.manifest) in (held.error or "")
    assert not (tmp_path / "publish").exists()  # not a byte: files, catalogue, site

    due = publish_psa(psa.manifest, config, psa.build_root, now=NOW + dt.timedelta(days=1))
    assert due.status == Status.OK, due.error
    assert listed(tmp_path / "publish") == {"tolak-pungli-pasar"}
    assert feed_guids(tmp_path / "publish") == {"psa-pipeline:tolak-pungli-pasar"}


def test_expired_psa_leaves_site_and_feeds_but_stays_verifiable(tmp_path: Path) -> None:
    short = site_psa(tmp_path, "lapor-sms-1708", schedule="expires: 2026-03-05T00:00:00+07:00\n")
    other = site_psa(tmp_path, "tolak-suap-samsat")
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))
    for psa in (short, other):
        assert publish_psa(psa.manifest, config, psa.build_root, now=NOW).status == Status.OK
    publish = tmp_path / "publish"
    assert listed(publish) == {"lapor-sms-1708", "tolak-suap-samsat"}
    page = publish / "site" / "psa" / "lapor-sms-1708.html"
    assert page.exists()

    done = refresh_site(config, dt.datetime(2026, 3, 6, tzinfo=WIB))
    assert done.deleted >= 2  # its page in both languages
    assert listed(publish) == {"tolak-suap-samsat"}
    assert not page.exists() and not (publish / "site" / "en" / "psa" / "lapor-sms-1708.html").exists()
    assert feed_guids(publish) == {"psa-pipeline:tolak-suap-samsat"}
    # Its files are still official: the Cek keaslian table knows them, marked as no longer shown.
    table = json.loads((publish / "site" / "hashes.js").read_text().removeprefix("window.PSA_HASHES = ").rstrip(";\n"))
    assert table[short.sha("lapor-sms-1708-whatsapp-small.mp4")][0] == "lapor-sms-1708"
    assert table[short.sha("lapor-sms-1708-whatsapp-small.mp4")][5] is False


def test_publishing_an_already_expired_psa_is_refused(tmp_path: Path) -> None:
    psa = site_psa(tmp_path, "tolak-pungli-lama", schedule="expires: 2026-01-01T00:00:00+07:00\n")
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))
    result = publish_psa(psa.manifest, config, psa.build_root, now=NOW)
    assert result.status == Status.REFUSED
    assert "expired on 2026-01-01T00:00:00+07:00" in (result.error or "") and "Set a later `expires`" in (
        result.error or ""
    )
    assert not (tmp_path / "publish").exists()


def test_a_psa_that_fails_to_publish_is_not_listed_and_others_go_on(tmp_path: Path) -> None:
    good = site_psa(tmp_path, "tolak-gratifikasi-kantor")
    bad = site_psa(tmp_path, "tolak-pungli-rusak")
    (bad.build_root / bad.psa_id / "tolak-pungli-rusak-radio-mp3.mp3").write_bytes(b"changed after the build")
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))
    assert publish_psa(bad.manifest, config, bad.build_root, now=NOW).status == Status.FAILED
    assert publish_psa(good.manifest, config, good.build_root, now=NOW).status == Status.OK
    publish = tmp_path / "publish"
    assert listed(publish) == {"tolak-gratifikasi-kantor"}
    assert feed_guids(publish) == {"psa-pipeline:tolak-gratifikasi-kantor"}
    index = json.loads((publish / "site" / "psas.json").read_text())
    assert set(index["psas"]) == {"tolak-gratifikasi-kantor"}


def test_rerun_rewrites_nothing_on_the_site(tmp_path: Path) -> None:
    psa = site_psa(tmp_path, "tolak-pungli-ulang")
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))
    assert publish_psa(psa.manifest, config, psa.build_root, now=NOW).status == Status.OK
    site = tmp_path / "publish" / "site"
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()}
    again = publish_psa(psa.manifest, config, psa.build_root, now=NOW + dt.timedelta(hours=1))
    assert again.status == Status.CACHED, again.error
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("publish_at: 2026-03-02 08:00:00\n", "needs a time zone"),
        ("publish_at: 2099-03-02T08:00:00+07:00\nexpires: 2099-03-01T08:00:00+07:00\n", "`expires` must be after"),
        ("expires: 2020-03-01T08:00:00+07:00\n", "has passed: psa publish would refuse"),
        ("publish_at: 2020-03-01T08:00:00+07:00\n", "has passed: psa publish publishes at once"),
    ],
)
def test_validate_names_the_line_of_a_bad_schedule(tmp_path: Path, schedule: str, expected: str) -> None:
    psa = site_psa(tmp_path, "tolak-pungli-jadwal", schedule=schedule)
    lines = psa.manifest.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith(schedule.splitlines()[-1].split(":")[0]))
    result = run_psa("--lang", "en", "validate", psa.manifest)
    assert result.code == 1  # the made-up media fail validation anyway; the schedule's own line is what we look for
    [reported] = [text for text in result.stdout.splitlines() if expected in text]
    assert f"psa.yaml:{line}" in reported


def test_a_held_publish_is_not_settled_so_the_next_batch_run_tries_again(tmp_path: Path) -> None:
    from psa_pipeline.records.journal import StepOutcome

    psa = site_psa(tmp_path, "tolak-pungli-nanti", schedule="publish_at: 2026-03-02T08:00:00+07:00\n")
    config = load_config(channels_yaml(tmp_path, tmp_path / "publish"))
    held = publish_psa(psa.manifest, config, psa.build_root, now=NOW)
    assert not StepOutcome(status=held.status, error=held.error).settled


def test_psa_site_command_regenerates(tmp_path: Path) -> None:
    psa = site_psa(tmp_path, "tolak-pungli-cron")
    config = channels_yaml(tmp_path, tmp_path / "publish")
    assert publish_psa(psa.manifest, load_config(config), psa.build_root).status == Status.OK
    (tmp_path / "publish" / "site" / "index.html").unlink()
    result = run_psa("--lang", "en", "site", "--channels", config)
    assert result.code == 0, result.stderr
    assert "1 written" in result.stdout
    assert listed(tmp_path / "publish") == {"tolak-pungli-cron"}
