"""The picture encodes while the sound is finished beside it; when one side fails, nothing is left running.

The picture run is made slow (read at its real speed, `-re`) or made to fail by an `ffmpeg` first
in PSA_FFMPEG, so the other side is certainly still at work when it happens.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import TINY, video_project

from psa_pipeline.build import render
from psa_pipeline.build.one_psa import Status, build_psa
from psa_pipeline.channels.config import load_config
from psa_pipeline.media.inputs import Fingerprints
from psa_pipeline.media.runner import Running

pytestmark = pytest.mark.media


def _picture_shim(folder: Path, picture: str) -> Path:
    """An `ffmpeg` that does `picture` (shell) for the picture run (the one with libx264) and is ffmpeg otherwise."""
    folder.mkdir()
    shim = folder / "ffmpeg"
    shim.write_text(f'#!/bin/sh\ncase "$*" in\n  *libx264*) {picture} ;;\n  *) exec /usr/bin/ffmpeg "$@" ;;\nesac\n')
    shim.chmod(0o755)
    return shim


def _started(monkeypatch: pytest.MonkeyPatch) -> list[Running]:
    """Every run render.py starts in the background, kept to look at afterwards."""
    runs: list[Running] = []

    class Recorded(Running):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            runs.append(self)

    monkeypatch.setattr(render, "Running", Recorded)
    return runs


def _build(tmp_path: Path, folder: Path) -> tuple[Status, str | None, Path]:
    build = tmp_path / "build"
    result = build_psa(folder / "psa.yaml", load_config(TINY), build, Fingerprints(build / ".state.json"), True)
    return result.status, result.error, build


def test_a_failing_picture_run_fails_the_psa_with_its_own_words_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = video_project(tmp_path, "gambar-gagal", "web, whatsapp")
    shim = _picture_shim(tmp_path / "bin", 'echo "x264 [error]: malloc of size 4096 failed" >&2; exit 1')
    monkeypatch.setenv("PSA_FFMPEG", str(shim))
    runs = _started(monkeypatch)
    status, error, build = _build(tmp_path, folder)
    assert status == Status.FAILED
    assert error is not None and "ffmpeg failed: x264 [error]: malloc of size 4096 failed" in error, error
    assert [run.process.returncode for run in runs] == [1]  # reaped
    assert not any(p.is_file() for p in (build / "gambar-gagal").rglob("*"))  # no file, no work folder


def test_an_interrupt_during_the_audio_work_stops_the_picture_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = video_project(tmp_path, "dihentikan", "web, whatsapp")
    shim = _picture_shim(tmp_path / "bin", 'exec /usr/bin/ffmpeg -re "$@"')  # the 3 s source at its own speed
    monkeypatch.setenv("PSA_FFMPEG", str(shim))
    runs = _started(monkeypatch)

    def interrupted(path: Path, stream: int = 0) -> object:
        assert runs and runs[0].process.poll() is None, "the picture run should still be encoding"
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "measure", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path, folder)
    assert [run.process.returncode for run in runs] == [-9]  # killed and reaped, not left encoding
    assert not any(p.is_file() for p in (tmp_path / "build" / "dihentikan").rglob("*"))
