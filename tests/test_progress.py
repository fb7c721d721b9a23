"""One progress module for every stage: bars on a terminal, plain lines in a log, silence with -q."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from psa_pipeline.core.progress import Progress, Verbosity, environment, set_verbosity, verbosity


@pytest.fixture(autouse=True)
def _own_verbosity(monkeypatch: pytest.MonkeyPatch) -> None:
    # set_verbosity writes the environment itself; setenv first makes monkeypatch remember the value
    # from before the test (delenv of an unset variable records nothing, and QUIET would leak onwards).
    for name in ("PSA_QUIET", "PSA_VERBOSE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def log_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=200), out


def test_a_log_gets_a_start_line_a_line_per_quarter_and_a_done_line() -> None:
    console, out = log_console()
    with Progress(console) as progress:
        task = progress.start("spot-lapor: radio/broadcast", 10.0)
        for second in (1, 2, 2.6, 3, 5.1, 7.5, 9.9, 10):
            task.update(second)
        task.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "start  spot-lapor: radio/broadcast"
    assert lines[1:4] == ["   25% spot-lapor: radio/broadcast", "   50% spot-lapor: radio/broadcast",
                          "   75% spot-lapor: radio/broadcast"]  # fmt: skip
    assert lines[4].startswith("done   spot-lapor: radio/broadcast (") and len(lines) == 5


def test_byte_progress_in_a_log_is_one_summary_line() -> None:
    console, out = log_console()
    with Progress(console, unit="bytes") as progress:
        task = progress.start("spot-lapor", 1000)
        for _ in range(10):
            task.advance(100)
        task.finish(" published  spot-lapor  0.0 MB")
        task.finish("twice")  # a task ends once
    assert out.getvalue() == " published  spot-lapor  0.0 MB\n"


def test_quiet_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    set_verbosity(Verbosity.QUIET)
    console, out = log_console()
    with Progress(console) as progress:
        task = progress.start("x", 1.0)
        task.update(1.0)
        task.finish()
        progress.note("information")
    assert out.getvalue() == ""


def test_a_terminal_gets_bars_that_vanish_and_notes_that_stay() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with Progress(console, overall="all PSAs") as progress:
        progress.expect(1)
        assert progress.mode == "bars"
        task = progress.start("spot-lapor: web/small", 4.0)
        task.update(2.0)
        task.finish()
        progress.item_done()
        progress.note("[red]FAIL[/red] other: [not markup]")
    text = out.getvalue()
    assert ("start" not in text and "FAIL" in text and "[not markup]" not in text) or "other:" in text


def test_verbosity_travels_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert verbosity() == Verbosity.NORMAL and environment() == {}
    set_verbosity(Verbosity.VERBOSE)
    assert verbosity() == Verbosity.VERBOSE
    assert environment() == {"PSA_QUIET": "0", "PSA_VERBOSE": "1"}
    monkeypatch.setenv("PSA_QUIET", "1")
    assert verbosity() == Verbosity.QUIET  # quiet wins: it is what a script asked for
