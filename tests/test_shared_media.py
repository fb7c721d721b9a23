"""A batch whose PSAs share jingles and a logo: each shared part is probed once and each jingle decoded once.

Counted with a logging ffmpeg and ffprobe (PSA_FFMPEG/PSA_FFPROBE point at wrappers that write their
argument lists to a log), and the finished files measured with ffmpeg's ebur128 here, not with psa's meter.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from helpers import TINY, ffmpeg, make_tone, make_video, run_psa
from test_build import ebur128, ffprobe

pytestmark = pytest.mark.media

VIDEOS = ("lapor-a", "lapor-b")
RADIO = "lapor-radio"
TARGETS = {"whatsapp": -14.0, "radio": -23.0}

MANIFEST = """\
schema: 1
id: {name}
title: "Lapor! ({name})"
agency: {{name: Diskominfo Kaltim, code: DISKOMINFO-KALTIM, province: Kalimantan Timur}}
kind: {kind}
themes: [lapor]
language: ind
sources: {{{source}}}
jingles:
  intro: {{file: "asset:jingles/intro.wav", gap: 0.2}}
  outro: {{file: "asset:jingles/outro.mp3", crossfade: 0.3}}
subtitles:
  tracks:
    - lang: ind
      cues:
        - {{start: 0.3, end: 1.5, text: "Tolak pungli!"}}
{card}channels: [{channels}]
slot: {slot}
approval: {{approved_by: Ahmad, role: Kepala Dinas, date: 2025-03-10}}
"""


def batch(root: Path) -> Path:
    """Two video PSAs and a radio spot sharing a 44.1 kHz WAV intro and an MP3 outro; the videos share a logo."""
    assets = root / "assets"
    make_tone(assets / "jingles" / "intro.wav", seconds=1.0, amplitude=0.3, rate=44100)
    make_tone(assets / "jingles" / "outro.mp3", seconds=1.2, amplitude=0.2, rate=44100, channels=1)
    (assets / "logos").mkdir()
    ffmpeg("-f", "lavfi", "-i", "color=c=0x2a5caa:s=64x64", "-frames:v", "1", str(assets / "logos" / "logo.png"))
    projects = root / "projects"
    for name in (*VIDEOS, RADIO):
        folder = projects / name
        radio = name == RADIO
        if radio:
            make_tone(folder / "media" / "spot.wav", seconds=3.0, amplitude=0.1)
        else:
            make_video(folder / "media" / "main.mp4", seconds=3.0)
        card = "" if radio else 'end_card: {text: "Lapor: SMS 1708", duration: 1.5, logo: "asset:logos/logo.png"}\n'
        text = MANIFEST.format(
            name=name,
            kind="radio-drama" if radio else "video",
            source="audio: media/spot.wav" if radio else "video: media/main.mp4",
            card=card,
            channels="radio" if radio else "whatsapp",
            slot=10 if radio else 30,
        )
        (folder / "psa.yaml").write_text(text, encoding="utf-8")
    return projects


@pytest.fixture
def tool_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every ffmpeg and ffprobe psa starts (pool workers included) appends its argument list here, one per line."""
    log = tmp_path / "tools.log"
    wrappers = tmp_path / "wrappers"
    wrappers.mkdir()
    for tool in ("ffmpeg", "ffprobe"):
        real = shutil.which(tool)
        assert real is not None
        wrapper = wrappers / tool
        wrapper.write_text(
            textwrap.dedent(f"""\
            #!/usr/bin/env python3
            import json, os, sys
            with open({str(log)!r}, "a", encoding="utf-8") as log:
                log.write(json.dumps([{tool!r}, *sys.argv[1:]]) + "\\n")
            os.execv({real!r}, [{real!r}, *sys.argv[1:]])
            """)
        )
        wrapper.chmod(0o755)
        monkeypatch.setenv(f"PSA_{tool.upper()}", str(wrapper))
    return log


def runs(log: Path) -> list[list[str]]:
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def reads(log: Path, path: Path) -> tuple[int, int]:
    """(ffmpeg runs that decode `path`, ffprobe runs that probe it)."""
    found = runs(log)
    decoded = sum(1 for argv in found if argv[0] == "ffmpeg" and ["-i", str(path)] in map(list, pairwise(argv)))
    probed = sum(1 for argv in found if argv[0] == "ffprobe" and argv[-1] == str(path))
    return decoded, probed


def records(build: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(build.glob("*/renditions.json"))}


def check_outputs(build: Path) -> None:
    """Every finished file is on its channel's loudness target and as long as its timeline says."""
    found = records(build)
    assert sorted(found) == sorted([*VIDEOS, RADIO])
    for psa_id, data in found.items():
        timeline = data["psa"]["timeline"]
        for entry in data["renditions"]:
            path = build / psa_id / entry["file"]
            integrated, peak = ebur128(path)
            assert integrated == pytest.approx(TARGETS[entry["channel"]], abs=0.25), entry["name"]
            assert peak <= -1.0, entry["name"]
            duration = float(ffprobe(path)["format"]["duration"])
            expected = 10.0 if entry["channel"] == "radio" else timeline["total"]  # radio fills its exact slot
            assert duration == pytest.approx(expected, abs=0.1), entry["name"]


def test_psa_build_of_a_batch_decodes_and_probes_each_shared_part_once(tmp_path: Path, tool_log: Path) -> None:
    projects = batch(tmp_path)
    assets = (tmp_path / "assets").resolve()
    build = tmp_path / "build"
    result = run_psa("build", projects, "-o", build, "--channels", TINY, "-j", "2")
    assert result.code == 0, result.stdout + result.stderr
    for jingle in ("jingles/intro.wav", "jingles/outro.mp3"):
        assert reads(tool_log, assets / jingle) == (1, 1), jingle  # one conform, one probe: not one per PSA
    assert reads(tool_log, assets / "logos/logo.png")[1] == 1
    assert len(list((build / ".shared").glob("*.wav"))) == 2
    check_outputs(build)

    # The same PSA built alone conforms its jingles in its own graph: the same files, byte for byte,
    # under the same cache keys (the prepared jingles hold exactly the samples the graph would make).
    alone = tmp_path / "alone"
    result = run_psa("build", projects / VIDEOS[0], "-o", alone, "--channels", TINY)
    assert result.code == 0, result.stdout + result.stderr
    assert not (alone / ".shared").exists()
    batch_entries = records(build)[VIDEOS[0]]["renditions"]
    alone_entries = records(alone)[VIDEOS[0]]["renditions"]
    assert [(e["cache_key"], e["loudness_in"]) for e in batch_entries] == [
        (e["cache_key"], e["loudness_in"]) for e in alone_entries
    ]

    # Nothing changed: the rebuild starts no ffmpeg or ffprobe at all (ffmpeg's version is remembered too).
    tool_log.unlink()
    result = run_psa("build", projects, "-o", build, "--channels", TINY)
    assert result.code == 0, result.stdout + result.stderr
    assert runs(tool_log) == []


def test_batch_run_prepares_shared_jingles_once_and_a_damaged_one_again(tmp_path: Path, tool_log: Path) -> None:
    projects = batch(tmp_path)
    assets = (tmp_path / "assets").resolve()
    build = tmp_path / "build"
    result = run_psa("batch", "run", projects, "--channels", TINY, "--build", build, "-j", "2")
    assert result.code == 0, result.stdout + result.stderr
    for jingle in ("jingles/intro.wav", "jingles/outro.mp3"):
        # Validated, prepared and built in several processes, still probed once and decoded once.
        assert reads(tool_log, assets / jingle) == (1, 1), jingle
    check_outputs(build)
    before = {psa: [e["sha256"] for e in data["renditions"]] for psa, data in records(build).items()}

    # A prepared file damaged in place is not trusted: the next build prepares it again, and the
    # renditions rendered from it again are the same files.
    prepared = sorted((build / ".shared").glob("*.wav"))
    assert len(prepared) == 2
    damaged = prepared[0]
    data = bytearray(damaged.read_bytes())
    data[-4000:] = bytes(4000)
    damaged.write_bytes(bytes(data))
    tool_log.unlink()
    result = run_psa("build", projects, "-o", build, "--channels", TINY, "-j", "2", "--force")
    assert result.code == 0, result.stdout + result.stderr
    decoded = [reads(tool_log, assets / jingle)[0] for jingle in ("jingles/intro.wav", "jingles/outro.mp3")]
    assert sorted(decoded) == [0, 1]  # the damaged one only, once; the other is read as prepared
    assert damaged.read_bytes() != bytes(data)
    after = {psa: [e["sha256"] for e in data["renditions"]] for psa, data in records(build).items()}
    assert after == before
