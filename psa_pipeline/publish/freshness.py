"""Is `build/<id>` still what the manifest and its files make? Publish refuses a build made from older inputs."""

from __future__ import annotations

from pathlib import Path

from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.i18n import _
from psa_pipeline.publish.destinations import PublishError
from psa_pipeline.records.renditions import RenditionsRecord


class StaleBuildError(PublishError):
    """The build was made from inputs that have changed since."""


def check_fresh(manifest_file: Path, record: RenditionsRecord, build_dir: Path) -> None:
    """Compare every input's SHA-256 recorded at build time with the file as it is now."""
    if not record.inputs:
        raise StaleBuildError(
            _("{build} does not record what it was built from: run psa build {folder}").format(
                build=build_dir, folder=manifest_file.parent
            )
        )
    project = manifest_file.parent
    changed = []
    for name, digest in record.inputs.items():
        path = project / name  # absolute paths (shared assets outside the project) stay as they are
        try:
            same = sha256_file(path) == digest
        except OSError:
            same = False
        if not same:
            changed.append(name)
    if changed:
        raise StaleBuildError(
            _("{build} was made from an older {files}: run psa build {folder}").format(
                build=build_dir, files=" / ".join(changed), folder=manifest_file.parent
            )
        )


def check_built_files(record: RenditionsRecord, build_dir: Path) -> None:
    """Every file to upload is inside the build folder (no symlink out) and still has the bytes it was built with."""
    root = build_dir.resolve()
    for entry in record.renditions:
        for built in entry.files():
            local = build_dir / built.file
            if root not in local.resolve().parents:
                raise PublishError(
                    _("{file} leads outside {build}; run psa build again").format(file=local, build=build_dir)
                )
            if not local.is_file() or sha256_file(local) != built.sha256:
                raise PublishError(
                    _("{file} is missing or changed since it was built; run psa build again").format(file=local)
                )
