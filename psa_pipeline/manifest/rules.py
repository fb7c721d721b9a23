"""Checks that tie several manifest fields together, and the reference lists (pure: model + positions -> problems)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Protocol

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Problem, Severity
from psa_pipeline.manifest import hints, provinces
from psa_pipeline.manifest.languages import LANGUAGES
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
            add("error", ("sources",), _("a video PSA needs `sources.video`"))
        for extra in ("audio", "multitrack"):
            if getattr(sources, extra) is not None:
                message = _("a video PSA takes its sound from the video; remove `{key}`").format(key=extra)
                add("error", ("sources", extra), message, True)
        if manifest.audiogram:
            add("warning", ("audiogram",), _("`audiogram` only applies to radio dramas; it is ignored here"), True)
    else:
        if sources.video:
            message = _("a radio drama has no video source; use `audio` or `multitrack`")
            add("error", ("sources", "video"), message, True)
        if (sources.audio is None) == (sources.multitrack is None):
            add("error", ("sources",), _("a radio drama needs exactly one of `sources.audio` or `sources.multitrack`"))

    seen_channels: set[str] = set()
    for i, channel in enumerate(manifest.channels):
        if channel in seen_channels:
            add("warning", ("channels", i), _("channel '{channel}' is listed twice").format(channel=channel))
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
                _("a second subtitle track for '{lang}' (first is track {first})").format(
                    lang=track.lang, first=languages[track.lang] + 1
                ),
            )
        languages.setdefault(track.lang, i)
        if (track.file is None) == (track.cues is None):
            add("error", track_path, _("a subtitle track needs exactly one of `file:` or `cues:`"))

    for channel, lang in manifest.subtitles.burn_in.items():
        burn_path: YamlPath = ("subtitles", "burn_in", channel)
        if channel not in manifest.channels:
            message = _("burn_in names channel '{channel}', which is not in `channels`").format(channel=channel)
            add("error", burn_path, message, True)
        if lang not in languages:
            have = ", ".join(languages) or _("none")
            message = _("burned-in language '{lang}' has no subtitle track (tracks: {have})").format(
                lang=lang, have=have
            )
            add("error", burn_path, message)
    makes_video = manifest.kind == "video" or manifest.audiogram
    if makes_video and manifest.end_card is None:
        add("warning", (), _("no `end_card`: video renditions will end without a call to action (e.g. SP4N-LAPOR!)"))
    if manifest.approval is None:
        add("warning", (), _("no `approval` block yet: `psa publish` will refuse this PSA until it is approved"))
    else:
        _check_approval(manifest.approval, add)
    return problems


def _check_themes(manifest: Manifest, add: _Adder) -> None:
    for i, theme in enumerate(manifest.themes):
        if theme not in THEMES:
            hint = difflib.get_close_matches(theme, list(THEMES), n=1)
            known = ", ".join(THEMES)
            if hint:
                message = _("unknown theme '{theme}'; did you mean '{hint}'? themes: {themes}")
            else:
                message = _("unknown theme '{theme}'; themes: {themes}")
            add("error", ("themes", i), message.format(theme=theme, hint=hint[0] if hint else "", themes=known))


def _check_province(manifest: Manifest, add: _Adder) -> None:
    province = manifest.agency.province
    if province in provinces.PROVINCES:
        return
    hint = provinces.suggestion(province)
    if hint:
        fix = _("write '{name}'").format(name=hint)
    else:
        fix = _("write the official name of one of Indonesia's 38 provinces (see README)")
    message = _("'{province}' is not the official name of a province: {fix}").format(province=province, fix=fix)
    add("error", ("agency", "province"), message)


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
        (("title",), manifest.title, _("the PSA's title as the public sees it")),
        (("agency", "name"), manifest.agency.name, _("the agency's full name, as on the end card")),
        (("agency", "code"), manifest.agency.code, _("the agency's short code, e.g. BAPENDA-KALTENG")),
    ]
    if manifest.end_card is not None:
        texts.append((("end_card", "text"), manifest.end_card.text, _("the call to action, e.g. SMS 1708")))
    for path, value, what in texts:
        if is_placeholder(value):
            add("error", path, _("'{value}' is a placeholder: write {what}").format(value=value, what=what))


def _check_approval(approval: Approval, add: _Adder) -> None:
    if is_placeholder(approval.approved_by):
        add("error", ("approval", "approved_by"),
            _("'{value}' is a placeholder: write the name of the official who approved this PSA, "
              "or remove the `approval` block until it is approved").format(value=approval.approved_by))  # fmt: skip
    if is_placeholder(approval.role):
        message = _("'{value}' is a placeholder: write the approver's position, e.g. Kepala Dinas Kominfo").format(
            value=approval.role
        )
        add("error", ("approval", "role"), message)
    if approval.date > dt.date.today():
        message = _("approval date {date} is in the future: write the date it was approved (an error with --strict)")
        add("warning", ("approval", "date"), message.format(date=approval.date))


def _check_schedule(manifest: Manifest, add: _Adder) -> None:
    now = dt.datetime.now(dt.UTC)
    if manifest.publish_at and manifest.expires and manifest.expires <= manifest.publish_at:
        add("error", ("expires",), _("`expires` must be after `publish_at`: the PSA would never be listed"))
    elif manifest.expires and manifest.expires <= now:
        message = _(
            "`expires` {when} has passed: psa publish would refuse this PSA; set a later time or remove `expires`"
        )
        add("error", ("expires",), message.format(when=manifest.expires.isoformat()))
    if manifest.publish_at and manifest.publish_at <= now:
        message = _("`publish_at` {when} has passed: psa publish publishes at once; remove it, or set a later time "
                    "to hold the PSA until then")  # fmt: skip
        add("warning", ("publish_at",), message.format(when=manifest.publish_at.isoformat()))


def _check_language(code: str, path: YamlPath, add: _Adder) -> None:
    if code in hints.MISTAKEN_CODES:
        add("error", path, hints.mistaken(code))
    elif code not in LANGUAGES:
        near = difflib.get_close_matches(code, list(LANGUAGES), n=1, cutoff=0.6)
        if near:
            message = _("'{code}' is not a language psa-pipeline knows; did you mean {hint} ({name})?").format(
                code=code, hint=near[0], name=LANGUAGES[near[0]].local_name
            )
        else:
            message = _("'{code}' is not a language psa-pipeline knows; check it in the ISO 639-3 table").format(
                code=code
            )
        add("warning", path, message)
