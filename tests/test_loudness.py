"""Loudness is decided on the audio alone: every file on target, its picture encoded once, in sync.

Every number here is measured with ffmpeg's own ebur128 summary (test_build.ebur128), not with
psa's meter; sync and length with ffprobe and raw decoded samples.
"""

from __future__ import annotations

import math
import os
import re
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest
from helpers import ffmpeg, run_psa
from test_build import ebur128, ffprobe, record

pytestmark = pytest.mark.media

# Low bitrates on purpose: the encoders move true peak most there (the "Internet Pedalaman" case).
CHANNELS = """\
channels:
  radio:
    loudness: {target: -23.0, true_peak: -1.0}
    renditions:
      - {name: wav, container: wav, audio: {codec: pcm_s24le}}
      - {name: mp3, container: mp3, audio: {codec: libmp3lame, bitrate: 128k}}
  lowband:
    loudness: {target: -16.0, true_peak: -1.0}
    renditions:
      - {name: aac, container: m4a, audio: {codec: aac, bitrate: 32k, channels: 1}}
      - {name: opus, container: ogg, audio: {codec: libopus, bitrate: 24k, channels: 1}}
  tiny:
    loudness: {target: -14.0, true_peak: -1.0}
    renditions:
      - name: small
        container: mp4
        video: {width: 160, height: 90, fps: 25, crf: 32, preset: ultrafast}
        audio: {codec: aac, bitrate: 48k, channels: 1}
      - name: opus
        container: mp4
        video: {width: 160, height: 90, fps: 25, crf: 32, preset: ultrafast}
        audio: {codec: libopus, bitrate: 32k, channels: 1}
"""

TARGETS = {"radio": -23.0, "lowband": -16.0, "tiny": -14.0}


def speech(path: Path, peak_db: float, extra_filter: str = "") -> Path:
    """espeak-ng's Indonesian voice, brought to the given sample peak (dBFS), 48 kHz stereo."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(
        ["espeak-ng", "-v", "id", "-s", "150", "-w", str(raw),
         "Laporkan pungutan liar ke nomor satu tujuh nol delapan. Tolak gratifikasi, jaga integritas."],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    peak = _sample_peak_db(raw)
    chain = f"volume={peak_db - peak:.3f}dB,aresample=48000,aformat=channel_layouts=stereo"
    ffmpeg("-i", str(raw), "-af", chain + extra_filter, "-c:a", "pcm_f32le", str(path))
    raw.unlink()
    return path


def _sample_peak_db(path: Path) -> float:
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "astats=metadata=0", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    overall = out.rsplit("Overall", 1)[1]
    return float(overall.split("Peak level dB:", 1)[1].split()[0])


def write_manifest(folder: Path, name: str, kind: str, sources: str, channels: str, extra: str = "") -> None:
    (folder / "psa.yaml").write_text(
        textwrap.dedent(f"""\
        schema: 1
        id: {name}
        title: "Tolak Gratifikasi"
        agency: {{name: Inspektorat Kalteng, code: INSPEKTORAT-KALTENG, province: Kalimantan Tengah}}
        kind: {kind}
        themes: [gratifikasi]
        language: ind
        sources: {{{sources}}}
        channels: [{channels}]
        approval: {{approved_by: Ahmad, role: Inspektur, date: 2025-03-10}}
        """)
        + extra
    )


def audio_project(root: Path, name: str, source: Path, channels: str) -> Path:
    folder = root / "projects" / name
    (folder / "media").mkdir(parents=True)
    source.rename(folder / "media" / "spot.wav")
    write_manifest(folder, name, "radio-drama", "audio: media/spot.wav", channels)
    return folder


def build(tmp_path: Path, *folders: Path) -> tuple[int, str]:
    channels = tmp_path / "channels.yaml"
    channels.write_text(CHANNELS)
    result = run_psa("build", "--channels", channels, "-o", tmp_path / "build", *folders)
    return result.code, result.stdout + result.stderr


def assert_on_target(build_dir: Path, psa_id: str) -> list[dict[str, object]]:
    entries = record(build_dir, psa_id)["renditions"]
    for entry in entries:
        integrated, peak = ebur128(build_dir / psa_id / str(entry["file"]))
        assert abs(integrated - TARGETS[str(entry["channel"])]) <= 0.2, (entry["name"], integrated)
        assert peak <= -1.0, (entry["name"], peak)
        measured = entry["loudness_out"]
        assert isinstance(measured, dict)
        assert measured["integrated_lufs"] == pytest.approx(integrated, abs=0.06), entry["name"]
    return entries


def test_quiet_loud_and_clipped_voices_all_land_within_0_2_lu_under_the_ceiling(tmp_path: Path) -> None:
    quiet = audio_project(tmp_path, "suara-pelan", speech(tmp_path / "q.wav", -30.0), "radio, lowband")
    loud = audio_project(tmp_path, "suara-keras", speech(tmp_path / "l.wav", -0.1), "radio, lowband")
    # Driven 12 dB into a hard clip: flat tops at full scale, true peak over 0 dBTP.
    clipped_source = speech(tmp_path / "c.wav", 12.0, ",alimiter=limit=1:level=0:attack=0.1:release=1,volume=1.2")
    clipped = audio_project(tmp_path, "suara-pecah", clipped_source, "radio, lowband")
    code, output = build(tmp_path, quiet, loud, clipped)
    assert code == 0, output
    built = tmp_path / "build"
    quiet_entries = assert_on_target(built, "suara-pelan")
    assert all(e["gain_db"] > 10 for e in quiet_entries)  # type: ignore[operator]
    assert any(e["limiter_db"] is not None for e in quiet_entries)  # +1x dB of gain breaks the ceiling
    clipped_entries = assert_on_target(built, "suara-pecah")
    assert all(e["gain_db"] < 0 for e in clipped_entries if e["channel"] == "radio")  # type: ignore[operator]
    loud_entries = assert_on_target(built, "suara-keras")
    for entry in (*quiet_entries, *clipped_entries, *loud_entries):
        assert 0 <= entry["audio_corrections"] <= 2, entry  # type: ignore[operator]
        assert entry["video_encodes"] == 0


def test_a_low_bitrate_codec_overshoot_is_corrected_on_the_audio_alone(tmp_path: Path) -> None:
    """Hot speech into AAC 32k and Opus 24k: the encoders add true peak; the finished files are still under."""
    hot = audio_project(tmp_path, "kodek-rendah", speech(tmp_path / "h.wav", -0.5), "lowband")
    code, output = build(tmp_path, hot)
    assert code == 0, output
    entries = assert_on_target(tmp_path / "build", "kodek-rendah")
    for entry in entries:
        target = entry["target"]
        assert isinstance(target, dict) and target["tolerance_lu"] == 0.2
        out = entry["loudness_out"]
        assert isinstance(out, dict) and out["true_peak_dbtp"] <= -1.0


def _ffmpeg_logger(folder: Path, log: Path) -> None:
    """An `ffmpeg` first on PATH that writes each command line to `log`, then runs the real one."""
    folder.mkdir()
    shim = folder / "ffmpeg"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec /usr/bin/ffmpeg "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)


def test_video_is_encoded_once_per_rendition_and_stays_in_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A flash and a beep at the same instant stay together; length matches the plan; one x264 run."""
    folder = tmp_path / "projects" / "kilat"
    (folder / "media").mkdir(parents=True)
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=black:s=320x180:r=25:d=4,drawbox=enable='between(t,2,2.2)':c=white:t=fill",
        "-f", "lavfi", "-i", "aevalsrc='0.02*sin(2*PI*220*t)+if(between(t,2,2.2),0.8*sin(2*PI*1000*t),0)':s=48000:d=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        str(folder / "media" / "main.mp4"),
    )  # fmt: skip
    write_manifest(
        folder,
        "kilat",
        "video",
        "video: media/main.mp4",
        "tiny, lowband",
        'end_card: {text: "SMS 1708", duration: 1.0}\n',
    )
    log = tmp_path / "ffmpeg.log"
    _ffmpeg_logger(tmp_path / "bin", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    code, output = build(tmp_path, folder)
    assert code == 0, output
    runs = log.read_text().splitlines()
    assert sum("libx264" in run for run in runs) == 1  # the one picture run; every later step copies the picture
    assert all("-c:v copy" in run for run in runs if "-i video-" in run)
    data = record(tmp_path / "build", "kilat")
    line = data["psa"]["timeline"]
    for entry in data["renditions"]:
        path = tmp_path / "build" / "kilat" / entry["file"]
        planned = line["total"] if entry["channel"] == "tiny" else line["audio_end"]  # audio stops before the card
        for s in ffprobe(path)["streams"]:
            assert float(s["duration"]) == pytest.approx(planned, abs=0.1), (entry["name"], s["codec_type"])
        audio_onset = _beep_onset(path)
        assert audio_onset == pytest.approx(2.0, abs=0.03), entry["name"]
        if entry["channel"] == "tiny":
            assert abs(_flash_onset(path) - audio_onset) <= 0.040, entry["name"]
            # Picture and sound both start at 0 and end together: AAC priming and Opus pre-skip came
            # along with the copied sound (MP4 edit lists), no offset, no padding left audible.
            streams = {s["codec_type"]: s for s in ffprobe(path)["streams"]}
            assert float(streams["video"]["start_time"]) == 0.0 and float(streams["audio"]["start_time"]) == 0.0
            assert float(streams["audio"]["duration"]) == pytest.approx(line["total"], abs=0.001), entry["name"]
            assert float(streams["video"]["duration"]) == pytest.approx(line["total"], abs=0.001), entry["name"]
            head = path.read_bytes()
            assert head.index(b"moov") < head.index(b"mdat"), entry["name"]  # faststart: the index up front
        # The sound in the muxed file is the sound that was measured: ffmpeg's ebur128 on the file itself.
        integrated, true_peak = _ebur128_exact(path)
        assert entry["loudness_out"]["integrated_lufs"] == pytest.approx(integrated, abs=0.006), entry["name"]
        assert entry["loudness_out"]["true_peak_dbtp"] == pytest.approx(true_peak, abs=0.006), entry["name"]
    assert {e["name"] for e in data["renditions"]} == {"tiny/small", "tiny/opus", "lowband/aac", "lowband/opus"}
    assert_on_target(tmp_path / "build", "kilat")


def _ebur128_exact(path: Path) -> tuple[float, float]:
    """ffmpeg's ebur128 filter to three decimals (its metadata on the last frame covers the whole file)."""
    keys = "ametadata=mode=print:key=lavfi.r128.I,ametadata=mode=print:key=lavfi.r128.true_peak"
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", f"ebur128=peak=true:metadata=1,{keys}", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    integrated = float(re.findall(r"lavfi\.r128\.I=(-?[0-9.]+)", log)[-1])
    peak = float(re.findall(r"lavfi\.r128\.true_peak=([0-9.]+)", log)[-1])
    return integrated, 20 * math.log10(peak)


def _beep_onset(path: Path) -> float:
    """First instant the 1 kHz beep is present: high-passed envelope over a quarter of its peak."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-af", "highpass=f=600:poles=2",
         "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = memoryview(raw).cast("h")
    peak = max(abs(v) for v in samples)
    first = next(i for i, v in enumerate(samples) if abs(v) > peak / 4)
    return first / 48000


def _flash_onset(path: Path) -> float:
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "gray",
         "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    size = 160 * 90
    frames = [raw[i : i + size] for i in range(0, len(raw), size)]
    first = next(n for n, f in enumerate(frames) if sum(f) / size > 128)
    return first / 25


def test_silence_and_unreachable_targets_fail_clearly_and_the_rest_still_finishes(tmp_path: Path) -> None:
    silent = tmp_path / "s.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo:d=3", str(silent))
    silent_project = audio_project(tmp_path, "sunyi", silent, "radio")
    # 3 s of 12 Hz rumble at -1 dBFS: loudness meters barely hear it (-25.6 LUFS). Radio's -23 LUFS
    # needs a little limiting; the low-band channel's -16 LUFS would need more than 18 dB of it.
    rumble = tmp_path / "k.wav"
    ffmpeg("-f", "lavfi", "-i", "aevalsrc='0.89*sin(2*PI*12*t)':s=48000:d=3", "-ac", "2", str(rumble))
    rumbling = audio_project(tmp_path, "gemuruh", rumble, "radio, lowband")
    code, output = build(tmp_path, silent_project, rumbling)
    assert code == 1
    assert "FAIL sunyi: the PSA's sound is silent (loudness -inf): nothing to normalise (check that spot.wav" in output
    assert "lowband/aac" in output and "cannot reach -16.0 LUFS within the -1.0 dBTP ceiling" in output, output
    assert "lower this channel's loudness target" in output
    built = tmp_path / "build" / "gemuruh"
    names = [e["name"] for e in record(tmp_path / "build", "gemuruh")["renditions"]]
    assert "radio/wav" in names and "lowband/aac" not in names and "lowband/opus" not in names
    assert "FAIL gemuruh:" in output
    assert sorted(p.name for p in built.rglob("*") if p.is_file()) == sorted(
        ["renditions.json", *(Path(e["file"]).name for e in record(tmp_path / "build", "gemuruh")["renditions"])]
    )  # nothing half-written: only finished files and their record
    assert not (tmp_path / "build" / "sunyi").exists() or not any((tmp_path / "build" / "sunyi").rglob("*"))
