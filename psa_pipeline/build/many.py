"""`psa build`: every PSA under the given paths, in parallel, with progress; one failure stops no other."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from psa_pipeline.build.one_psa import Events, PsaResult, build_psa
from psa_pipeline.build.shared import Prepared, batch_parts, prepare_batch
from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.core.i18n import _
from psa_pipeline.core.progress import Progress, Task
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.media.inputs import Fingerprints, ffmpeg_version
from psa_pipeline.validation.validate import find_manifests

STATE_FILE = ".psa-state.json"


def _events(progress: Progress) -> Events:
    """One progress task per ffmpeg run (the renditions it writes)."""
    tasks: dict[str, Task] = {}

    def started(label: str, seconds: float) -> None:
        tasks[label] = progress.start(label, seconds)

    def progressed(label: str, seconds: float) -> None:
        task = tasks.get(label)
        if task is not None:
            task.update(seconds)

    def finished(label: str) -> None:
        task = tasks.pop(label, None)
        if task is not None:
            task.finish()

    return Events(started, progressed, finished)


def build_all(
    paths: list[Path],
    config: ChannelConfig,
    build_root: Path,
    jobs: int | None = None,
    force: bool = False,
    assets_dir: Path | None = None,
    progress: Progress | None = None,
) -> list[PsaResult]:
    progress = progress or Progress(overall=_("all PSAs"))
    manifests = list(find_manifests(paths))
    fingerprints = Fingerprints(build_root / STATE_FILE)
    workers = max(1, jobs or os.cpu_count() or 1)
    # Each manifest read once, here: for the parts PSAs share and for each PSA's build.
    loaded = {manifest: load_manifest(manifest) for manifest in manifests}
    # Jingles and logos several PSAs share: probed, hashed and (jingles) conformed once, before any PSA.
    shared = batch_parts(loaded.items(), assets_dir)
    prepare_batch(shared, Prepared(build_root, fingerprints, ffmpeg_version(fingerprints)), workers)

    def one(manifest: Path, events: Events) -> PsaResult:
        return build_psa(manifest, config, build_root, fingerprints, force, assets_dir, events, loaded[manifest])

    def tracked(manifest: Path) -> PsaResult:
        result = one(manifest, _events(progress))
        progress.item_done()
        return result

    try:
        with progress, ThreadPoolExecutor(max_workers=workers) as pool:
            progress.expect(len(manifests))
            return list(pool.map(tracked, manifests))
    finally:
        fingerprints.save()
