"""Awkward inputs as media agencies send them, synthesised with the real ffmpeg (and espeak-ng).

Each maker writes one small file (a second or two, 320x180 or so) and returns its path; the
sync clips carry a white flash and a 1 kHz beep at the same instant (SYNC_AT) so an output's
audio/video offset can be measured. Nothing here imports psa_pipeline: the corpus and the
measurements are independent of the code under test.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

SYNC_AT = 1.0
SECONDS = 2.0


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def _flash(size: str, rate: str, seconds: float, at: float) -> str:
    # Black picture, white for two frames from `at`: YAVG jumps there and nowhere else.
    return (
        f"color=c=black:s={size}:r={rate}:d={seconds},"
        f"drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,{at},{at + 0.07})'"
    )


def _beep(seconds: float, at: float, rate: int = 48000) -> str:
    return f"aevalsrc='if(between(t,{at},{at + 0.1}),0.5*sin(2*PI*1000*t),0)':s={rate}:d={seconds}"


def sync_clip(
    path: Path,
    audio_late: float = 0.0,
    video_late: float = 0.0,
    rate: str = "25",
    vfr: bool = False,
    size: str = "320x180",
    seconds: float = SECONDS,
    video_seconds: float | None = None,
) -> Path:
    """Flash and beep at SYNC_AT in the file's own time; either stream may start late.

    A late stream in an MP4 is written as an edit list; in Matroska as the stream's start time
    (ffmpeg's MP4 muxer stretches the first frame of a late picture instead, so use .mkv for that).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = _flash(size, rate, video_seconds or seconds - video_late, SYNC_AT - video_late)
    if vfr:
        # A phone drops frames under load: every fifth one missing, timestamps kept.
        picture += ",select='not(eq(mod(n\\,5)\\,2))'"
    args = ["-itsoffset", str(video_late), "-f", "lavfi", "-i", picture]
    args += ["-itsoffset", str(audio_late), "-f", "lavfi", "-i", _beep(seconds - audio_late, SYNC_AT - audio_late)]
    # No B-frames and, in Matroska, FLAC: x264's reorder delay and AAC's priming are not stored there
    # and would put the source itself out of sync.
    args += ["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-pix_fmt", "yuv420p"]
    if vfr:
        args += ["-fps_mode", "vfr"]
    ffmpeg(*args, "-c:a", "flac" if path.suffix == ".mkv" else "aac", str(path))
    return path


def remuxed_late_picture(path: Path, late: float = 0.48) -> Path:
    """An MP4 whose picture track was slid `late` seconds later when remuxed: an edit list with an
    empty edit, the way editors and `-itsoffset` remuxes write it. Flash and beep are `late` apart."""
    base = sync_clip(path.with_name("base-" + path.name))
    ffmpeg(
        "-i", str(base), "-itsoffset", str(late), "-i", str(base), "-map", "1:v", "-map", "0:a", "-c", "copy", str(path)
    )
    base.unlink()
    return path


def speech(path: Path, text: str = "Laporkan pungli lewat SMS satu tujuh nol delapan.") -> Path:
    """A short spoken line (espeak-ng, Indonesian voice) as WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-v", "id", "-s", "190", "-w", str(path), text], check=True, timeout=60)
    return path


def vbr_without_header(path: Path, codec: str) -> Path:
    """3 s of silence then 2 s of noise, VBR, no duration in the header: bitrate guesses go far wrong.

    `codec` is "mp3" (no Xing header) or "adts" (raw AAC, which never has one).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sources = ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=3",
               "-f", "lavfi", "-i", "anoisesrc=d=2:c=pink:r=44100:a=0.3"]  # fmt: skip
    graph = ["-filter_complex", "[0][1]concat=n=2:v=0:a=1"]
    if codec == "mp3":
        ffmpeg(*sources, *graph, "-c:a", "libmp3lame", "-q:a", "0", "-write_xing", "0", str(path))
    else:
        ffmpeg(*sources, *graph, "-c:a", "aac", "-q:a", "2", "-f", "adts", str(path))
    return path


def rotated_portrait(path: Path) -> Path:
    """A phone held upright: 320x180 coded, display matrix says turn 90 degrees. Top half white."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = path.with_name(path.stem + "-coded.mp4")
    # Coded landscape with the white half on the left; turned upright it becomes the top or bottom half.
    ffmpeg("-f", "lavfi", "-i", f"color=c=black:s=320x180:r=25:d={SECONDS},drawbox=x=0:y=0:w=160:h=180:color=white:t=fill",
           "-f", "lavfi", "-i", f"sine=f=500:d={SECONDS}", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(plain))  # fmt: skip
    ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(path))
    plain.unlink()
    return path


def portrait(path: Path, size: str = "180x320") -> Path:
    """A small upright clip (180x320): fine for 9:16 channels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={size}:r=25:d={SECONDS}", "-f", "lavfi", "-i", f"sine=d={SECONDS}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))  # fmt: skip
    return path


def anamorphic(path: Path) -> Path:
    """PAL 16:9 anamorphic: 720x576 coded, pixels 64:45 wide. A white circle-free frame: grey with a white
    centre square that is square only when shown at 16:9."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # 1024x576 display; a 288x288 displayed square is 202.5 coded pixels wide.
    ffmpeg("-f", "lavfi", "-i", f"color=c=gray:s=720x576:r=25:d={SECONDS},"
           "drawbox=x=259:y=144:w=202:h=288:color=white:t=fill,setsar=64/45",
           "-f", "lavfi", "-i", f"sine=d={SECONDS}", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-aspect", "16:9", "-c:a", "aac", "-shortest", str(path))  # fmt: skip
    return path


def interlaced(path: Path, flagged: bool = True) -> Path:
    """Interlaced footage: 50 fields/s of a moving pattern woven into 25 frames/s.

    `flagged`: MPEG-2 with top-field-first set, as a broadcast export; otherwise H.264 that says
    "progressive" while every frame is combed, as an editor's careless export.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    woven = f"testsrc2=s=320x180:r=50:d={SECONDS},tinterlace=mode=interleave_top"
    if flagged:
        codec = ["-c:v", "mpeg2video", "-q:v", "3", "-flags", "+ilme+ildct", "-top", "1", "-c:a", "mp2"]
    else:
        codec = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    ffmpeg("-f", "lavfi", "-i", woven, "-f", "lavfi", "-i", f"sine=d={SECONDS}", *codec, "-shortest", str(path))
    return path


def hdr(path: Path, transfer: str = "smpte2084") -> Path:
    """10-bit HDR as a phone records it, but in H.264 High 10 (no HEVC encoder needed): BT.2020 primaries,
    PQ (`smpte2084`) or HLG (`arib-std-b67`) transfer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={SECONDS},format=yuv420p10le",
           "-f", "lavfi", "-i", f"sine=d={SECONDS}", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", transfer,
           "-colorspace", "bt2020nc", "-c:a", "aac", "-shortest", str(path))  # fmt: skip
    return path


def two_tracks(path: Path, default_second: bool = True) -> Path:
    """Two audio tracks: a silent first one and the programme (a 440 Hz tone) second."""
    path.parent.mkdir(parents=True, exist_ok=True)
    disposition = ["-disposition:a:0", "0", "-disposition:a:1", "default"] if default_second else []
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={SECONDS}",
           "-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={SECONDS}",
           "-f", "lavfi", "-i", f"sine=f=440:d={SECONDS}",
           "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", *disposition, "-shortest", str(path))  # fmt: skip
    return path


def truncated_mp4(path: Path, keep: float = 0.6) -> Path:
    """A 6 s MP4 with its index up front (faststart) and only the first `keep` of its bytes."""
    whole = sync_clip(path.with_name("whole-" + path.name), seconds=6.0)
    ffmpeg("-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(path))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    whole.unlink()
    return path


def lfs_pointer(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345678\n"
    )
    return path


def text_named_mp4(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Video final ada di Google Drive: https://drive.google.com/...\n")
    return path


def garbage(path: Path) -> Path:
    """Binary bytes that are no container at all (a file from another program, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes((i * 7919) % 251 for i in range(4096)))
    return path


def empty(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def manifest(folder: Path, psa_id: str, sources: str, channels: str, extra: str = "") -> Path:
    """A video or radio PSA manifest around `sources` (YAML flow mapping), no jingles unless `extra` adds them."""
    kind = "video" if "video:" in sources else "radio-drama"
    folder.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(f"""\
        schema: 1
        id: {psa_id}
        title: "Tolak Pungli"
        agency: {{name: Diskominfo Kaltim, code: DISKOMINFO-KALTIM, province: Kalimantan Timur}}
        kind: {kind}
        themes: [pungli]
        language: ind
        sources: {sources}
        channels: [{channels}]
        approval: {{approved_by: Ahmad, role: Kepala Dinas, date: 2025-02-01}}
        """)
    (folder / "psa.yaml").write_text(text + textwrap.dedent(extra))
    return folder / "psa.yaml"
