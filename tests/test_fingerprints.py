"""The render cache's memory of input hashes and probes survives several processes sharing one build folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import make_tone

from psa_pipeline.media import inputs
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
