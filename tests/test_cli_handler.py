"""What psa says when things go wrong or when asked to say more or less: exit codes, crash reports, -v, -q."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TINY, make_tone, run_psa, video_project, write_wav

from psa_pipeline.cli import checks, invoke
from psa_pipeline.cli.crash import EXIT_INTERNAL
from psa_pipeline.core.problems import MediaError


def crash_in_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> None:
        raise ZeroDivisionError("division by zero in a bug")

    monkeypatch.setattr(checks, "probe", broken)


def test_a_bug_ends_in_one_line_exit_70_and_a_crash_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    crash_in_probe(monkeypatch)
    tone = write_wav(tmp_path / "nada dering.wav")
    assert invoke(["probe", str(tone)]) == EXIT_INTERNAL == 70
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("psa: internal error (ZeroDivisionError: division by zero in a bug); ")
    assert "please send it to " in err
    (report,) = (tmp_path / "state" / "psa" / "crashes").glob("psa-crash-*.txt")
    assert f"a crash report was written to {report};" in err
    text = report.read_text()
    assert text.startswith("psa 0.1.0 crash report, ")
    assert f"command:  psa probe '{tone}'\n" in text  # shell-quoted: can be pasted back
    for field in ("python:   3.", "platform: Linux", "ffmpeg:   ", "ffprobe:  ", "cwd:      "):
        assert f"\n{field}" in text, field
    assert "Traceback (most recent call last):" in text and "in broken" in text
    assert text.rstrip().endswith("ZeroDivisionError: division by zero in a bug")


def test_the_console_entry_point_exits_70_in_a_real_process(tmp_path: Path) -> None:
    # The real `run()` in a child process; the bug is planted from outside, psa has no hook for it.
    tone = write_wav(tmp_path / "a.wav")
    plant = (
        "import sys; from psa_pipeline.cli import checks, run; "
        "checks.probe = lambda path: {}['missing']; "
        f"sys.argv = ['psa', 'probe', {str(tone)!r}]; run()"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    completed = subprocess.run([sys.executable, "-c", plant], capture_output=True, text=True, env=env, timeout=60)
    assert completed.returncode == 70 and completed.stdout == ""
    assert completed.stderr.startswith("psa: internal error (KeyError: 'missing'); a crash report was written to ")
    assert "Traceback" not in completed.stderr and len(completed.stderr.splitlines()) == 1
    (report,) = (tmp_path / "state" / "psa" / "crashes").glob("*.txt")
    assert "KeyError: 'missing'" in report.read_text()


def test_the_crash_report_goes_to_the_temporary_folder_when_the_state_folder_is_unwritable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    crash_in_probe(monkeypatch)
    assert invoke(["probe", str(write_wav(tmp_path / "a.wav"))]) == 70
    (report,) = (tmp_path / "tmp").glob("psa-crash-*.txt")
    assert str(report) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (MediaError("media/spot.wav: file is damaged"), 1, "psa: error: media/spot.wav: file is damaged\n"),
        (PermissionError(13, "Permission denied", "build/x"), 1, "psa: error: Permission denied: build/x\n"),
        (KeyboardInterrupt(), 130, "\naborted\n"),  # Ctrl-C: click turns it into Abort
    ],
)
def test_known_errors_keep_their_clean_line_and_exit_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    code: int,
    message: str,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def failing(path: Path) -> None:
        raise error

    monkeypatch.setattr(checks, "probe", failing)
    assert invoke(["probe", str(write_wav(tmp_path / "a.wav"))]) == code
    assert capsys.readouterr().err == message
    assert not (tmp_path / "state").exists()  # no crash report for these


def test_usage_errors_keep_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(["probe"]) == 2
    assert "Missing argument 'FILE'" in capsys.readouterr().err
    assert invoke(["--verbose", "--quiet", "schema"]) == 2
    assert "contradict" in capsys.readouterr().err


def test_verbose_prints_each_command_line_shell_quoted_before_running_it(tmp_path: Path) -> None:
    # No ffmpeg needed: the line is printed before the (here nonexistent) binary is started.
    tone = write_wav(tmp_path / "nada dering.wav")
    result = run_psa("--verbose", "probe", tone)
    assert result.code == 1
    first, *rest = result.stderr.splitlines()
    argv = shlex.split(first)
    assert argv[0] == os.environ["PSA_FFPROBE"] and argv[-1] == str(tone)
    assert rest and rest[-1].startswith("psa: error: ffprobe is not installed or cannot be run: ")
    assert "(set by PSA_FFPROBE)" in rest[-1]
    assert run_psa("probe", tone).stderr.count("\n") == 1  # without --verbose: only the error


@pytest.mark.media
def test_psa_ffmpeg_chooses_the_binary_and_verbosity_reaches_the_batch_workers(tmp_path: Path) -> None:
    log = tmp_path / "ffmpeg-calls.log"
    wrapper = tmp_path / "bin" / "my ffmpeg"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {shlex.quote(str(log))}\nexec ffmpeg "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    os.environ["PSA_FFMPEG"] = str(wrapper)
    try:
        video_project(tmp_path, "satu", "whatsapp")
        result = run_psa("-v", "batch", "run", tmp_path / "projects", "--channels", TINY, "--build", tmp_path / "b")
    finally:
        del os.environ["PSA_FFMPEG"]
    assert result.code == 0, result.stdout + result.stderr
    commands = [shlex.split(line) for line in result.stderr.splitlines() if line.startswith(shlex.quote(str(wrapper)))]
    renders = [argv for argv in commands if "-filter_complex" in argv]
    assert renders, result.stderr  # printed by the worker process that rendered
    assert log.read_text().count("\n") >= len(commands) >= 2  # and every one ran through the chosen binary
    report = json.loads((tmp_path / "b" / "batch-report.json").read_text())
    assert [p["status"] for p in report["psas"]] == ["ok"]


@pytest.mark.media
def test_quiet_leaves_only_the_results(tmp_path: Path) -> None:
    folder = video_project(tmp_path, "satu", "whatsapp")
    normal = run_psa("build", "--channels", TINY, "-o", tmp_path / "b1", folder)
    assert normal.code == 0 and "start  satu: whatsapp/small" in normal.stderr  # a log gets plain lines
    quiet = run_psa("-q", "build", "--channels", TINY, "-o", tmp_path / "b2", folder)
    assert quiet.code == 0 and quiet.stderr == ""
    assert "ok   satu: built 1, reused 0" in quiet.stdout
    make_tone(tmp_path / "t.wav", seconds=1.0)
    assert run_psa("-q", "probe", "--json", tmp_path / "t.wav").stderr == ""
