"""Awkward inputs from real agencies come out right, measured on the output with ffmpeg alone.

One `psa build` makes every corpus project (module-scoped: the corpus is generated once); each
test then measures one class of the issue on the finished files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import corpus
import measure
import pytest
from helpers import ROOT, run_psa

pytestmark = pytest.mark.media

CHANNELS = ROOT / "tests" / "data" / "corpus-channels.yaml"
FRAME = 1 / 25
END_CARD = '\nend_card: {text: "Laporkan: www.lapor.go.id | SMS 1708", duration: 1.0}\n'

# psa id -> (media file name, maker, sources line key, channels, extra manifest text)
Maker = Callable[[Path], Path]
PROJECTS: dict[str, tuple[str, Maker, str, str]] = {
    "sync-audio-late": ("main.mp4", lambda p: corpus.sync_clip(p, audio_late=0.5), "whatsapp", ""),
    "sync-video-late": ("main.mkv", lambda p: corpus.sync_clip(p, video_late=0.48), "whatsapp", ""),
    "sync-ts": ("main.ts", lambda p: corpus.sync_clip(p, video_late=0.48), "whatsapp", ""),
    "sync-edit-list": ("main.mp4", corpus.remuxed_late_picture, "whatsapp", ""),
    "sync-vfr": ("main.mp4", lambda p: corpus.sync_clip(p, rate="30", vfr=True), "whatsapp", ""),
    "sync-ntsc": ("main.mp4", lambda p: corpus.sync_clip(p, rate="30000/1001"), "whatsapp", ""),
    "short-picture": ("main.mp4", lambda p: corpus.sync_clip(p, video_seconds=1.2), "whatsapp", END_CARD),
    "rotated": ("main.mp4", corpus.rotated_portrait, "web, social, whatsapp", ""),
    "anamorphic": ("main.mp4", corpus.anamorphic, "web, social", ""),
    "portrait-small": ("main.mp4", corpus.portrait, "social, whatsapp", ""),
    "interlaced-flagged": ("main.mpg", lambda p: corpus.interlaced(p, flagged=True), "whatsapp", ""),
    "interlaced-unflagged": ("main.mp4", lambda p: corpus.interlaced(p, flagged=False), "whatsapp", ""),
    "hdr-pq": ("main.mp4", corpus.hdr, "whatsapp", ""),
    "hdr-hlg": ("main.mp4", lambda p: corpus.hdr(p, "arib-std-b67"), "whatsapp", ""),
    "two-tracks": ("main.mp4", corpus.two_tracks, "whatsapp", ""),
    "radio-vbr-mp3": ("voice.mp3", lambda p: corpus.vbr_without_header(p, "mp3"), "radio", ""),
    "radio-adts-aac": ("voice.aac", lambda p: corpus.vbr_without_header(p, "adts"), "radio", ""),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every corpus project built once; returns the build folder."""
    root = tmp_path_factory.mktemp("awkward")
    for psa_id, (name, make, channels, extra) in PROJECTS.items():
        folder = root / "projects" / psa_id
        make(folder / "media" / name)
        key = "audio" if channels == "radio" else "video"
        corpus.manifest(folder, psa_id, f"{{{key}: media/{name}}}", channels, extra)
    build = root / "build"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PSA_LANG", "en")  # module-scoped: the per-test English fixture has not run yet
        result = run_psa("build", "--channels", CHANNELS, "-o", build, root / "projects")
    # Each test checks its own PSA built, so one broken class does not hide the others.
    (build / "log.txt").write_text(result.stdout + result.stderr)
    return build


def output(build: Path, psa_id: str, rendition: str) -> Path:
    record_file = build / psa_id / "renditions.json"
    assert record_file.is_file(), (build / "log.txt").read_text()
    record = json.loads(record_file.read_text())
    entry = next(e for e in record["renditions"] if e["name"] == rendition)
    return build / psa_id / entry["file"]


SYNCED = ["sync-audio-late", "sync-video-late", "sync-ts", "sync-edit-list", "sync-vfr", "sync-ntsc", "short-picture"]


@pytest.mark.parametrize("psa_id", SYNCED)
def test_sound_and_picture_keep_the_sources_timing_within_a_frame(built: Path, psa_id: str) -> None:
    source = built.parent / "projects" / psa_id / "media" / PROJECTS[psa_id][0]
    intended = measure.first_flash(source) - measure.first_beep(source)  # 0 except the slid edit list
    path = output(built, psa_id, "whatsapp/small")
    flash, beep = measure.first_flash(path), measure.first_beep(path)
    assert abs((flash - beep) - intended) <= FRAME + 0.001, (flash, beep, intended)
    assert beep == pytest.approx(corpus.SYNC_AT, abs=FRAME + 0.001)


@pytest.mark.parametrize("psa_id", ["radio-vbr-mp3", "radio-adts-aac"])
def test_radio_lengths_are_exact_for_files_without_a_duration_header(built: Path, psa_id: str) -> None:
    # 3 s of silence and 2 s of noise; header guesses said 13 s (MP3) and 82 s or 2 s (ADTS).
    assert measure.decoded_seconds(output(built, psa_id, "radio/wav")) == pytest.approx(5.0, abs=0.1)


def test_a_picture_shorter_than_its_sound_holds_its_last_frame_and_keeps_the_end_card(built: Path) -> None:
    path = output(built, "short-picture", "whatsapp/small")
    # Content is the sound's 2.0 s, then the 1.0 s end card: nothing cut.
    assert measure.decoded_seconds(path, "a") == pytest.approx(3.0, abs=0.1)
    assert measure.decoded_seconds(path, "v") == pytest.approx(3.0, abs=0.1)
    held = measure.region_mean(path, 1.8, (0, 0, 1, 0.3))  # the black last frame, held
    card = measure.region_mean(path, 2.6, (0, 0, 1, 0.3))  # the blue end card behind the text
    assert held < 25 < card, (held, card)


def test_a_portrait_phone_clip_is_upright_and_uses_a_portrait_frame(built: Path) -> None:
    upright = output(built, "rotated", "whatsapp/small")
    info = measure.video_stream(upright)
    assert (info["width"], info["height"]) == (180, 320)
    # Coded with its left half white and "turn 90 degrees" in the display matrix: shown upright the
    # white half spans the full width, at the top or the bottom.
    top, bottom = measure.region_mean(upright, 0.5, (0, 0, 1, 0.4)), measure.region_mean(upright, 0.5, (0, 0.6, 1, 1))
    left, right = measure.region_mean(upright, 0.5, (0, 0, 0.4, 1)), measure.region_mean(upright, 0.5, (0.6, 0, 1, 1))
    assert abs(top - bottom) > 150 and abs(left - right) < 20, (top, bottom, left, right)
    # In a landscape frame it is pillarboxed: the picture 180 wide... scaled to 101x180 in the middle.
    boxed = output(built, "rotated", "web/small")
    left_bar = measure.region_mean(boxed, 0.5, (0, 0, 0.25, 1))
    assert left_bar < 20


def test_anamorphic_pixels_are_shown_wide_never_squeezed(built: Path) -> None:
    path = output(built, "anamorphic", "web/small")
    left, top, right, bottom = measure.bright_box(path, 0.5)
    # A square on a 16:9 display: 90x90 in a 320x180 frame (it would be 64 wide if squeezed).
    assert right - left == pytest.approx(bottom - top, abs=3), (left, top, right, bottom)
    assert measure.region_mean(path, 0.5, (0, 0, 0.05, 1)) > 60  # grey to the edge: no pillarbox


def test_a_small_portrait_clip_is_accepted_and_fills_a_vertical_frame(built: Path) -> None:
    path = output(built, "portrait-small", "social/vertical")
    info = measure.video_stream(path)
    assert (info["width"], info["height"], info.get("sample_aspect_ratio", "1:1")) == (180, 320, "1:1")


@pytest.mark.parametrize("psa_id", ["interlaced-flagged", "interlaced-unflagged"])
def test_interlaced_sources_come_out_progressive(built: Path, psa_id: str, tmp_path: Path) -> None:
    interlaced, progressive = measure.idet(output(built, psa_id, "whatsapp/small"))
    assert progressive > 3 * interlaced, (interlaced, progressive)


@pytest.mark.parametrize("psa_id", ["hdr-pq", "hdr-hlg"])
def test_hdr_is_tone_mapped_to_8_bit_bt709(built: Path, psa_id: str) -> None:
    info = measure.video_stream(output(built, psa_id, "whatsapp/small"))
    assert info["pix_fmt"] == "yuv420p"
    assert info.get("color_transfer") == "bt709" and info.get("color_primaries") == "bt709"


def test_the_default_audio_track_is_used_not_a_silent_first_one(built: Path) -> None:
    assert measure.loudness(output(built, "two-tracks", "whatsapp/small")) == pytest.approx(-14.0, abs=0.6)


BROKEN: dict[str, tuple[Maker, str]] = {
    "empty": (corpus.empty, "the file is empty (0 bytes); export or copy it again"),
    "lfs": (
        corpus.lfs_pointer,
        "Git LFS pointer",  # validate and build both go on to say: run `git lfs pull`
    ),
    "text": (corpus.text_named_mp4, "this is a text file (it starts with 'Video final ada di Google Drive:"),
    "cut": (corpus.truncated_mp4, "this file is cut short: it ends at "),
    "cut-near-the-end": (lambda p: corpus.truncated_mp4(p, keep=0.98), "this file is cut short: it ends at 5."),
    "garbage": (
        lambda p: corpus.garbage(p),
        "this is not an audio or video file ffmpeg can read; export it again as MP4, WAV or MP3",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_files_are_refused_at_validate_with_a_reason_and_never_reach_ffmpeg(tmp_path: Path, case: str) -> None:
    make, reason = BROKEN[case]
    folder = tmp_path / "projects" / "rusak"
    make(folder / "media" / "main.mp4")
    manifest = corpus.manifest(folder, "rusak", "{video: media/main.mp4}", "whatsapp")
    result = run_psa("validate", manifest)
    assert result.code == 1
    line = next(
        (x for x in result.stdout.splitlines() if x.startswith(f"{manifest}:8:18: error: 'media/main.mp4'")), ""
    )
    assert reason in line, result.stdout
    assert "ffprobe" not in result.stdout and "[mov," not in result.stdout
    build = tmp_path / "build"
    result = run_psa("build", "--channels", CHANNELS, "-o", build, manifest)
    assert result.code == 1 and reason in result.stdout, result.stdout
    assert not (build / "rusak").exists() or not any((build / "rusak").rglob("*"))


def test_a_cut_short_file_says_where_it_ends(tmp_path: Path) -> None:
    path = corpus.truncated_mp4(tmp_path / "cut.mp4")
    result = run_psa("probe", path)
    assert result.code != 0
    assert re.search(r"this file is cut short: it ends at \d\.\d s of 6\.0 s; export or copy it again", result.stderr)


def test_the_build_log_and_probe_say_which_track_and_what_was_corrected(built: Path) -> None:
    log = (built / "log.txt").read_text()
    assert "main.mp4: uses audio track 2 of 2: marked default" in log
    assert "main.mp4: turned upright (display matrix: 90 degrees)" in log
    assert "main.mp4: HDR (smpte2084, yuv420p10le): tone-mapped to BT.709 8-bit" in log
    assert "main.mpg: interlaced (tt): deinterlaced" in log
    assert "main.mp4: interlaced (idet): deinterlaced" in log
    # Sharp, fast test patterns are progressive: only the two interlaced sources are deinterlaced.
    assert log.count("deinterlaced") == 2, log
    probed = run_psa("probe", "--no-loudness", built.parent / "projects" / "two-tracks" / "media" / "main.mp4")
    assert "uses      audio track 2 of 2: marked default" in probed.stdout, probed.stdout


def test_the_manifest_can_choose_the_audio_track_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "dua-trek"
    corpus.two_tracks(folder / "media" / "main.mp4")
    chosen = corpus.manifest(folder, "dua-trek", "{video: media/main.mp4, audio_track: 1}", "whatsapp")
    result = run_psa("build", "--channels", CHANNELS, "-o", tmp_path / "build", chosen)
    # Track 1 is the silent one: choosing it is honoured, and the silence is then refused.
    assert result.code == 1 and "the PSA's sound is silent" in result.stdout, result.stdout
    missing = corpus.manifest(folder, "dua-trek", "{video: media/main.mp4, audio_track: 3}", "whatsapp")
    result = run_psa("validate", missing)
    assert (
        f"{missing}:8:47: error: audio_track: 3, but 'main.mp4' has only 2 audio tracks; choose 1 to 2" in result.stdout
    ), result.stdout
