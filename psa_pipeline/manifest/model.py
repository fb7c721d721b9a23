"""The PSA manifest, schema v1: what an agency writes in `psa.yaml`.

Pydantic checks the shape; rules that tie several fields together (kind vs
sources, burned-in language vs tracks, slot length) live in `rules.py`, where
each problem can point at its own YAML location.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from psa_pipeline.manifest import provinces
from psa_pipeline.manifest.themes import THEMES

SCHEMA_VERSION = 1

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=3, max_length=80),
]
LangCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{3}$")]
# Limits on free text, refused at validate rather than by a platform at publish time. Titles:
# YouTube's 100-character title limit, the strictest of the channels'. Names and roles: a long
# line on the end card and in ID3/MP4 tags. Province: the longest official name ("Kepulauan
# Bangka Belitung") with a "Provinsi" prefix, and room to spare.
TITLE_MAX = 100
NAME_MAX = 120
PROVINCE_MAX = 40
CARD_TEXT_MAX = 160
LABEL_MAX = 60
CUE_TEXT_MAX = 300


def _text(limit: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=limit)


Title = Annotated[str, _text(TITLE_MAX)]
Name = Annotated[str, _text(NAME_MAX)]
CardText = Annotated[str, _text(CARD_TEXT_MAX)]
Label = Annotated[str, _text(LABEL_MAX)]
CueText = Annotated[str, _text(CUE_TEXT_MAX)]
Province = Annotated[
    str,
    _text(PROVINCE_MAX),
    AfterValidator(provinces.canonical),
]
Word = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]


def _folded(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# "Pungli" and " pungli" are the theme pungli, "Social" the channel social: case is not worth an error.
FoldedWord = Annotated[Word, BeforeValidator(_folded)]
# A path relative to the project folder, or `asset:<path>` inside the shared assets folder.
AssetPath = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Seconds = Annotated[float, Field(ge=0, le=3600)]
Gain = Annotated[float, Field(ge=-60, le=24)]


def _with_zone(value: dt.datetime) -> dt.datetime:
    # Indonesia spans three time zones: a time without one would embargo a PSA an hour or two off.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a time zone, e.g. 2026-12-10T08:00:00+07:00 (WIB), +08:00 (WITA) or +09:00 (WIT)")
    return value


# Schedules: a date and time with its zone (YAML `2026-12-10 08:00:00+07:00` or ISO 8601 in quotes).
ZonedTime = Annotated[dt.datetime, AfterValidator(_with_zone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(Strict):
    name: Name = Field(description=f"Full agency name, as on the end card (at most {NAME_MAX} characters).")
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")] = Field(
        description="Short code, e.g. BAPENDA-KALTENG; used in storage keys."
    )
    province: Province = Field(
        description="One of Indonesia's 38 provinces, official name, e.g. Kalimantan Tengah (not Kalteng)."
    )


class Track(Strict):
    file: AssetPath = Field(description="Audio file of this track.")
    start: Seconds = Field(0.0, description="Where the track starts in the mix, in seconds.")
    gain_db: Gain = Field(0.0, description="Gain applied to the track, in dB.")


class MusicTrack(Track):
    gain_db: Gain = Field(-6.0, description="Gain applied to the music bed, in dB.")
    duck_db: Annotated[float, Field(ge=0, le=40)] = Field(
        12.0, description="How far the music dips while a voice speaks, in dB."
    )


class Multitrack(Strict):
    voices: list[Track] = Field(min_length=1, description="Voice tracks (dialogue, narration).")
    music: list[MusicTrack] = Field(default_factory=list, description="Music beds, ducked under voices.")
    effects: list[Track] = Field(default_factory=list, description="Sound effects at their offsets.")


class Sources(Strict):
    video: AssetPath | None = Field(None, description="Main video file (kind: video).")
    audio: AssetPath | None = Field(None, description="One mixed audio file (kind: radio-drama).")
    multitrack: Multitrack | None = Field(None, description="Separate tracks to mix (kind: radio-drama).")
    audio_track: Annotated[int, Field(ge=1, le=32)] | None = Field(
        None,
        description="Which audio track of the video or audio file to use, counting from 1; by default the one "
        "marked default, else the first that is not silent (`psa probe` shows which).",
    )


class Jingle(Strict):
    file: AssetPath = Field(description="Jingle audio (or video) file; `asset:jingles/...` for shared ones.")
    crossfade: Annotated[float, Field(ge=0, le=10)] = Field(
        0.0, description="Seconds the jingle overlaps the content (crossfade)."
    )
    gap: Annotated[float, Field(ge=0, le=10)] = Field(
        0.0, description="Seconds of silence between jingle and content (if no crossfade)."
    )


class Jingles(Strict):
    intro: Jingle | None = None
    outro: Jingle | None = None


class Cue(Strict):
    start: Seconds
    end: Seconds
    text: CueText


class SubtitleTrack(Strict):
    lang: LangCode = Field(description="ISO 639-3 code: ind, nij (Dayak Ngaju), bjn (Banjar), vkt, mui, ...")
    label: Label | None = Field(None, description="Human track title; defaults to the language name.")
    file: AssetPath | None = Field(None, description="SRT or WebVTT file, timed against the content.")
    cues: list[Cue] | None = Field(None, description="Inline cues instead of a file.")


class SubtitleRules(Strict):
    """Readability thresholds; defaults follow the Netflix / BBC guides."""

    max_lines: int = Field(2, ge=1, le=5)
    max_chars_per_line: int = Field(42, ge=10, le=120)
    max_chars_per_second: float = Field(17.0, gt=0, le=60)
    min_duration: float = Field(5 / 6, ge=0, le=10)
    max_duration: float = Field(7.0, gt=0, le=60)
    min_gap: float = Field(2 / 25, ge=0, le=5, description="Minimum gap between cues (2 frames at 25 fps).")


class Subtitles(Strict):
    tracks: list[SubtitleTrack] = Field(default_factory=list)
    burn_in: dict[str, LangCode] = Field(
        default_factory=dict,
        description="Channel -> language burned into the picture, e.g. {social: nij}.",
    )
    rules: SubtitleRules = Field(default_factory=lambda: SubtitleRules())


class EndCard(Strict):
    text: CardText = Field(description="Call to action, e.g. 'Laporkan pungli: www.lapor.go.id / SMS 1708'.")
    duration: Annotated[float, Field(ge=1, le=15)] = 4.0
    logo: AssetPath | None = Field(None, description="PNG or JPEG logo shown above the text.")


class Approval(Strict):
    approved_by: Name = Field(description="Name of the official who approved the PSA.")
    role: Name = Field(description="Their position, e.g. Kepala Dinas Kominfo.")
    date: dt.date = Field(description="Date of approval (not in the future).")


class Manifest(Strict):
    schema_version: Literal[1] = Field(1, alias="schema", description="Manifest schema version.")
    id: Slug = Field(description="Lowercase slug, unique across all PSAs: letters, digits, hyphens.")
    title: Title = Field(description=f"Title of the PSA (at most {TITLE_MAX} characters: YouTube's limit).")
    agency: Agency
    kind: Literal["radio-drama", "video"]
    themes: list[FoldedWord] = Field(min_length=1, max_length=8, description=f"One or more of: {', '.join(THEMES)}.")
    language: LangCode = Field(description="Primary spoken language, ISO 639-3.")
    year: int | None = Field(None, ge=2000, le=2100, description="Production year; defaults to the approval year.")
    sources: Sources
    jingles: Jingles = Field(default_factory=lambda: Jingles())
    subtitles: Subtitles = Field(default_factory=lambda: Subtitles())
    end_card: EndCard | None = None
    channels: list[FoldedWord] = Field(
        min_length=1, max_length=30, description="Channel profiles (built-in or from channels.yaml) to render for."
    )
    slot: Annotated[float, Field(gt=0, le=600)] | None = Field(
        None, description="Broadcast spot length in seconds (e.g. 30, 60); the whole PSA must fit."
    )
    audiogram: bool = Field(False, description="Radio drama: make a video (still card + waveform) for video channels.")
    approval: Approval | None = None
    publish_at: ZonedTime | None = Field(
        None,
        description="Embargo: not published before this time (with its zone, e.g. 2026-12-10T08:00:00+07:00); "
        "psa publish holds the PSA until then and `psa batch publish` picks it up when it is due.",
    )
    expires: ZonedTime | None = Field(
        None, description="From this time the public site and podcast feeds no longer list the PSA (files stay)."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def json_schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    # Editors offer the known themes and provinces; validate explains anything else (did you mean).
    properties: dict[str, Any] = schema["properties"]
    properties["themes"]["items"]["examples"] = list(THEMES)
    schema["$defs"]["Agency"]["properties"]["province"]["examples"] = list(provinces.PROVINCES)
    schema["title"] = f"psa-pipeline manifest (psa.yaml), schema v{SCHEMA_VERSION}"
    return schema
