"""The render cache's memory of input hashes and probes survives several processes sharing one build folder."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import make_tone

from psa_pipeline.media import inputs, runner
from psa_pipeline.media.inputs import Fingerprints

pytestmark = pytest.mark.media


def test_two_workers_saving_one_state_file_keep_both_probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = make_tone(tmp_path / "a.wav", seconds=0.2), make_tone(tmp_path / "b.wav", seconds=0.2)
    state = tmp_path / "build" / ".psa-state.json"
    first, second = Fingerprints(state), Fingerprints(state)  # two batch workers, loaded at the same time
    first.probe(a)
    second.probe(b)
    first.save()
    second.save()

    def no_probe(path: Path) -> None:
        raise AssertionError(f"probed {path} again")

    monkeypatch.setattr(inputs, "probe", no_probe)
    later = Fingerprints(state)
    assert later.probe(a).duration == pytest.approx(0.2, abs=0.01)
    assert later.probe(b).duration == pytest.approx(0.2, abs=0.01)


def test_threads_asking_for_one_file_at_once_probe_and_hash_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jingle = make_tone(tmp_path / "jingle.wav", seconds=0.2)
    probed: list[Path] = []
    real = inputs.probe

    def counted(path: Path) -> object:
        probed.append(path)
        return real(path)

    monkeypatch.setattr(inputs, "probe", counted)
    fingerprints = Fingerprints(tmp_path / "state.json")
    with ThreadPoolExecutor(max_workers=8) as pool:  # eight PSAs sharing one jingle, built at once
        found = list(pool.map(fingerprints.probe_and_digest, [jingle] * 8))
    assert len(probed) == 1
    assert len({digest for _, digest in found}) == 1


def test_ffmpegs_version_is_asked_once_per_binary_not_once_per_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = tmp_path / "asked"
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()

    def install(version: str) -> None:
        new = fake.with_name("ffmpeg.new")
        new.write_text(f'#!/bin/sh\necho x >> "{asked}"\necho "ffmpeg version {version}"\n')
        new.chmod(0o755)
        new.replace(fake)  # as a package upgrade does: a new file in its place

    install("7.1")
    monkeypatch.setenv("PSA_FFMPEG", str(fake))
    state = tmp_path / "build" / ".psa-state.json"
    for _ in range(3):  # three runs of psa, each a new process
        runner.tool_version.cache_clear()
        fingerprints = Fingerprints(state)
        assert inputs.ffmpeg_version(fingerprints) == "ffmpeg version 7.1"
        fingerprints.save()
    assert asked.read_text().count("x") == 1
    install("8.0")
    runner.tool_version.cache_clear()
    assert inputs.ffmpeg_version(Fingerprints(state)) == "ffmpeg version 8.0"
    runner.tool_version.cache_clear()


def test_a_batch_worker_reads_the_state_file_again_only_when_it_changed(tmp_path: Path) -> None:
    from psa_pipeline.batch.run import worker_fingerprints

    state = tmp_path / "build" / ".psa-state.json"
    first = worker_fingerprints(state)
    assert worker_fingerprints(state) is first  # the next task on this worker: nothing changed
    other = Fingerprints(state)  # another worker learns something and saves it
    other.digest(make_tone(tmp_path / "a.wav", seconds=0.2))
    other.save()
    later = worker_fingerprints(state)
    assert later is not first and str((tmp_path / "a.wav").resolve()) in later.state
