"""Checks that tie several manifest fields together, and the reference lists (pure: model + positions -> problems)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Protocol

from psa_pipeline.core.problems import Problem, Severity
from psa_pipeline.manifest import provinces
from psa_pipeline.manifest.languages import LANGUAGES, MISTAKEN_CODES
from psa_pipeline.manifest.model import Approval, Manifest
from psa_pipeline.manifest.themes import THEMES
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath


class _Adder(Protocol):
    def __call__(self, severity: Severity, path: YamlPath, message: str, key: bool = False) -> None: ...


def check_rules(manifest: Manifest, positions: Positions) -> list[Problem]:
    """Rules of the manifest alone; those that depend on the channel profiles are in validation/channel_rules.py."""
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
        if channel in seen_channels:
            add("warning", ("channels", i), f"channel '{channel}' is listed twice")
        seen_channels.add(channel)
    _check_themes(manifest, add)
    _check_province(manifest, add)
    _check_placeholders(manifest, add)
    _check_schedule(manifest, add)

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
    if makes_video and manifest.end_card is None:
        add("warning", (), "no `end_card`: video renditions will end without a call to action (e.g. SP4N-LAPOR!)")
    if manifest.approval is None:
        add("warning", (), "no `approval` block yet: `psa publish` will refuse this PSA until it is approved")
    else:
        _check_approval(manifest.approval, add)
    return problems


def _check_themes(manifest: Manifest, add: _Adder) -> None:
    for i, theme in enumerate(manifest.themes):
        if theme not in THEMES:
            hint = difflib.get_close_matches(theme, list(THEMES), n=1)
            tail = f"did you mean '{hint[0]}'? " if hint else ""
            add("error", ("themes", i), f"unknown theme '{theme}'; {tail}themes: {', '.join(THEMES)}")


def _check_province(manifest: Manifest, add: _Adder) -> None:
    province = manifest.agency.province
    if province in provinces.PROVINCES:
        return
    hint = provinces.suggestion(province)
    fix = f"write '{hint}'" if hint else "write the official name of one of Indonesia's 38 provinces (see README)"
    add("error", ("agency", "province"), f"'{province}' is not the official name of a province: {fix}")


# What people type before the real name is known ("Nama Pejabat" is what `psa init` suggests).
_PLACEHOLDERS = frozenset(
    {"nama", "nama pejabat", "nama lengkap", "name", "jabatan", "role", "tbd", "tba", "todo", "tbc", "xxx",
     "n a", "na", "belum", "belum ada", "kosong", "isi", "diisi", "isi nama", "contoh", "test", "tes", "placeholder",
     "pejabat", "kepala", "nama kepala dinas", "lorem ipsum", "judul", "judul psa", "nama instansi", "nama dinas",
     "nama badan", "instansi", "dinas", "kode", "kode instansi", "teks", "isi teks"}
)  # fmt: skip


def is_placeholder(value: str) -> bool:
    words = " ".join(re.sub(r"[^\w]+", " ", value.lower()).split())
    return not words or words in _PLACEHOLDERS or re.fullmatch(r"x+|_+|\?+|0+", words.replace(" ", "")) is not None


def _check_placeholders(manifest: Manifest, add: _Adder) -> None:
    texts: list[tuple[YamlPath, str, str]] = [
        (("title",), manifest.title, "the PSA's title as the public sees it"),
        (("agency", "name"), manifest.agency.name, "the agency's full name, as on the end card"),
        (("agency", "code"), manifest.agency.code, "the agency's short code, e.g. BAPENDA-KALTENG"),
    ]
    if manifest.end_card is not None:
        texts.append((("end_card", "text"), manifest.end_card.text, "the call to action, e.g. SMS 1708"))
    for path, value, what in texts:
        if is_placeholder(value):
            add("error", path, f"'{value}' is a placeholder: write {what}")


def _check_approval(approval: Approval, add: _Adder) -> None:
    if is_placeholder(approval.approved_by):
        add("error", ("approval", "approved_by"),
            f"'{approval.approved_by}' is a placeholder: write the name of the official who approved this PSA, "
            "or remove the `approval` block until it is approved")  # fmt: skip
    if is_placeholder(approval.role):
        message = f"'{approval.role}' is a placeholder: write the approver's position, e.g. Kepala Dinas Kominfo"
        add("error", ("approval", "role"), message)
    if approval.date > dt.date.today():
        message = f"approval date {approval.date} is in the future: write the date it was approved"
        add("warning", ("approval", "date"), message + " (an error with --strict)")


def _check_schedule(manifest: Manifest, add: _Adder) -> None:
    now = dt.datetime.now(dt.UTC)
    if manifest.publish_at and manifest.expires and manifest.expires <= manifest.publish_at:
        add("error", ("expires",), "`expires` must be after `publish_at`: the PSA would never be listed")
    elif manifest.expires and manifest.expires <= now:
        add("error", ("expires",), f"`expires` {manifest.expires.isoformat()} has passed: psa publish would refuse "
            "this PSA; set a later time or remove `expires`")  # fmt: skip
    if manifest.publish_at and manifest.publish_at <= now:
        add("warning", ("publish_at",), f"`publish_at` {manifest.publish_at.isoformat()} has passed: psa publish "
            "publishes at once; remove it, or set a later time to hold the PSA until then")  # fmt: skip


def _check_language(code: str, path: YamlPath, add: _Adder) -> None:
    if code in MISTAKEN_CODES:
        add("error", path, MISTAKEN_CODES[code])
    elif code not in LANGUAGES:
        add("warning", path, f"'{code}' is not a language psa-pipeline knows; check it in the ISO 639-3 table")
