"""A folder destination (NAS, radio playout watch folder).

Every write is temporary name, fsync, rename, so watchers never see half a file. Documents that
several publishers update (the catalogue) are compare-and-swapped under an exclusive lock file
beside them, so processes on one host or on several hosts sharing the folder never lose an update.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psa_pipeline.channels.destinations import FolderDestination
from psa_pipeline.core.hashing import CHUNK, sha256_file
from psa_pipeline.core.i18n import _
from psa_pipeline.publish.destinations import Existing, Progress, PublishError, Versioned
from psa_pipeline.publish.locks import file_lock, unique_suffix

# Lock files live in one hidden folder at the root, not beside the files: playout watch folders
# and people browsing the share see only finished files.
LOCK_FOLDER = ".psa-locks"
CATALOGUE_LOCK_SECONDS = 60.0
PSA_LOCK_SECONDS = 300.0


class FolderBackend:
    def __init__(self, config: FolderDestination) -> None:
        # Resolved once: URLs in the catalogue must not depend on where psa was started.
        self.root = config.path.expanduser().resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise PublishError(
                _("key '{key}' would leave the destination folder {folder}").format(key=key, folder=self.root)
            )
        return path

    def _lock_path(self, key: str) -> Path:
        return self.root / LOCK_FOLDER / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.lock"

    def url(self, key: str) -> str:
        return str(self._path(key))

    def stored_key(self, key: str) -> str:
        return key

    def existing(self, key: str) -> Existing | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return Existing(None, path.stat().st_size)

    def stored_sha256(self, key: str, size: int) -> str:
        return sha256_file(self._path(key))

    def upload(
        self, local: Path, key: str, meta: dict[str, str], content_type: str, progress: Progress, only_if_absent: bool
    ) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temporary(path)
        try:
            with local.open("rb") as source, temporary.open("wb") as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    progress(len(chunk))
                target.flush()
                os.fsync(target.fileno())
            if only_if_absent:
                # link() fails if the name exists: no other publisher's file is overwritten, even in a race.
                try:
                    os.link(temporary, path)
                except FileExistsError:
                    raise PublishError(
                        _("{path} appeared while publishing (another publisher?); run again").format(path=path)
                    ) from None
            else:
                os.replace(temporary, path)
            _fsync_dir(path.parent)
        except IsADirectoryError:
            raise PublishError(_("{path} is a folder; remove it and run again").format(path=path)) from None
        finally:
            temporary.unlink(missing_ok=True)

    def read(self, key: str) -> Versioned | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return Versioned(data, hashlib.sha256(data).hexdigest())

    def write_if(self, key: str, data: bytes, version: str | None) -> bool:
        path = self._path(key)
        with file_lock(self._lock_path(key), CATALOGUE_LOCK_SECONDS, str(path)):
            current = self.read(key)
            if (current.version if current else None) != version:
                return False
            self.write(key, data)
        return True

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _temporary(path)
        try:
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            _fsync_dir(path.parent)
        finally:
            temporary.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @contextmanager
    def exclusive(self, folder: str, what: str) -> Iterator[None]:
        with file_lock(self._lock_path(folder), PSA_LOCK_SECONDS, what):
            yield

    def abort_stale_uploads(self, folder: str) -> int:
        """Temporary files a killed publish left in this PSA's folder (call with its lock held)."""
        path = self._path(folder)
        count = 0
        for part in path.glob(".*.part") if path.is_dir() else []:
            part.unlink(missing_ok=True)
            count += 1
        return count


def _temporary(path: Path) -> Path:
    # Hidden and marked .part, so nothing that lists finished files mistakes it for one.
    return path.with_name(f".{path.name}.{unique_suffix()}.part")


def _fsync_dir(folder: Path) -> None:
    # The rename itself must survive a power loss, not just the file's bytes.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
