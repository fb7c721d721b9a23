"""Every ffmpeg/ffprobe run goes through one runner: the binary it picks, and what a failure says."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from psa_pipeline.media import runner
from psa_pipeline.media.runner import ToolFailed, ToolMissing, ToolTimeout, binary, capture, gist, resolve, run_ffmpeg


def test_the_environment_chooses_the_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_FFMPEG", "/opt/ffmpeg-7/bin/ffmpeg")
    monkeypatch.setenv("PSA_FFPROBE", " ")  # blank: as if unset
    monkeypatch.setenv("PATH", "/nowhere")
    assert binary("ffmpeg") == "/opt/ffmpeg-7/bin/ffmpeg"
    assert binary("ffprobe") == "ffprobe"  # not on PATH: the bare name, so the error names it
    assert resolve(["ffmpeg", "-i", Path("a b.wav")]) == ["/opt/ffmpeg-7/bin/ffmpeg", "-i", "a b.wav"]
    assert resolve(["espeak-ng", "x"]) == ["espeak-ng", "x"]  # only the tools psa runs are swapped


def test_a_missing_binary_is_a_typed_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_FFMPEG", "/nonexistent/ffmpeg")
    with pytest.raises(ToolMissing, match=r"^ffmpeg is not installed or cannot be run: /nonexistent/ffmpeg \(set by"):
        run_ffmpeg(["ffmpeg", "-version"])
    assert runner.tool_version.__wrapped__("ffmpeg") == "ffmpeg-missing"


def test_the_gist_of_stderr_is_its_tail_and_says_disk_full_plainly() -> None:
    log = "\n".join(f"line {n}" for n in range(10))
    assert gist(log) == "line 7 | line 8 | line 9"
    assert gist("x\n[mp4 @ 0x1] Error writing trailer: No space left on device\ny\n") == (
        "no space left on device (disk full)"
    )
    assert gist("") == "no error message"


@pytest.mark.media
def test_a_failing_ffmpeg_raises_with_its_exit_code_and_last_words(tmp_path: Path) -> None:
    with pytest.raises(ToolFailed) as caught:
        run_ffmpeg(["ffmpeg", "-nostdin", "-v", "error", "-i", str(tmp_path / "tidak-ada.wav"), "-f", "null", "-"])
    assert caught.value.returncode != 0 and "tidak-ada.wav" in caught.value.stderr_tail
    assert str(caught.value).startswith("ffmpeg failed: ")


@pytest.mark.media
def test_a_run_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    started = time.monotonic()
    endless = ["ffmpeg", "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"]
    with pytest.raises(ToolTimeout, match="ffmpeg took more than 1 s and was stopped"):
        run_ffmpeg(endless, timeout=1)
    with pytest.raises(ToolTimeout):
        capture(endless, timeout=1)
    assert time.monotonic() - started < 20


@pytest.mark.media
def test_progress_is_read_from_ffmpeg_as_it_runs() -> None:
    seen: list[float] = []
    assert shutil.which("ffmpeg")
    run_ffmpeg(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=d=3",
            "-progress",
            "pipe:1",
            "-f",
            "null",
            "-",
        ],
        on_progress=seen.append,
    )
    assert seen and seen == sorted(seen) and seen[-1] == pytest.approx(3.0, abs=0.1)
