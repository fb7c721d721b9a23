"""Subtitle checks per language track: read the cues (file or inline), then readability and timing."""

from __future__ import annotations

from pathlib import Path

from psa_pipeline.core.problems import Location, Problem, PsaError
from psa_pipeline.manifest.model import Subtitles
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath
from psa_pipeline.media import subtitles
from psa_pipeline.media.glyphs import missing_glyphs


def cue_problems(
    block: Subtitles, found: dict[YamlPath, Path], positions: Positions, content: float | None, spoken: str
) -> tuple[list[str], list[Problem]]:
    """The checks run (`subtitles:<lang>`) and their problems. `found` holds the subtitle files that exist;
    a track whose file is missing is skipped (the assets check reports it). `content` None: the media's
    length is unknown, so cues are not checked against it. `spoken`: the PSA's language."""
    # Languages that may be burned into a picture: chosen per channel, else the spoken language.
    burned = {*block.burn_in.values(), spoken}
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
            problems.append(Problem("error", check, exc.message, exc.location or positions.of_value(path_key)))
            continue
        problems.extend(subtitles.check_cues(cues, block.rules, content, check))
        if track.lang in burned:
            problems.extend(_glyph_problems(cues, check))
    return checks, problems


def _glyph_problems(cues: list[subtitles.TimedCue], check: str) -> list[Problem]:
    problems = []
    for cue in cues:
        missing = missing_glyphs(cue.plain)
        if missing:
            message = (
                f"cue {cue.number} has {' '.join(missing)}, which no installed font can draw: burned into the "
                "picture it would show as a box; remove it or write it in words"
            )
            problems.append(Problem("error", check, message, cue.location))
    return problems
