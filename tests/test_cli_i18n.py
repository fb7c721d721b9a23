"""`psa --help` of every command, and what psa and Click say on the terminal, in Bahasa Indonesia and in English."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fakebuild import fake_psa
from helpers import run_psa

from psa_pipeline.cli.main import main
from psa_pipeline.core import i18n

# Texts that read the same in both languages; none so far (command names and metavars are not translated texts).
SAME_IN_BOTH: frozenset[str] = frozenset()


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(main))


def _words(text: str) -> str:
    return " ".join(text.split())


def _help(path: tuple[str, ...], language: str) -> str:
    i18n.choose(language)
    try:
        result = CliRunner().invoke(main, [*path, "--help"], prog_name="psa", terminal_width=100)
    finally:
        i18n.choose(None)
    assert result.exit_code == 0, result.output
    return result.output


def _opening(text: str, words: int = 6) -> str:
    """The first words of a text: the rest may be wrapped anywhere, even inside a word with a hyphen."""
    return " ".join(text.split()[:words])


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _command in COMMANDS}
    assert {"", "build", "publish", "batch run", "batch publish", "review serve", "auth youtube", "verify"} <= names


@pytest.mark.parametrize("path", [path for path, _command in COMMANDS], ids=lambda path: " ".join(path) or "psa")
def test_help_is_indonesian_by_default_with_every_text_translated(path: tuple[str, ...]) -> None:
    command = dict(COMMANDS)[path]
    indonesian = i18n._translations("id")
    shown = _help(path, "id")
    flat = _words(shown)
    assert shown.startswith("Penggunaan: psa"), shown
    assert "Opsi:" in shown and "Options:" not in shown and "Usage:" not in shown
    assert "Tampilkan pesan ini lalu keluar." in flat and "Show this message and exit." not in flat
    assert ("Perintah:" in shown) == isinstance(command, click.Group) and "Commands:" not in shown
    texts = [inspect.cleandoc(command.help or "")] + [p.help for p in command.params if getattr(p, "help", None)]
    for english in filter(None, texts):
        translated = indonesian.gettext(english)
        assert translated != english or english in SAME_IN_BOTH, f"psa {' '.join(path)}: not translated: {english!r}"
        assert _opening(translated) in flat, f"psa {' '.join(path)}: {_opening(translated)!r} not shown"
        assert _opening(english) not in flat, f"psa {' '.join(path)}: English shown: {_opening(english)!r}"
    assert "[bawaan: " in flat or "[default: " not in flat
    assert "[wajib]" in flat or "[required]" not in flat


def test_help_keeps_the_examples_as_written_and_speaks_english_with_lang_en() -> None:
    indonesian, english = _help(("build",), "id"), _help(("build",), "en")
    example = "    psa build --channels channels.yaml -j 2 projects/bapenda-kalteng-pajak-jujur\n"
    assert example in indonesian and example in english  # the \b block is not rewrapped in either language
    assert "\n  Contoh:\n" in indonesian and "\n  Examples:\n" in english
    assert english.startswith("Usage: psa build [OPTIONS] PATHS...") and "Options:" in english
    assert "Render every channel's files for the PSAs in PATHS." in english
    assert "[default: build]" in _words(english) and "[bawaan: build]" in _words(indonesian)
    top = _help((), "id")
    assert "  build     Render berkas setiap kanal untuk ILM di PATHS." in top  # the short help, translated
    assert "Kode keluar: 0 berhasil" in _words(top)  # the epilog


def test_lang_flag_chooses_the_language_of_the_help(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_LANG", "en")
    assert "Periksa manifest" in run_psa("--lang", "id", "validate", "--help").stdout
    monkeypatch.setenv("PSA_LANG", "id")
    assert "Check manifests" in run_psa("--lang", "en", "validate", "--help").stdout


USAGE_ERRORS = [
    (("build", "{missing}"),
     "Kesalahan: Nilai tidak sah untuk 'PATHS...': Path '{missing}' tidak ada.",
     "Error: Invalid value for 'PATHS...': Path '{missing}' does not exist."),
    (("build",), "Kesalahan: Argumen belum diberikan: 'PATHS...'.", "Error: Missing argument 'PATHS...'."),
    (("buld",),
     "Kesalahan: Tidak ada perintah 'buld'. Mungkin maksud Anda 'build'?",
     "Error: No such command 'buld'. Did you mean 'build'?"),
    (("build", "--forse", "."),
     "Kesalahan: Tidak ada opsi '--forse'. (Mungkin maksud Anda salah satu dari: '--force', '--jobs'?)",
     "Error: No such option '--forse'. (Did you mean one of: '--force', '--jobs'?)"),
    (("validate", "--format", "xml", "."),
     "Kesalahan: Nilai tidak sah untuk '--format': 'xml' bukan salah satu dari 'human', 'json', 'junit', 'github'.",
     "Error: Invalid value for '--format': 'xml' is not one of 'human', 'json', 'junit', 'github'."),
    (("build", "-j", "99", "."),
     "Kesalahan: Nilai tidak sah untuk '-j' / '--jobs': 99 tidak berada dalam rentang 1<=x<=64.",
     "Error: Invalid value for '-j' / '--jobs': 99 is not in the range 1<=x<=64."),
    (("build", "-j", "dua", "."),
     "Kesalahan: Nilai tidak sah untuk '-j' / '--jobs': 'dua' bukan bilangan bulat yang sah.",
     "Error: Invalid value for '-j' / '--jobs': 'dua' is not a valid integer range."),
    (("approve", "spot", "--role", "Kabid"),
     "Kesalahan: Opsi belum diberikan: '--reviewer'.",
     "Error: Missing option '--reviewer'."),
    (("-v", "-q", "validate", "."),
     "Kesalahan: --verbose dan --quiet saling bertentangan: pilih salah satu",
     "Error: --verbose and --quiet contradict each other: choose one"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "indonesian", "english"), USAGE_ERRORS, ids=[" ".join(a) for a, *_ in USAGE_ERRORS])
def test_usage_errors_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], indonesian: str, english: str
) -> None:
    missing = str(tmp_path / "tidak-ada")
    args = tuple(a.format(missing=missing) for a in args)
    for language, expected, usage, hint in (
        ("id", indonesian, "Penggunaan: psa", "untuk bantuan."),
        ("en", english, "Usage: psa", "for help."),
    ):
        monkeypatch.setenv("PSA_LANG", language)
        result = run_psa(*args, cwd=tmp_path)
        assert result.code == 2, result.stderr
        lines = result.stderr.splitlines()
        assert lines[-1] == expected.format(missing=missing), result.stderr
        assert lines[0].startswith(usage) and hint in lines[1], result.stderr


def test_build_without_manifests_says_so_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "kosong"
    empty.mkdir()
    monkeypatch.setenv("PSA_LANG", "id")
    assert "Kesalahan: tidak ada psa.yaml di path yang diberikan" in run_psa("build", empty).stderr
    monkeypatch.setenv("PSA_LANG", "en")
    assert "Error: no psa.yaml found in the given paths" in run_psa("build", empty).stderr


def test_publish_refuses_an_unapproved_build_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    psa = fake_psa(tmp_path, "spot-satu", approved=False)  # refused before anything is fingerprinted or uploaded
    args = ("publish", psa.manifest, "--build", psa.build_root, "--approvals", tmp_path / "approvals")
    monkeypatch.setenv("PSA_LANG", "id")
    result = run_psa(*args, cwd=tmp_path)
    assert result.code == 1
    table = _words(result.stdout)
    assert all(word in table for word in ("ILM", "status", "diunggah", "dilewati", "ditolak", "gagal"))
    assert re.search(r"ditolak spot-satu: spot-satu: belum ada peninjau yang menyetujui build ini", table), table
    assert "jalankan: psa approve spot-satu" in table
    monkeypatch.setenv("PSA_LANG", "en")
    english = _words(run_psa(*args, cwd=tmp_path).stdout)
    assert all(word in english for word in ("PSA", "status", "uploaded", "skipped", "refused", "failed"))
    assert "refused spot-satu: spot-satu: no reviewer has approved this build" in english
    assert not (tmp_path / "publish").exists()


def test_publish_of_a_missing_build_names_the_command_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    psa = fake_psa(tmp_path, "spot-dua", approved=False)
    args = ("publish", psa.manifest, "--build", tmp_path / "belum-ada")
    monkeypatch.setenv("PSA_LANG", "id")
    indonesian = _words(run_psa(*args, cwd=tmp_path).stdout)
    assert "gagal spot-dua:" in indonesian and "tidak ditemukan; jalankan psa build" in indonesian
    monkeypatch.setenv("PSA_LANG", "en")
    english = _words(run_psa(*args, cwd=tmp_path).stdout)
    assert "failed spot-dua:" in english and "not found; run psa build" in english


def test_version_line_and_password_prompt_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_LANG", "id")
    assert run_psa("--version").stdout.startswith("psa versi ")
    monkeypatch.setenv("PSA_LANG", "en")
    assert run_psa("--version").stdout.startswith("psa, version ")
    args = [
        "review",
        "add-reviewer",
        str(tmp_path / "akun.json"),
        "--login",
        "siti",
        "--name",
        "Siti",
        "--role",
        "Kabid",
    ]
    for language, asked, again in (
        ("id", "Kata sandi: ", "Ulangi kata sandi: "),
        ("en", "Password: ", "Repeat the password: "),
    ):
        i18n.choose(language)
        try:
            result = CliRunner().invoke(main, args, input="sandi-yang-panjang\nsandi-yang-panjang\n", prog_name="psa")
        finally:
            i18n.choose(None)
        assert result.exit_code == 0, result.output
        assert asked in result.output and again in result.output


def test_a_group_without_its_command_shows_its_help_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSA_LANG", "id")
    result = run_psa("batch")
    assert result.code == 2
    assert result.stderr.startswith("Penggunaan: psa batch [OPSI] PERINTAH [ARGUMEN]...")
    assert "Perintah:" in result.stderr and "Kesalahan" not in result.stderr
