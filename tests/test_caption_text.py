"""Caption text is text: what the author wrote reaches every sidecar, soft track and burned picture.

Editors' SRT variants are read exactly or refused at the right line; outputs are read back with
ffmpeg and a small reader written here, not with the code under test.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import corpus
import measure
import pytest
from helpers import ROOT, run_psa

from psa_pipeline.media.srtvtt import SubtitleError, parse_srt, parse_vtt

pytestmark = pytest.mark.media

CHANNELS = ROOT / "tests" / "data" / "corpus-channels.yaml"

# (what the author typed on the cue's lines) - each one broke somewhere before.
TRICKY = [
    "Catatan {penting}: bayar di loket",
    "Ketik \\N atau \\n, bukan baris baru",
    "Harga a<b dan c>d, <3 untuk KPK",
    "Tom & Jerry &amp; teman",
    "Jakarta --> Bandung tanpa pungli",
    "<i>Bisikan</i> di kantor",
    "Kode {\\i1} tetap teks",
]


def srt_of(texts: list[str], numbered: bool = True, start: float = 0.0) -> str:
    blocks = []
    for i, text in enumerate(texts):
        a, b = start + i * 1.0, start + i * 1.0 + 0.9
        clock = f"00:00:{int(a):02d},{round(a % 1 * 1000):03d} --> 00:00:{int(b):02d},{round(b % 1 * 1000):03d}"
        blocks.append((f"{i + 1}\n" if numbered else "") + f"{clock}\n{text}\n")
    return "\n".join(blocks)


def read_srt(text: str) -> list[tuple[str, str, str]]:
    """(start, end, text) of each block of an SRT, read the plain way."""
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        start, end = lines[1].split(" --> ")
        cues.append((start, end, "\n".join(lines[2:])))
    return cues


def read_vtt(text: str) -> list[tuple[str, str, str]]:
    """(timing line, settings, text with entities decoded and tags removed) of each WebVTT cue."""
    assert text.startswith("WEBVTT\n")
    cues = []
    for block in re.split(r"\n\s*\n", text.strip())[1:]:
        lines = block.splitlines()
        timing = lines[0].split(" ", 3)
        plain = html.unescape(re.sub(r"</?[a-z][^>]*>", "", "\n".join(lines[1:])))
        cues.append((f"{timing[0]} --> {timing[2]}", timing[3] if len(timing) > 3 else "", plain))
    return cues


def test_editor_srt_variants_are_read_exactly() -> None:
    text = (
        "\ufeff1\r\n00:00:01.250 --> 00:00:02.5\r\nTitik, bukan koma\r\n\r\n"  # BOM, CRLF, '.' and 1-digit fraction
        "00:03,000 --> 00:04,000\r\nTanpa jam, tanpa nomor\r\n\r\n"  # hours left out, number missing
        "7\r\n00:00:05:100 --> 00:00:06:000\r\nTitik dua sebelum milidetik\r\n"  # ':' before ms; number 7
        "3\r\n00:00:07,000 --> 00:00:08,000\r\nTanpa baris kosong sebelumnya\r\n"  # no blank line; number 3
    )
    cues = parse_srt(text, Path("x.srt"))
    assert [(c.start, c.end, c.lines, c.location.line) for c in cues] == [
        (1.25, 2.5, ("Titik, bukan koma",), 2),
        (3.0, 4.0, ("Tanpa jam, tanpa nomor",), 5),
        (5.1, 6.0, ("Titik dua sebelum milidetik",), 9),
        (7.0, 8.0, ("Tanpa baris kosong sebelumnya",), 12),
    ]


def validate_track(tmp_path: Path, srt: str) -> str:
    folder = tmp_path / "projects" / "teks"
    corpus.sync_clip(folder / "media" / "main.mp4", seconds=9.0)
    (folder / "subtitles").mkdir(parents=True)
    (folder / "subtitles" / "ind.srt").write_text(srt, encoding="utf-8")
    manifest = corpus.manifest(
        folder, "teks", "{video: media/main.mp4}", "web",
        "subtitles:\n  tracks:\n    - {lang: ind, file: subtitles/ind.srt}\n",
    )  # fmt: skip
    return run_psa("validate", manifest).stdout


def test_an_empty_srt_is_refused_at_validate_naming_the_file(tmp_path: Path) -> None:
    out = validate_track(tmp_path, "")
    assert "subtitles/ind.srt:1: error: the file is empty: add the cues, or remove this track from psa.yaml" in out


def test_after_a_blank_cue_and_a_cue_with_an_arrow_messages_name_the_right_line(tmp_path: Path) -> None:
    srt = (
        "1\n00:00:00,000 --> 00:00:01,000\nSatu\n\n"
        "2\n00:00:01,500 --> 00:00:02,000\n\n"  # blank cue: timing at line 6
        "3\n00:00:02,500 --> 00:00:03,500\nA --> B\n\n"  # text with an arrow: timing at line 9
        "4\n00:00:03,000 --> 00:00:04,000\nTumpang tindih\n\n"  # overlaps cue 3: timing at line 13
        "5\n00:00:05,000 -> 00:00:06,000\nRusak\n"  # mistyped arrow: line 17
    )
    out = validate_track(tmp_path, srt)
    assert (
        "subtitles/ind.srt:17: error: cannot read the cue times '00:00:05,000 -> 00:00:06,000'; write them like 00:00:01,000 --> 00:00:03,500"
        in out
    ), out
    out = validate_track(tmp_path / "b", srt.rsplit("5\n", 1)[0])
    assert "subtitles/ind.srt:6: warning: cue 2 (00:01.500) has no text; it is left out" in out, out
    assert "subtitles/ind.srt:13: error: cue 4 (00:03.000) overlaps cue 3 (which ends at 00:03.500)" in out, out


def test_an_emoji_no_font_can_draw_is_refused_for_burned_captions(tmp_path: Path) -> None:
    out = validate_track(tmp_path, srt_of(["Lapor \U0001f64f sekarang"]))
    assert "subtitles/ind.srt:2: error: cue 1 has \U0001f64f, which no installed font can draw" in out, out


@pytest.fixture(scope="module")
def captioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("captions")
    folder = root / "projects" / "teks"
    corpus.sync_clip(folder / "media" / "main.mp4", seconds=8.0)
    (folder / "subtitles").mkdir(parents=True)
    (folder / "subtitles" / "ind.srt").write_text(
        srt_of(TRICKY) + "\n" + srt_of(["{\\an8}Di atas \U0001f600"], start=7.0).replace("1\n", "7\n", 1)
    )
    corpus.manifest(folder, "teks", "{video: media/main.mp4}", "web, social",
                    "subtitles:\n  tracks:\n    - {lang: ind, file: subtitles/ind.srt}\n  burn_in: {social: ind}\n")  # fmt: skip
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PSA_LANG", "en")  # module-scoped: the per-test English fixture has not run yet
        result = run_psa("build", "--channels", CHANNELS, "-o", root / "build", folder)
    assert result.code == 0, result.stdout + result.stderr
    return root / "build" / "teks"


def test_every_cue_round_trips_exactly_into_the_srt_sidecar(captioned: Path) -> None:
    cues = read_srt((captioned / "web" / "teks-web-small.ind.srt").read_text(encoding="utf-8"))
    assert [c[2] for c in cues] == [*TRICKY, "{\\an8}Di atas \U0001f600"]
    assert (cues[1][0], cues[1][1]) == ("00:00:01,000", "00:00:01,900")


def test_every_cue_reaches_the_vtt_sidecar_escaped_and_positioned(captioned: Path) -> None:
    text = (captioned / "web" / "teks-web-small.ind.vtt").read_text(encoding="utf-8")
    cues = read_vtt(text)
    plain = [re.sub(r"</?i>", "", t) for t in TRICKY]
    assert [c[2] for c in cues] == [*plain, "Di atas \U0001f600"]
    assert cues[-1][1] == "line:0" and cues[0][0] == "00:00:00.000 --> 00:00:00.900"
    assert "-->" not in text.split("\n\n", 5)[5].splitlines()[1]  # the arrow in cue text is escaped


def test_the_soft_track_carries_the_same_words(captioned: Path) -> None:
    extracted = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(captioned / "web" / "teks-web-small.mp4"),
         "-map", "0:s:0", "-f", "srt", "-"], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # mov_text has no italics or positions; the invisible word joiner keeps a typed "\N" from breaking the line.
    words = [re.sub(r"</?i>|\u2060", "", c[2]) for c in read_srt(extracted)]
    assert words == [re.sub(r"</?i>", "", t) for t in TRICKY] + ["Di atas \U0001f600"]


def test_a_cue_marked_top_is_burned_at_the_top(captioned: Path) -> None:
    path = next((captioned / "social").glob("*.mp4"))
    record = json.loads((captioned / "renditions.json").read_text())
    assert record["renditions"]
    # Vertical apps cover the top and bottom fifth: captions sit inside those margins.
    top_at_7 = measure.region_mean(path, 7.5, (0, 0.15, 1, 0.4))
    top_at_2 = measure.region_mean(path, 2.5, (0, 0.15, 1, 0.4))
    bottom_at_2 = measure.region_mean(path, 2.5, (0, 0.6, 1, 0.85))
    bottom_at_7 = measure.region_mean(path, 7.5, (0, 0.6, 1, 0.85))
    assert top_at_7 > top_at_2 + 1 and bottom_at_2 > bottom_at_7 + 1, (top_at_7, top_at_2, bottom_at_2, bottom_at_7)


def test_webvtt_entities_tags_and_position_are_read_as_meant() -> None:
    text = (
        "WEBVTT - dari editor\n\nNOTE catatan penyunting\n\n"
        "intro\n00:01.000 --> 00:02.000 line:0 align:center\n<v Narator>Tom &amp; Jerry &lt;3</v>\n\n"
        "00:00:03.000 --> 00:00:04.500\n<c.kuning>Kuning</c> <i>miring</i>&nbsp;ya\n"
    )
    cues = parse_vtt(text, Path("x.vtt"))
    assert [(c.start, c.end, c.lines, c.align, c.location.line) for c in cues] == [
        (1.0, 2.0, ("Tom & Jerry <3",), 8, 6),
        (3.0, 4.5, ("Kuning <i>miring</i> ya",), None, 9),
    ]


def test_utf16_subtitles_are_read_and_latin1_ones_refused_at_the_line(tmp_path: Path) -> None:
    ok = validate_track(tmp_path, "")  # the project; then swap the file's bytes
    assert "the file is empty" in ok
    srt = tmp_path / "projects" / "teks" / "subtitles" / "ind.srt"
    manifest = srt.parent.parent / "psa.yaml"
    srt.write_bytes(srt_of(["Bayar pajak, jangan pungli"]).encode("utf-16"))
    out = run_psa("validate", manifest).stdout
    # Read, words and all: 26 characters in 0.9 s is the only remark.
    assert "subtitles/ind.srt:2: warning: cue 1 (00:00.000) needs 28.9 characters per second" in out, out
    assert "ind.srt:1: error" not in out
    srt.write_bytes(srt_of(["Satu", "Caf\u00e9 tanpa pungli"]).encode("latin-1"))
    out = run_psa("validate", manifest).stdout
    assert (
        "subtitles/ind.srt:7: error: this file is not UTF-8 (byte 0xE9 on this line; Windows-1252 or Latin-1?); save it as UTF-8"
        in out
    ), out


def test_a_subtitle_file_with_the_wrong_extension_says_which_it_is() -> None:
    with pytest.raises(SubtitleError, match=r"this is a WebVTT file named \.srt; rename it to \.vtt"):
        parse_srt("WEBVTT\n\n00:01.000 --> 00:02.000\nHalo\n", Path("x.srt"))
    with pytest.raises(
        SubtitleError, match=r"must start with the line 'WEBVTT'; this looks like SRT: rename it to \.srt"
    ):
        parse_vtt("1\n00:00:01,000 --> 00:00:02,000\nHalo\n", Path("x.vtt"))


def test_braces_in_a_title_are_drawn_as_braces_not_full_width(tmp_path: Path) -> None:
    # Noto Sans draws "{" about as wide as "("; the full-width "｛" that used to replace it is an em wide.
    widths = {}
    for name, title in (
        ("kurung-kurawal", "{Tolak} {Pungli} {Sekarang}"),
        ("kurung-biasa", "(Tolak) (Pungli) (Sekarang)"),
    ):
        folder = tmp_path / "projects" / name
        corpus.sync_clip(folder / "media" / "main.mp4")
        corpus.ffmpeg("-f", "lavfi", "-i", "sine=f=600:d=1", str(folder / "media" / "intro.wav"))
        manifest = corpus.manifest(
            folder, name, "{video: media/main.mp4}", "web", "jingles:\n  intro: {file: media/intro.wav}\n"
        )
        manifest.write_text(manifest.read_text().replace('title: "Tolak Pungli"', f'title: "{title}"'))
        result = run_psa("build", "--channels", CHANNELS, "-o", tmp_path / "build", folder)
        assert result.code == 0, result.stdout + result.stderr
        left, _, right, _ = measure.bright_box(tmp_path / "build" / name / "web" / f"{name}-web-small.mp4", 0.5, 150)
        widths[name] = right - left
    assert abs(widths["kurung-kurawal"] - widths["kurung-biasa"]) <= 6, widths
