"""Parts several PSAs share (intro/outro jingles, end-card logos): probed and hashed once, jingles conformed once.

An agency's PSAs open and close with the same jingles from its `assets/` folder. Before a batch's
PSAs are dispatched (`psa build` of many PSAs, `psa batch run`), the parts two or more of them use
are probed and hashed once (the Fingerprints state file then answers every PSA's build), and each
shared jingle is conformed once to the programme's lossless format: 48 kHz stereo float WAV, the
samples programme.CONFORM makes of it inside a render graph. Each PSA's render reads that file
instead of decoding and resampling the jingle itself (plan.Piece.prepared).

The prepared file lives in the build folder, so pool processes and Dask workers on other machines
all find it: `BUILD/.shared/<key>.wav`, where the key hashes the source's content, the conform chain
and the ffmpeg that runs it. An edited jingle gets a new key; a moved one keeps it. Its record
(records/shared.py) is written after it and holds its SHA-256: a prepared file that is missing, has
no record or does not match it is prepared again, never trusted. Two processes preparing the same
part take turns on a lock file; the second finds the first's result.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from psa_pipeline.build.plan import Piece, PsaInputs
from psa_pipeline.build.programme import CONFORM, conform_args
from psa_pipeline.core.atomic import temporary_name
from psa_pipeline.core.oslock import held
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.load import Loaded
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.media.inputs import Fingerprints
from psa_pipeline.media.runner import run_ffmpeg
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.shared import SharedPartRecord

SHARED_DIR = ".shared"
# Bump when the way a part is prepared changes in a way CONFORM's text and ffmpeg's version do not show.
PREPARE_VERSION = 1


@dataclass(frozen=True)
class SharedPart:
    """A file two or more PSAs of the batch name; `conform`: a jingle (sound to prepare), else a logo."""

    path: Path
    conform: bool


def parts_of(manifest: Manifest, project: Path, assets_dir: Path | None) -> list[tuple[Path, bool]]:
    """The jingles (True) and end-card logo (False) a manifest names, resolved; unresolvable ones left out."""
    resolver = assets.Resolver(project, assets_dir or assets.find_assets_dir(project))
    named = [(j.file, True) for j in (manifest.jingles.intro, manifest.jingles.outro) if j is not None]
    if manifest.end_card is not None and manifest.end_card.logo:
        named.append((manifest.end_card.logo, False))
    found = []
    for reference, conform in named:
        try:
            path = resolver.resolve(reference)
        except PsaError:
            continue  # the PSA's own build reports it
        found.append((Path(os.path.abspath(path)), conform))  # the resolver has checked where it leads
    return found


def shared_parts(uses: Iterable[list[tuple[Path, bool]]]) -> list[SharedPart]:
    """The parts named by two or more PSAs (each PSA's list from `parts_of`), in a stable order."""
    counts: Counter[tuple[Path, bool]] = Counter()
    for parts in uses:
        counts.update(set(parts))
    return [SharedPart(path, conform) for (path, conform), n in sorted(counts.items()) if n >= 2]


def batch_parts(manifests: Iterable[tuple[Path, Loaded]], assets_dir: Path | None) -> list[SharedPart]:
    """The parts two or more of these manifests name; a manifest that does not load is left to its build."""
    uses = [
        parts_of(loaded.manifest, file.parent, assets_dir) for file, loaded in manifests if loaded.manifest is not None
    ]
    return shared_parts(uses)


def part_key(source_digest: str, ffmpeg_version: str) -> str:
    material = {"source": source_digest, "conform": CONFORM, "ffmpeg": ffmpeg_version, "version": PREPARE_VERSION}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class Prepared:
    """The prepared parts of one build folder."""

    def __init__(self, build_root: Path, fingerprints: Fingerprints, ffmpeg_version: str) -> None:
        self.folder = build_root / SHARED_DIR
        self.fingerprints = fingerprints
        self.version = ffmpeg_version

    def _paths(self, digest: str) -> tuple[Path, Path]:
        key = part_key(digest, self.version)
        return self.folder / f"{key}.wav", self.folder / f"{key}.json"

    def _record(self, path: Path) -> SharedPartRecord | None:
        try:
            return SharedPartRecord.read_if_exists(path)
        except RecordError:
            return None

    def _valid(self, wav: Path, record: SharedPartRecord | None, digest: str) -> bool:
        if record is None or record.source_sha256 != digest or record.file != wav.name:
            return False
        try:
            if wav.stat().st_size != record.size:
                return False
        except OSError:
            return False
        # Remembered by (size, mtime, inode) like every input: read again only if the file was touched.
        return self.fingerprints.digest(wav) == record.sha256

    def ensure(self, piece: Piece) -> Path:
        """The prepared file for `piece`'s sound, made now if it is missing or not what its record says."""
        wav, json_path = self._paths(piece.digest)
        if self._valid(wav, self._record(json_path), piece.digest):
            return wav
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = wav.with_suffix(".lock")
        with open(lock, "a+b") as guard, held(guard):
            if self._valid(wav, self._record(json_path), piece.digest):
                return wav  # another process (or thread) prepared it while this one waited
            json_path.unlink(missing_ok=True)
            temporary = temporary_name(wav)
            try:
                run_ffmpeg(conform_args(str(piece.path.resolve()), str(temporary)))
                os.replace(temporary, wav)
            finally:
                temporary.unlink(missing_ok=True)
            record = SharedPartRecord(
                source_sha256=piece.digest,
                source=str(piece.path.resolve()),
                conform=CONFORM,
                ffmpeg=self.version,
                file=wav.name,
                size=wav.stat().st_size,
                sha256=self.fingerprints.digest(wav),
            )
            record.write(json_path)
        return wav

    def known(self, piece: Piece) -> bool:
        """Whether a batch marked this part as shared (its record is there, whatever state its file is in)."""
        return self._paths(piece.digest)[1].is_file()

    def use(self, inputs: PsaInputs) -> PsaInputs:
        """`inputs` with each jingle a batch prepared read from its prepared file (re-prepared if damaged)."""
        return replace(inputs, intro=self._use(inputs.intro), outro=self._use(inputs.outro))

    def _use(self, piece: Piece | None) -> Piece | None:
        if piece is None or not self.known(piece):
            return piece  # not shared, or no batch prepared it: the render conforms it in its graph
        return replace(piece, prepared=self.ensure(piece))


def prepare_batch(parts: list[SharedPart], prepared: Prepared, jobs: int = 2) -> dict[Path, str]:
    """Probe and hash each shared part once, and conform each shared jingle once; errors are left to the builds.

    Returns what went wrong, by part: a jingle that cannot be read fails the builds that use it,
    each with its own message, as without this step.
    """
    fingerprints = prepared.fingerprints
    problems: dict[Path, str] = {}

    def one(part: SharedPart) -> None:
        try:
            piece = Piece(part.path, *fingerprints.probe_and_digest(part.path))
            if part.conform:
                prepared.ensure(piece)
        except (PsaError, OSError) as exc:
            problems[part.path] = str(exc)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, parts))
    fingerprints.save()  # before any worker process starts: each reads the state file when it does
    return problems
