"""Content hashes of input files, remembered by (size, mtime, inode) so unchanged files are not re-read.

Like DVC's state database: the hash is the truth, the stat triple only saves re-reading bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.oslock import held
from psa_pipeline.media.probe import MediaInfo, Stream, probe
from psa_pipeline.media.runner import binary, tool_version

# Bump when MediaInfo gains fields: older remembered probes lack them.
PROBE_VERSION = 3  # 3: audio_reason is a key (probe.TRACK_REASONS), not English text


def _key(path: Path) -> str:
    """A file's entry in the state: its absolute path, without following symlinks.

    Following them cost a system call per folder of the path, for every file of every PSA of a
    no-op rebuild. The stamp holds the inode, so a symlink that now leads to another file is a new
    stamp and the file is read again; two names for one file only mean two entries.
    """
    return os.path.abspath(path)


class Fingerprints:
    """Hashes and probe results of input files, persisted in one small JSON state file."""

    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file
        self.lock = threading.Lock()
        # One hash or probe of a file at a time: threads building PSAs that share a jingle wait for the
        # first one's answer instead of each reading the file again.
        self.flights: dict[str, threading.Lock] = {}
        self.changed: set[str] = set()
        self.versions: dict[str, str] = {}
        try:
            self.state: dict[str, dict[str, object]] = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}

    def _stamp(self, path: Path) -> list[int]:
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns, stat.st_ino]

    def _flight(self, name: str) -> threading.Lock:
        with self.lock:
            return self.flights.setdefault(name, threading.Lock())

    def _known_digest(self, key: str, stamp: list[int]) -> str | None:
        with self.lock:
            entry = self.state.get(key)
            return str(entry["sha256"]) if entry and entry.get("stamp") == stamp else None

    def digest(self, path: Path) -> str:
        return self._digest(path, _key(path))

    def _digest(self, path: Path, key: str) -> str:
        stamp = self._stamp(path)
        known = self._known_digest(key, stamp)
        if known is not None:
            return known
        with self._flight(f"digest:{key}"):
            known = self._known_digest(key, stamp)
            if known is not None:
                return known
            value = sha256_file(path)
            with self.lock:
                self.state[key] = {"stamp": stamp, "sha256": value}
                self.changed.add(key)
        return value

    def _known_probe(self, path: Path, key: str, digest: str) -> MediaInfo | None:
        with self.lock:
            cached = self.state.get(key, {}).get("probe")
        if isinstance(cached, dict) and cached.get("sha256") == digest and cached.get("version") == PROBE_VERSION:
            data = dict(cached["info"])
            streams = [Stream(**s) for s in data.pop("streams")]
            return MediaInfo(path=path, streams=streams, **{k: v for k, v in data.items() if k != "path"})
        return None

    def probe(self, path: Path) -> MediaInfo:
        """ffprobe result, remembered by content hash."""
        return self.probe_and_digest(path)[0]

    def probe_and_digest(self, path: Path) -> tuple[MediaInfo, str]:
        """ffprobe result and content hash, the path resolved once for both."""
        key = _key(path)
        digest = self._digest(path, key)
        known = self._known_probe(path, key, digest)
        if known is not None:
            return known, digest
        with self._flight(f"probe:{key}"):
            known = self._known_probe(path, key, digest)
            if known is not None:
                return known, digest
            info = probe(path)
            with self.lock:
                self.state.setdefault(key, {})["probe"] = {
                    "sha256": digest,
                    "version": PROBE_VERSION,
                    "info": info.to_json(),
                }
                self.changed.add(key)
        return info, digest

    def tool_version(self, tool: str) -> str:
        """runner.tool_version, remembered by the binary's stamp (see ffmpeg_version); looked up once per run."""
        with self.lock:
            asked = self.versions.get(tool)
        if asked is None:
            asked = self.versions[tool] = self._tool_version(tool)
        return asked

    def _tool_version(self, tool: str) -> str:
        found = shutil.which(binary(tool))
        if found is None:
            return tool_version(tool)  # "<tool>-missing": not remembered, asked again next time
        real = os.path.realpath(found)
        key = f"{tool}-version:{real}"  # never an input's key: those are absolute paths
        stamp = self._stamp(Path(real))
        with self.lock:
            entry = self.state.get(key)
            if entry and entry.get("stamp") == stamp and isinstance(entry.get("version"), str):
                return str(entry["version"])
        version = tool_version(tool)
        with self.lock:
            self.state[key] = {"stamp": stamp, "version": version}
            self.changed.add(key)
        return version

    def save(self) -> None:
        """Write what this process learnt, merged into what other processes saved meanwhile.

        A batch runs several processes on one build folder (pool or Dask workers); each saving
        only its own view would drop the others' hashes and probes, and the next no-op run would
        probe that media again.
        """
        with self.lock:
            if not self.changed:
                return
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            with open(self.state_file.with_name(self.state_file.name + ".lock"), "a+b") as guard, held(guard):
                try:
                    on_disk = json.loads(self.state_file.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    on_disk = {}
                merged = {**on_disk, **{key: self.state[key] for key in self.changed}}
                with atomic_text(self.state_file) as handle:
                    json.dump(merged, handle)
            self.changed.clear()


def ffmpeg_version(fingerprints: Fingerprints | None = None) -> str:
    """First line of `ffmpeg -version`: part of every cache key, since encoders change between versions.

    With `fingerprints`, remembered in the state file by the binary's (size, mtime, inode), like an
    input's hash: a no-op rebuild starts no ffmpeg at all. Installing another ffmpeg replaces the
    binary (a new inode), so the version is asked again. (A PSA_FFMPEG wrapper script stands for the
    ffmpeg it runs: an ffmpeg upgraded behind an unchanged wrapper is not seen.)
    """
    if fingerprints is None:
        return tool_version("ffmpeg")
    return fingerprints.tool_version("ffmpeg")
