"""Bahasa Indonesia first: every message through gettext, the catalogues complete, current and shipped."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from helpers import ROOT, run_psa

from psa_pipeline.core import i18n

LOCALE = ROOT / "psa_pipeline" / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")


def _source_msgids() -> set[str | tuple[str, ...]]:
    """Every message in the package's source now, extracted the way `make i18n` does (with babel.cfg)."""
    found: set[str | tuple[str, ...]] = set()
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options = parse_mapping_cfg(handle)
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT / "psa_pipeline"), method_map, options):
        found.add(message)
    return found


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE / language / "LC_MESSAGES" / "psa.po").open("rb") as handle:
        return read_po(handle)


def test_the_catalogues_hold_exactly_the_messages_in_the_source() -> None:
    source = _source_msgids()
    assert len(source) > 50
    for language in i18n.LANGUAGES:
        catalogue = {m.id for m in _catalogue(language) if m.id}
        missing = source - catalogue
        stale = catalogue - source
        assert not missing, f"{language}: messages not in the catalogue (run `make i18n`, then translate): {missing}"
        assert not stale, f"{language}: catalogue messages no longer in the source (run `make i18n`): {stale}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_and_keeps_its_placeholders(language: str) -> None:
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, f"{language}: untranslated: {ids[0]!r}"
        wanted = sorted(set(PLACEHOLDER.findall(ids[0])))
        for text in strings:
            assert sorted(set(PLACEHOLDER.findall(text))) == wanted, f"{language}: placeholders differ in {text!r}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_compiled_catalogue_matches_its_po_file(language: str) -> None:
    with (LOCALE / language / "LC_MESSAGES" / "psa.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in _catalogue(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0], "run `make i18n`"
        else:
            assert compiled.gettext(message.id) == message.string, f"{language}: .mo out of date: run `make i18n`"


def test_a_normal_install_ships_the_compiled_catalogues(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "psa_pipeline", source / "psa_pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w",
         str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for language in i18n.LANGUAGES:
        assert f"psa_pipeline/locale/{language}/LC_MESSAGES/psa.mo" in names


def test_indonesian_is_the_default_then_psa_lang_then_lang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSA_LANG")
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("LANG", "C")
    missing = tmp_path / "nothing-here"
    missing.mkdir()
    indonesian = run_psa("validate", missing)
    assert "tidak ada psa.yaml" in indonesian.stderr
    monkeypatch.setenv("PSA_LANG", "en")
    assert "no psa.yaml found" in run_psa("validate", missing).stderr
    assert "tidak ada psa.yaml" in run_psa("--lang", "id", "validate", missing).stderr


def test_the_locale_chooses_when_nothing_else_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSA_LANG")
    monkeypatch.setattr(i18n.locale, "getlocale", lambda category=0: ("en_GB", "UTF-8"))
    assert i18n.current() == "en"
    monkeypatch.setattr(i18n.locale, "getlocale", lambda category=0: ("fr_FR", "UTF-8"))
    assert i18n.current() == "id"  # a language psa has no catalogue for: Indonesian, not English
    monkeypatch.setattr(i18n.locale, "getlocale", lambda category=0: ("English_United States", "1252"))
    assert i18n.current() == "en"  # as Windows names its locales


def test_validate_speaks_indonesian_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_LANG", "id")
    manifest = tmp_path / "psa.yaml"
    manifest.write_text('schema: 1\nid: tolak-pungli\ntitle "Tolak"\n', encoding="utf-8")
    result = run_psa("validate", manifest)
    assert result.code == 1
    assert "psa.yaml:3:6: kesalahan: tanda ':' hilang setelah 'title': tulis `title: \"Tolak\"`" in result.stdout
    assert "0 dari 1 manifest sah; 1 kesalahan, 0 peringatan" in result.stdout


def test_psa_init_writes_an_indonesian_manifest_that_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    data: dict[str, dict[str, object]] = {}
    for language, words in (
        ("id", "# Judul seperti yang dilihat masyarakat."),
        ("en", "# Title as the public sees it."),
    ):
        monkeypatch.setenv("PSA_LANG", language)
        for kind in ("video", "radio-drama"):
            folder = tmp_path / kind / language  # same folder name: same id in both languages
            assert run_psa("init", folder, "--kind", kind).code == 0
            text = (folder / "psa.yaml").read_text(encoding="utf-8")
            assert words in text
            data.setdefault(kind, {})[language] = yaml.safe_load(text)
    for kind, by_language in data.items():
        indonesian, english = by_language["id"], by_language["en"]
        assert isinstance(indonesian, dict) and isinstance(english, dict)
        indonesian.pop("id"), english.pop("id")
        assert indonesian == english, f"{kind}: only the comments may differ between the languages"


# Modules whose every user-facing message goes through gettext; a new English sentence in one of them
# fails here even before anyone runs `make i18n`.
THROUGH_GETTEXT = [
    "cli/__init__.py",
    "cli/approve.py",
    "cli/auth.py",
    "cli/batch.py",
    "cli/build.py",
    "cli/checks.py",
    "cli/common.py",
    "cli/crash.py",
    "cli/kits.py",
    "cli/main.py",
    "cli/publish.py",
    "cli/review.py",
    "cli/site.py",
    "cli/translated.py",
    "approval/gate.py",
    "approval/store.py",
    "batch/pictures.py",
    "batch/publish.py",
    "batch/run.py",
    "build/many.py",
    "build/one_psa.py",
    "build/plan.py",
    "build/video.py",
    "channels/config.py",
    "channels/destinations.py",
    "manifest/hints.py",
    "manifest/load.py",
    "manifest/rules.py",
    "manifest/scaffold.py",
    "manifest/syntax.py",
    "manifest/yamlsrc.py",
    "validation/across.py",
    "validation/channel_rules.py",
    "validation/files.py",
    "validation/formats.py",
    "publish/catalogue.py",
    "publish/folder.py",
    "publish/freshness.py",
    "publish/locks.py",
    "publish/publish.py",
    "publish/s3.py",
    "publish/transaction.py",
    "publish/verify.py",
    "recognise/catalogue.py",
    "recognise/credentials.py",
    "recognise/extract.py",
    "recognise/publishing.py",
]
MESSAGE_CALLS = frozenset({
    "Problem", "PsaError", "MediaError", "_fail", "add", "echo", "UsageError", "print", "note", "finish", "add_column",
    "ValueError", "PublishError", "StaleBuildError", "OwnershipError", "CatalogueUnreadable", "CatalogueError",
    "BuildError", "RenditionFailed", "ApprovalError", "NotApproved", "Refused", "Progress",
})  # fmt: skip
MESSAGE_NAMES = frozenset({
    "message", "fix", "where", "tail", "detail", "summary", "parts", "shown", "hint", "error", "reason", "what", "done",
})  # fmt: skip
WORDS = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}")


@pytest.mark.parametrize("module", THROUGH_GETTEXT)
def test_messages_in_translated_modules_are_never_bare_english(module: str) -> None:
    import ast

    source = (ROOT / "psa_pipeline" / module).read_text(encoding="utf-8")
    bare = []
    for node in ast.walk(ast.parse(source)):
        values: list[ast.expr] = []
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            values = list(node.args) if name in MESSAGE_CALLS else []
        elif isinstance(node, (ast.Assign, ast.AugAssign)):  # message = f"..." then add(message)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = {t.id for t in targets if isinstance(t, ast.Name)}
            values = [node.value] if named & MESSAGE_NAMES else []
        for arg in values:
            texts = [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []
            if isinstance(arg, ast.JoinedStr):
                texts = [v.value for v in arg.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            bare += [f"line {arg.lineno}: {text!r}" for text in texts if WORDS.search(text)]
    assert not bare, f"{module}: wrap these in _() and run `make i18n`: {bare}"


def test_the_audio_track_reason_is_remembered_as_a_key_and_said_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from psa_pipeline.media.probe import MediaInfo, Stream, choose_track, track_reason

    track, reason = choose_track([False, True], [False, False])
    streams = [Stream(i, "audio", "aac", 5.0, sample_rate=48000, channels=2) for i in range(2)]
    info = MediaInfo(Path("m.mp4"), "mov", 5.0, 1000, streams, audio_track=track, audio_reason=reason)
    assert reason == "default" and info.to_json()["audio_reason"] == "default"  # what the state file keeps
    monkeypatch.setenv("PSA_LANG", "id")
    assert track_reason(info) == "trek audio 2 dari 2: ditandai sebagai bawaan"
    monkeypatch.setenv("PSA_LANG", "en")
    assert track_reason(info) == "audio track 2 of 2: marked default"
    assert track_reason(MediaInfo(Path("v.mp4"), "mov", 5.0, 1000, [])) == ""
