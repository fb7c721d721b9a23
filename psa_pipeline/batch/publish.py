"""`psa batch publish`: after review, publish the batch's PSAs that a reviewer approved, and update the report.

Every PSA of the batch goes through `publish_psa`, whose approval gate refuses the ones without a
valid approval of their current build: the approved part is published, the rest is reported as
refused with the reason, and nothing unapproved is uploaded. One after another: uploads are bound
by the link, not the cores.
"""

from __future__ import annotations

import time
from pathlib import Path

from psa_pipeline.approval.store import default_dir
from psa_pipeline.batch.run import (
    JOURNAL,
    Announce,
    BatchLock,
    BatchResult,
    Journal,
    PsaState,
    batch_states,
    publish_task,
)
from psa_pipeline.channels.config import load_config
from psa_pipeline.records.journal import now


def publish_batch(
    folder: Path,
    build_root: Path,
    channels_file: Path | None = None,
    approvals: Path | None = None,
    announce: Announce = lambda step, state, outcome, reused: None,
) -> BatchResult:
    started = time.perf_counter()
    load_config(channels_file)  # a bad channels.yaml stops before anything is published
    approvals = approvals or default_dir(build_root)
    states = batch_states(folder, channels_file, build_root)
    with BatchLock(build_root):
        journal = Journal(build_root / JOURNAL)
        channels_arg = str(channels_file.resolve()) if channels_file else None
        for state in states:
            earlier = journal.earlier.get(state.key)
            if earlier is not None and earlier.fingerprint == state.fingerprint:
                # validate and build as `psa batch run` left them, for the report
                state.steps = {step: o for step, o in earlier.steps.items() if step != "publish"}
            outcome = publish_task(str(state.manifest.resolve()), channels_arg, str(build_root.resolve()),
                                   str(approvals.resolve()))  # fmt: skip
            state.steps["publish"] = outcome.model_copy(update={"at": now()})
            journal.record(state)
            announce("publish", state, state.steps["publish"], False)
    return BatchResult(states, time.perf_counter() - started)


def known_states(folder: Path, build_root: Path, channels_file: Path | None = None) -> list[PsaState]:
    """The batch's PSAs with the steps its journal last recorded for them (read only: no lock taken)."""
    states = batch_states(folder, channels_file, build_root)
    journal = Journal(build_root / JOURNAL)
    for state in states:
        earlier = journal.earlier.get(state.key)
        if earlier is not None:
            state.steps = dict(earlier.steps)
    return states
