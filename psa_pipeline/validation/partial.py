"""The checks that still run on a manifest whose schema check failed: every problem in one run.

A misspelt key or a bad date elsewhere must not hide a missing media file or an overlapping cue
until the next round. What the broken part feeds (the kind, the channels, durations from probed
media) is not checked until it is fixed; what stands on its own is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from psa_pipeline.core.problems import Problem
from psa_pipeline.manifest.model import Subtitles
from psa_pipeline.manifest.yamlsrc import Positions
from psa_pipeline.validation.cues import cue_problems
from psa_pipeline.validation.files import raw_files


def run(
    data: dict[str, Any], positions: Positions, project_dir: Path, assets_dir: Path | None
) -> tuple[list[str], list[Problem]]:
    """(checks run, problems): the named files, and the subtitle tracks when the `subtitles:` block is valid."""
    checks = ["assets"]
    found, file_problems = raw_files(data, positions, project_dir, assets_dir)
    try:
        block = Subtitles.model_validate(data.get("subtitles", {}))
    except ValidationError:
        return checks, file_problems  # the schema check has reported what is wrong in it
    spoken = data.get("language")
    subtitle_checks, subtitle_problems = cue_problems(
        block, found, positions, None, spoken if isinstance(spoken, str) else ""
    )
    return checks + subtitle_checks, file_problems + subtitle_problems
