"""Subtitle checks per language track: read the cues (file or inline), then readability and timing."""

from __future__ import annotations

from pathlib import Path

from psa_pipeline.core.problems import Location, Problem, PsaError
from psa_pipeline.manifest.model import Subtitles
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath
from psa_pipeline.media import subtitles


def cue_problems(
    block: Subtitles, found: dict[YamlPath, Path], positions: Positions, content: float | None
) -> tuple[list[str], list[Problem]]:
    """The checks run (`subtitles:<lang>`) and their problems. `found` holds the subtitle files that exist;
    a track whose file is missing is skipped (the assets check reports it). `content` None: the media's
    length is unknown, so cues are not checked against it."""
    checks: list[str] = []
    problems: list[Problem] = []
    for i, track in enumerate(block.tracks):
        check = f"subtitles:{track.lang}"
        checks.append(check)
        path_key: YamlPath = ("subtitles", "tracks", i, "file")
        if track.file is not None and path_key not in found:
            continue

        def inline(j: int, i: int = i) -> Location:
            return positions.of_value(("subtitles", "tracks", i, "cues", j))

        try:
            cues = subtitles.read_cues(track, found.get(path_key), inline)
        except PsaError as exc:
            problems.append(Problem("error", check, exc.message, positions.of_value(path_key)))
            continue
        problems.extend(subtitles.check_cues(cues, block.rules, content, check))
    return checks, problems
