"""`psa build`: Kominfosantik gets a correct file for every channel, fast, and never a half-written one."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, SRT_NIJ, TINY, ffmpeg, run_psa, video_project

pytestmark = pytest.mark.media


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak, measured here with ffmpeg directly (not through psa)."""
    completed = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = completed.stderr.rsplit("Summary:", 1)[1]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def ffprobe(path: Path) -> dict[str, Any]:
    completed = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def frame(path: Path, at: float) -> bytes:
    completed = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    return completed.stdout


def record(build: Path, psa_id: str) -> dict[str, Any]:
    return json.loads((build / psa_id / "renditions.json").read_text())  # type: ignore[no-any-return]


def test_every_shipped_channel_profile_gets_a_correct_file(tmp_path: Path) -> None:
    folder = video_project(tmp_path, "pajak-jujur", "radio, web, youtube, social, whatsapp, pedalaman")
    build = tmp_path / "build"
    result = run_psa("build", "-o", build, folder)
    assert result.code == 0, result.stdout + result.stderr
    data = record(build, "pajak-jujur")
    total = data["psa"]["timeline"]["total"]
    assert data["psa"]["timeline"]["content_start"] == pytest.approx(1.0, abs=0.01)
    names = [r["name"] for r in data["renditions"]]
    assert names == ["radio/mp3", "radio/wav", "web/1080p", "web/720p", "youtube/1080p", "social/vertical",
                     "whatsapp/small", "pedalaman/360p", "pedalaman/audio"]  # fmt: skip
    targets = {"radio": -23.0, "web": -14.0, "youtube": -14.0, "social": -14.0, "whatsapp": -14.0, "pedalaman": -16.0}
    sizes = {"web/1080p": (1920, 1080), "web/720p": (1280, 720), "youtube/1080p": (1920, 1080),
             "social/vertical": (1080, 1920), "whatsapp/small": (854, 480), "pedalaman/360p": (640, 360)}  # fmt: skip
    for entry in data["renditions"]:
        path = build / "pajak-jujur" / entry["file"]
        info = ffprobe(path)
        streams = {s["codec_type"]: s for s in info["streams"]}
        integrated, peak = ebur128(path)
        assert integrated == pytest.approx(targets[entry["channel"]], abs=0.5), entry["name"]
        assert peak <= -1.0, entry["name"]
        assert streams["audio"]["sample_rate"] == "48000"
        tags = {k.lower(): v for k, v in {**streams["audio"].get("tags", {}), **info["format"].get("tags", {})}.items()}
        assert tags["title"] == "Bayar Pajak Jujur" and tags["genre"] == "Iklan Layanan Masyarakat", entry["name"]
        assert tags["artist"] == "Bapenda Kalteng" and tags["date"] == "2025", entry["name"]
        if entry["name"] in sizes:
            assert (streams["video"]["width"], streams["video"]["height"]) == sizes[entry["name"]]
            assert float(info["format"]["duration"]) == pytest.approx(total, abs=0.15), entry["name"]
    mp3 = build / "pajak-jujur" / "radio" / "pajak-jujur-radio-mp3.mp3"
    assert ffprobe(mp3)["streams"][0]["codec_name"] == "mp3"
    wav = ffprobe(build / "pajak-jujur" / "radio" / "pajak-jujur-radio-wav.wav")
    assert wav["streams"][0]["codec_name"] == "pcm_s24le"
    assert float(wav["format"]["duration"]) == pytest.approx(30.0, abs=0.01)  # exactly the slot
    web = ffprobe(build / "pajak-jujur" / "web" / "pajak-jujur-web-1080p.mp4")
    subs = [s for s in web["streams"] if s["codec_type"] == "subtitle"]
    assert [(s["codec_name"], s["tags"]["language"]) for s in subs] == [("mov_text", "ind"), ("mov_text", "nij")]
    assert subs[1]["tags"]["handler_name"] == "Dayak Ngaju"
    vtt = (build / "pajak-jujur" / "web" / "pajak-jujur-web-1080p.nij.vtt").read_text()
    assert "00:00:01.300 --> 00:00:02.500" in vtt  # shifted by the 1 s intro
    audio_only = ffprobe(build / "pajak-jujur" / "pedalaman" / "pajak-jujur-pedalaman-audio.opus")
    assert [s["codec_name"] for s in audio_only["streams"]] == ["opus"]


def test_burned_captions_are_in_the_picture(tmp_path: Path) -> None:
    captioned = video_project(tmp_path / "a", "dengan-teks", "social")
    plain = video_project(tmp_path / "b", "tanpa-teks", "social", burn_in="{}")
    (plain / "psa.yaml").write_text((plain / "psa.yaml").read_text().replace("lang: ind", "lang: jav"))
    for folder in (captioned, plain):
        assert run_psa("build", "--channels", TINY, "-o", folder.parent.parent / "build", folder).code == 0
    at = 1.0 + 0.9  # inside the first cue, after the 1 s intro
    with_text = frame(tmp_path / "a" / "build" / "dengan-teks" / "social" / "dengan-teks-social-vertical.mp4", at)
    without = frame(tmp_path / "b" / "build" / "tanpa-teks" / "social" / "tanpa-teks-social-vertical.mp4", at)
    changed = sum(1 for x, y in zip(with_text, without, strict=True) if abs(x - y) > 40)
    assert changed > 100, changed


def test_a_second_build_encodes_nothing_and_one_subtitle_change_rebuilds_only_its_users(tmp_path: Path) -> None:
    folder = video_project(tmp_path, "cache", "web, social, whatsapp")
    build = tmp_path / "build"
    first = run_psa("build", "--channels", TINY, "-o", build, folder)
    assert first.code == 0, first.stdout + first.stderr
    files = {p: p.stat().st_mtime_ns for p in (build / "cache").rglob("*") if p.is_file()}
    second = run_psa("build", "--channels", TINY, "-o", build, folder)
    assert "up to date (3 renditions)" in second.stdout
    assert "start" not in second.stderr  # no ffmpeg run at all
    assert {p: p.stat().st_mtime_ns for p in files if p.name != "renditions.json"} == {
        p: t for p, t in files.items() if p.name != "renditions.json"
    }
    (folder / "subtitles" / "nij.srt").write_text(SRT_NIJ.replace("Ayuh", "Ayo"))
    third = run_psa("build", "--channels", TINY, "-o", build, folder)
    assert "built 2, reused 1" in third.stdout, third.stdout  # web (soft nij) and social (burned nij)
    assert "whatsapp/small" not in third.stderr
    forced = run_psa("build", "--force", "--channels", TINY, "-o", build, folder)
    assert "built 3, reused 0" in forced.stdout


def test_awkward_sources_are_conformed(tmp_path: Path) -> None:
    """Odd frame sizes, 6-channel audio, 44.1 kHz and variable frame rate all build."""
    build = tmp_path / "build"
    odd = video_project(tmp_path, "odd-size", "whatsapp", size="321x241")
    surround = video_project(tmp_path, "surround", "whatsapp")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-f", "lavfi",
           "-i", "sine=f=300:sample_rate=44100:d=3", "-af", "aformat=channel_layouts=5.1",
           "-c:v", "libx264", "-preset", "ultrafast", "-shortest", str(surround / "media" / "main.mp4"))  # fmt: skip
    vfr = video_project(tmp_path, "vfr", "whatsapp")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3", "-f", "lavfi", "-i", "sine=f=300:d=3",
           "-vf", "setpts='if(lt(N,30),PTS*2,PTS)'", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast",
           "-shortest", str(vfr / "media" / "main.mp4"))  # fmt: skip
    result = run_psa("build", "--channels", TINY, "-o", build, odd, surround, vfr)
    assert result.code == 0, result.stdout + result.stderr
    for name in ("odd-size", "surround", "vfr"):
        (entry,) = record(build, name)["renditions"]
        path = build / name / entry["file"]
        audio = next(s for s in ffprobe(path)["streams"] if s["codec_type"] == "audio")
        assert (audio["channels"], audio["sample_rate"]) == (2, "48000")
        assert ebur128(path)[0] == pytest.approx(-14.0, abs=0.5)


def test_bad_inputs_fail_their_psa_clearly_and_the_others_still_build(tmp_path: Path) -> None:
    build = tmp_path / "build"
    video_project(tmp_path, "baik", "whatsapp")
    video_project(tmp_path, "tanpa-suara", "whatsapp", audio=False)
    corrupt = video_project(tmp_path, "rusak", "whatsapp")
    data = (corrupt / "media" / "main.mp4").read_bytes()
    (corrupt / "media" / "main.mp4").write_bytes(data[: len(data) // 3])
    silent = video_project(tmp_path, "sunyi", "whatsapp")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-f", "lavfi", "-i", "anullsrc=r=48000:d=3",
           "-c:v", "libx264", "-preset", "ultrafast", "-shortest", str(silent / "media" / "main.mp4"))  # fmt: skip
    text = (silent / "psa.yaml").read_text()
    (silent / "psa.yaml").write_text(text.replace('  intro: {file: "asset:jingles/intro.wav"}', "  intro: null"))
    result = run_psa("build", "--channels", TINY, "-o", build, tmp_path / "projects")
    assert result.code == 1
    lines = result.stdout
    assert "ok   baik" in lines
    assert re.search(
        r"FAIL tanpa-suara: invalid manifest:\s+\S*tanpa-suara/psa.yaml:\d+:\d+: error: 'media/main.mp4' has no audio",
        lines,
    )
    assert re.search(r"FAIL rusak: .*'media/main.mp4'.*(damaged|cannot be read|cut short|incomplete)", lines)
    assert "FAIL sunyi: the PSA's sound is silent (loudness -inf): nothing to normalise" in lines
    for failed in ("tanpa-suara", "rusak", "sunyi"):
        leftovers = [p for p in (build / failed).rglob("*")] if (build / failed).exists() else []
        assert leftovers == [], leftovers  # nothing that looks finished, no temporary files either
    assert len(record(build, "baik")["renditions"]) == 1


def test_text_and_names_with_filtergraph_characters_cannot_break_or_inject(tmp_path: Path) -> None:
    folder = video_project(tmp_path, "teks-aneh", "social")
    weird = "it's: [a,b]; 100% {x}.srt"
    (folder / "subtitles" / weird).write_text(
        "1\n00:00:00,300 --> 00:00:01,500\nC:\\Natal {\\b1}tebal%{localtime}\n\n"
        "2\n00:00:01,700 --> 00:00:02,800\n'kutip' \"ganda\", [kurung]; 50%\n"
    )
    manifest = (folder / "psa.yaml").read_text()
    manifest = manifest.replace("subtitles/nij.srt", f'"subtitles/{weird}"')
    manifest = manifest.replace(
        'title: "Bayar Pajak Jujur"', "title: \"Tolak 'Pungli': 100% [bersih], a;b \\\\ %{pts}\""
    )
    (folder / "psa.yaml").write_text(manifest)
    media = folder / "media" / "main.mp4"
    media.rename(folder / "media" / "klip: [1], 'a'.mp4")
    (folder / "psa.yaml").write_text(manifest.replace("media/main.mp4", "\"media/klip: [1], 'a'.mp4\""))
    result = run_psa("build", "--channels", TINY, "-o", tmp_path / "build", folder)
    assert result.code == 0, result.stdout + result.stderr
    (entry,) = record(tmp_path / "build", "teks-aneh")["renditions"]
    assert entry["captions"]["burned_in"] == "nij"


def _ffmpeg_pids_reading(path: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and b"-filter_complex" in argv and str(path).encode() in argv:
            found.append(int(proc.name))
    return found


def test_a_killed_ffmpeg_fails_its_psa_cleanly_and_the_rest_builds(tmp_path: Path) -> None:
    import os
    import signal
    import sys
    import time

    victim = video_project(tmp_path, "a-dibunuh", "web, youtube, social")  # the shipped 1080p profiles: slow enough
    survivor = video_project(tmp_path, "b-selamat", "social")
    build = tmp_path / "build"
    process = subprocess.Popen(
        [sys.executable, "-m", "psa_pipeline", "build", "-j", "1", "-o", str(build), str(victim), str(survivor)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    source = (victim / "media" / "main.mp4").resolve()
    deadline = time.monotonic() + 60
    while not (pids := _ffmpeg_pids_reading(source)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids, "the render never started"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stdout + stderr
    assert "FAIL a-dibunuh: ffmpeg was stopped (signal 9)" in stdout
    assert "ok   b-selamat" in stdout
    leftovers = list((build / "a-dibunuh").rglob("*")) if (build / "a-dibunuh").exists() else []
    assert leftovers == [], leftovers  # no finished-looking file, no work folder
    again = run_psa("build", "-o", build, victim)
    assert again.code == 0 and "built 4, reused 0" in again.stdout


def test_a_full_disk_fails_clearly_leaves_nothing_and_the_next_run_finishes(tmp_path: Path, small_disk: Path) -> None:
    folder = video_project(tmp_path, "disk-penuh", "whatsapp")
    result = run_psa("build", "--channels", TINY, "-o", small_disk, folder)
    assert result.code == 1
    assert "FAIL disk-penuh:" in result.stdout and "disk full" in result.stdout, result.stdout
    leftovers = [p for p in small_disk.rglob("*") if p.is_file()]
    assert leftovers == [] or all(p.name.startswith(".psa-state.json") for p in leftovers), leftovers
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)  # space freed
    again = run_psa("build", "--channels", TINY, "-o", small_disk, folder)
    assert again.code == 0 and "built 1, reused 0" in again.stdout
