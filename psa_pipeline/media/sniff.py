"""Files that are not media at all, recognised from their first bytes before ffprobe sees them.

ffprobe's own words for these ("Invalid data found when processing input", "moov atom not
found") tell a media team nothing; each kind here gets a reason and a fix instead.
"""

from __future__ import annotations

from pathlib import Path

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import MediaError

HEAD_BYTES = 512
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def refuse_non_media(path: Path) -> None:
    """MediaError if `path` is empty, a Git LFS pointer, or a text file; else nothing."""
    size = path.stat().st_size
    if size == 0:
        raise MediaError(_("{path}: the file is empty (0 bytes); export or copy it again").format(path=path))
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith(LFS_POINTER):
        raise MediaError(
            _(
                "{path}: this is a Git LFS pointer ({size} bytes), not the media itself; "
                "run `git lfs pull` to fetch the real file"
            ).format(path=path, size=size)
        )
    if _looks_like_text(head):
        first = head.decode("utf-8", "replace").strip().splitlines()[0][:60] if head.strip() else ""
        raise MediaError(
            _(
                "{path}: this is a text file (it starts with {first}), not audio or video; "
                "put the exported media file here"
            ).format(path=path, first=repr(first))
        )


def _looks_like_text(head: bytes) -> bool:
    # Every media container starts with binary magic; plain text has no control bytes besides whitespace.
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the sample is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
