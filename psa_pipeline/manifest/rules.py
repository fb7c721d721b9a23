"""Checks that tie several manifest fields together (pure: model + positions -> problems)."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection
from typing import Protocol

from psa_pipeline.core.problems import Problem, Severity
from psa_pipeline.manifest.languages import LANGUAGES, MISTAKEN_CODES
from psa_pipeline.manifest.model import VIDEO_ONLY_CHANNELS, Manifest
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath

# Channels whose renditions carry captions in the picture.
BURN_IN_CHANNELS = frozenset({"social", "whatsapp"})


class _Adder(Protocol):
    def __call__(self, severity: Severity, path: YamlPath, message: str, key: bool = False) -> None: ...


def check_rules(manifest: Manifest, positions: Positions, known_channels: Collection[str]) -> list[Problem]:
    problems: list[Problem] = []

    def add(severity: Severity, path: YamlPath, message: str, key: bool = False) -> None:
        where = positions.of_key(path) if key else positions.of_value(path)
        problems.append(Problem(severity, "rules", message, where))

    sources = manifest.sources
    if manifest.kind == "video":
        if not sources.video:
            add("error", ("sources",), "a video PSA needs `sources.video`")
        for extra in ("audio", "multitrack"):
            if getattr(sources, extra) is not None:
                add("error", ("sources", extra), f"a video PSA takes its sound from the video; remove `{extra}`", True)
        if manifest.audiogram:
            add("warning", ("audiogram",), "`audiogram` only applies to radio dramas; it is ignored here", True)
    else:
        if sources.video:
            add("error", ("sources", "video"), "a radio drama has no video source; use `audio` or `multitrack`", True)
        if (sources.audio is None) == (sources.multitrack is None):
            add("error", ("sources",), "a radio drama needs exactly one of `sources.audio` or `sources.multitrack`")

    seen_channels: set[str] = set()
    for i, channel in enumerate(manifest.channels):
        path: YamlPath = ("channels", i)
        if channel in seen_channels:
            add("warning", path, f"channel '{channel}' is listed twice")
        seen_channels.add(channel)
        if channel not in known_channels:
            hint = difflib.get_close_matches(channel, list(known_channels), n=1)
            tail = f"; did you mean '{hint[0]}'?" if hint else f"; known channels: {', '.join(sorted(known_channels))}"
            add("error", path, f"unknown channel '{channel}'{tail}")
        elif manifest.kind == "radio-drama" and channel in VIDEO_ONLY_CHANNELS and not manifest.audiogram:
            add(
                "error",
                path,
                f"a radio drama cannot go to the video channel '{channel}' unless `audiogram: true` is set",
            )

    _check_language(manifest.language, ("language",), add)
    languages: dict[str, int] = {}
    for i, track in enumerate(manifest.subtitles.tracks):
        track_path: YamlPath = ("subtitles", "tracks", i)
        _check_language(track.lang, (*track_path, "lang"), add)
        if track.lang in languages:
            add(
                "error",
                (*track_path, "lang"),
                f"a second subtitle track for '{track.lang}' (first is track {languages[track.lang] + 1})",
            )
        languages.setdefault(track.lang, i)
        if (track.file is None) == (track.cues is None):
            add("error", track_path, "a subtitle track needs exactly one of `file:` or `cues:`")

    for channel, lang in manifest.subtitles.burn_in.items():
        burn_path: YamlPath = ("subtitles", "burn_in", channel)
        if channel not in manifest.channels:
            add("error", burn_path, f"burn_in names channel '{channel}', which is not in `channels`", True)
        if lang not in languages:
            have = ", ".join(languages) or "none"
            add("error", burn_path, f"burned-in language '{lang}' has no subtitle track (tracks: {have})")
    makes_video = manifest.kind == "video" or manifest.audiogram
    for channel in sorted(BURN_IN_CHANNELS & set(manifest.channels)):
        if makes_video and channel not in manifest.subtitles.burn_in and manifest.language not in languages:
            add(
                "warning",
                ("subtitles",) if manifest.subtitles.tracks else ("channels",),
                f"channel '{channel}' shows captions in the picture, but there is no `burn_in` entry for it "
                f"and no track in the spoken language '{manifest.language}': it will have no captions",
            )

    if makes_video and manifest.end_card is None:
        add("warning", (), "no `end_card`: video renditions will end without a call to action (e.g. SP4N-LAPOR!)")
    if manifest.approval is None:
        add("warning", (), "no `approval` block yet: `psa publish` will refuse this PSA until it is approved")
    elif manifest.approval.date > dt.date.today():
        add("warning", ("approval", "date"), f"approval date {manifest.approval.date} is in the future")
    return problems


def _check_language(code: str, path: YamlPath, add: _Adder) -> None:
    if code in MISTAKEN_CODES:
        add("error", path, MISTAKEN_CODES[code])
    elif code not in LANGUAGES:
        add("warning", path, f"'{code}' is not a language psa-pipeline knows; check it in the ISO 639-3 table")
