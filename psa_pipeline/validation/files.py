"""Is the file a manifest names there, and is it the media: path safety, existence, Git LFS pointers.

These checks need only the reference's text, so they also run on a manifest whose schema check
failed elsewhere: a missing file is reported in the same run as a misspelt key, not the round after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Location, Problem, PsaError
from psa_pipeline.manifest import assets
from psa_pipeline.manifest.assets import Reference
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath

# The first line of every Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
LFS_MAGIC = b"version https://git-lfs.github.com/spec/"
LFS_POINTER_MAX = 1024  # pointers are ~130 bytes; real media never starts with the magic line


def is_lfs_pointer(path: Path) -> bool:
    try:
        if path.stat().st_size > LFS_POINTER_MAX:
            return False
        with path.open("rb") as handle:
            return handle.read(len(LFS_MAGIC)) == LFS_MAGIC
    except OSError:
        return False


def locate(ref: Reference, project_dir: Path, assets_dir: Path | None, where: Location) -> Path | Problem:
    """The file `ref` names, or the problem that keeps it from being used."""
    try:
        path = assets.resolve(ref.value, project_dir, assets_dir)
    except PsaError as exc:
        return Problem("error", "assets", exc.message, where)
    if not path.is_file():
        if path.is_dir():
            message = _("'{value}' is a folder, not a file ({path})")
        else:
            message = _("'{value}' does not exist ({path})")
        return Problem("error", "assets", message.format(value=ref.value, path=path), where)
    if is_lfs_pointer(path):
        message = _(
            "'{value}' is a Git LFS pointer, not the media itself: run `git lfs pull` in the repository "
            "(in CI: check out with LFS enabled)"
        )
        return Problem("error", "assets", message.format(value=ref.value), where)
    return path


# Where a manifest names files, by YAML path, and what each must hold; `*` is every item of a list.
Expects = Literal["video", "audio", "image", "subtitle"]
_RAW_PATHS: tuple[tuple[YamlPath, Expects], ...] = (
    (("sources", "video"), "video"),
    (("sources", "audio"), "audio"),
    (("sources", "multitrack", "voices", "*", "file"), "audio"),
    (("sources", "multitrack", "music", "*", "file"), "audio"),
    (("sources", "multitrack", "effects", "*", "file"), "audio"),
    (("jingles", "intro", "file"), "audio"),
    (("jingles", "outro", "file"), "audio"),
    (("subtitles", "tracks", "*", "file"), "subtitle"),
    (("end_card", "logo"), "image"),
)


def raw_references(data: dict[str, Any]) -> list[Reference]:
    """The file references of a manifest that did not pass the schema check, read from its plain data."""
    found: list[Reference] = []
    for pattern, expects in _RAW_PATHS:
        for path, value in _walk(data, pattern, ()):
            if isinstance(value, str) and value.strip():
                found.append(Reference(path, value.strip(), expects))
    return found


def _walk(node: Any, pattern: YamlPath, path: YamlPath) -> list[tuple[YamlPath, Any]]:
    if not pattern:
        return [(path, node)]
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if not isinstance(node, list):
            return []
        return [found for i, item in enumerate(node) for found in _walk(item, rest, (*path, i))]
    if not isinstance(node, dict) or head not in node:
        return []
    return _walk(node[head], rest, (*path, head))


def raw_files(
    data: dict[str, Any], positions: Positions, project_dir: Path, assets_dir: Path | None
) -> tuple[dict[YamlPath, Path], list[Problem]]:
    """The files a schema-broken manifest names that are there, and the problems of those that are not."""
    found: dict[YamlPath, Path] = {}
    problems: list[Problem] = []
    for ref in raw_references(data):
        located = locate(ref, project_dir, assets_dir, positions.of_value(ref.yaml_path))
        if isinstance(located, Problem):
            problems.append(located)
        else:
            found[ref.yaml_path] = located
    return found, problems
