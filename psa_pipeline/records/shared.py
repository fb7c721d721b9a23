"""`build/.shared/<key>.json`: a part several PSAs share, prepared once for the whole build folder.

Written beside the prepared file, after it (build/shared.py): a prepared file without its record,
or whose bytes no longer hash to the record's SHA-256, is prepared again, never trusted.
"""

from __future__ import annotations

from pydantic import Field

from psa_pipeline.records.base import Record


class SharedPartRecord(Record):
    KIND = "shared-part"
    VERSION = 1

    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Content hash of the file it was made from.")
    source: str = Field(description="Where that file was when it was prepared (for people; not part of the key).")
    conform: str = Field(description="The ffmpeg filter chain that made it.")
    ffmpeg: str = Field(description="First line of `ffmpeg -version` of the ffmpeg that made it.")
    file: str = Field(description="The prepared file's name, in the same folder.")
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
