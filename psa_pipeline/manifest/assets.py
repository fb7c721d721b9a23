"""Where a manifest's file references point, kept inside the project (or the shared assets folder)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal, NamedTuple

from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.model import Manifest

SHARED_PREFIX = "asset:"


def find_assets_dir(project_dir: Path) -> Path | None:
    """The nearest `assets/` folder at or above the project folder."""
    for folder in (project_dir, *project_dir.resolve().parents):
        candidate = folder / "assets"
        if candidate.is_dir():
            return candidate
    return None


def resolve(reference: str, project_dir: Path, assets_dir: Path | None) -> Path:
    """The file a reference names; PsaError if it leaves its root folder or is malformed."""
    return Resolver(project_dir, assets_dir).resolve(reference)


class Resolver:
    """`resolve` for the several references of one manifest: each root folder's real path is looked up once.

    A no-op rebuild of a thousand PSAs resolves five or so files each; following every folder of
    the roots' paths through symlinks again for each file was a good part of its time.
    """

    def __init__(self, project_dir: Path, assets_dir: Path | None) -> None:
        self.project_dir = project_dir
        self.assets_dir = assets_dir
        self.real: dict[Path, Path] = {}

    def resolve(self, reference: str) -> Path:
        if reference.startswith(SHARED_PREFIX):
            if self.assets_dir is None:
                raise PsaError(f"'{reference}' names a shared asset, but no assets/ folder was found (use --assets)")
            return self._inside(reference[len(SHARED_PREFIX) :], self.assets_dir, "the shared assets folder", reference)
        return self._inside(reference, self.project_dir, "the project folder", reference)

    def _inside(self, relative: str, root: Path, root_name: str, shown: str) -> Path:
        real_root = self.real.get(root)
        if real_root is None:
            real_root = self.real[root] = root.resolve()
        return _inside(relative, root, real_root, root_name, shown)


def _inside(relative: str, root: Path, real_root: Path, root_name: str, shown: str) -> Path:
    if "\x00" in relative:
        raise PsaError("path contains a NUL character")
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute() or relative.startswith("~"):
        raise PsaError(f"'{shown}' is an absolute path; give a path relative to {root_name}")
    if "\\" in relative:
        raise PsaError(f"'{shown}' uses backslashes; write paths with forward slashes")
    if ".." in PurePosixPath(relative).parts:
        raise PsaError(f"'{shown}' uses '..' to leave {root_name}; copy the file into it instead")
    candidate = root / relative
    real = candidate.resolve()
    if real != real_root and real_root not in real.parents:
        raise PsaError(f"'{shown}' is a symlink leading out of {root_name} (to {real})")
    return candidate


class Reference(NamedTuple):
    """One file a manifest names: where in the YAML, what it says, what it must hold."""

    yaml_path: tuple[str | int, ...]
    value: str
    expects: Literal["video", "audio", "image", "subtitle"]


def references(manifest: Manifest) -> list[Reference]:
    refs: list[Reference] = []
    sources = manifest.sources
    if sources.video:
        refs.append(Reference(("sources", "video"), sources.video, "video"))
    if sources.audio:
        refs.append(Reference(("sources", "audio"), sources.audio, "audio"))
    if sources.multitrack:
        for group in ("voices", "music", "effects"):
            for i, track in enumerate(getattr(sources.multitrack, group)):
                refs.append(Reference(("sources", "multitrack", group, i, "file"), track.file, "audio"))
    for name in ("intro", "outro"):
        jingle = getattr(manifest.jingles, name)
        if jingle is not None:
            refs.append(Reference(("jingles", name, "file"), jingle.file, "audio"))
    for i, track in enumerate(manifest.subtitles.tracks):
        if track.file:
            refs.append(Reference(("subtitles", "tracks", i, "file"), track.file, "subtitle"))
    if manifest.end_card and manifest.end_card.logo:
        refs.append(Reference(("end_card", "logo"), manifest.end_card.logo, "image"))
    return refs
