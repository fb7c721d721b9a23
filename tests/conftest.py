"""Fixtures: a project folder to write manifests into, a tiny full disk, the sample projects with fresh media.

Tests that need ffmpeg, ffprobe, Chromium or the moto S3 server are marked `media`; `pytest -m "not media"`
runs the rest in seconds. The marker is kept honest: an unmarked test gets PSA_FFMPEG/PSA_FFPROBE pointing at
binaries that do not exist, so any ffmpeg run it reaches (through psa or `helpers.ffmpeg`) fails loudly.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import ROOT, write_wav

# The loopback S3 server, its fault-injecting proxy and AWS environment isolation.
pytest_plugins = ["s3fixtures"]

NO_TOOL = "/nonexistent/mark-the-test-with-pytest.mark.media"
# Fixtures that start the moto S3 server: a test using them is a media test too.
S3_FIXTURES = frozenset({"s3_server", "s3_bucket", "fault_proxy"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid
        for item in items
        if item.get_closest_marker("media") is None and S3_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if unmarked:
        raise pytest.UsageError(f"these tests start the S3 server but are not marked media: {', '.join(unmarked)}")


@pytest.fixture(autouse=True)
def _tools_only_for_media_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("media") is None:
        monkeypatch.setenv("PSA_FFMPEG", f"{NO_TOOL}/ffmpeg")
        monkeypatch.setenv("PSA_FFPROBE", f"{NO_TOOL}/ffprobe")


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests assert psa's English wording unless they choose Indonesian (the product's default) themselves."""
    from psa_pipeline.core import i18n

    monkeypatch.setenv("PSA_LANG", "en")
    i18n.choose(None)
    yield
    i18n.choose(None)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """Write a manifest (dedented) into a fresh project folder that has a shared assets/ folder."""
    write_wav(tmp_path / "assets" / "jingles" / "intro.wav", seconds=1.0)
    (tmp_path / "projects" / "p").mkdir(parents=True)

    def write(text: str) -> Path:
        manifest = tmp_path / "projects" / "p" / "psa.yaml"
        manifest.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return manifest

    return write


@pytest.fixture
def broken_sample(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of tests/broken/NAME with its own shared assets/ (the jingles it names, 2 s each), so the
    planted mistakes are checked against media made here, not the generated sample assets."""
    for jingle in ("lapor-intro", "lapor-outro"):
        write_wav(tmp_path / "assets" / "jingles" / f"{jingle}.wav", seconds=2.0, amplitude=0.2)

    def copy(name: str) -> Path:
        target = tmp_path / "broken" / name
        shutil.copytree(ROOT / "tests" / "broken" / name, target)
        return target / "psa.yaml"

    return copy


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 KiB filesystem: real ENOSPC, not a simulation."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {mounted.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="session")
def sample_projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of projects/ (manifests and subtitles as committed) with its media generated afresh, not
    whatever `make samples` left in the worktree; returns the folder holding projects/ and assets/."""
    root = tmp_path_factory.mktemp("samples")
    for manifest in sorted((ROOT / "projects").glob("*/psa.yaml")):
        target = root / "projects" / manifest.parent.name
        shutil.copytree(manifest.parent, target, ignore=shutil.ignore_patterns("media"))
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_samples.py"), "--root", str(root), "-j", "2"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return root
