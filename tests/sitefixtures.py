"""Published-looking PSAs for the site, feed and schedule tests: a video PSA on radio, web and WhatsApp.

Like fakebuild.py, the build folder is a real `renditions.json` with the input fingerprints psa
build writes, so publish treats it as a real build; the files' bytes are whatever the test passes
(tiny real media made once with ffmpeg, since publishing fingerprints every rendition; the browser tests pass
their own playable media). Tests using it are `media` tests.
"""

from __future__ import annotations

import hashlib
import tempfile
import textwrap
from pathlib import Path

from fakebuild import AGENCIES, FakePsa, approve, psa_summary, sha256, sound, write_manifest
from helpers import ffmpeg

from psa_pipeline.records.renditions import (
    Captions,
    LoudnessValues,
    RenditionEntry,
    RenditionsRecord,
    Sidecar,
    StreamSummary,
    Target,
)

BASE_URL = "https://psa.example.go.id"


def channels_yaml(root: Path, publish: Path, base_url: str | None = BASE_URL) -> Path:
    """A channels file publishing every channel to the folder `publish` (served at `base_url`)."""
    served = f", public_base_url: '{base_url}'" if base_url else ""
    config = root / "channels.yaml"
    config.write_text(f"destinations:\n  default: {{type: folder, path: '{publish}'{served}}}\n", encoding="utf-8")
    return config


def _bytes(seed: str, size: int) -> bytes:
    return (hashlib.sha256(seed.encode()).digest() * (size // 32 + 1))[:size]


_MEDIA: dict[str, bytes] = {}


def _media(kind: str, seed: str) -> bytes:
    """Tiny real media of `kind` (publishing fingerprints every rendition), distinct per `seed`.

    Made once per test process with ffmpeg; each file then gets its own bytes from a trailer the
    players ignore (an MP4 `free` box, an ID3v1 tag), so the site's hash table can tell files apart.
    """
    if kind == "wav":
        return sound(seed.encode(), 9000)
    if kind not in _MEDIA:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / f"base.{'mp4' if kind.endswith('mp4') else kind}"
            picture = ["-f", "lavfi", "-i", "testsrc2=s=64x36:r=10:d=1.2"] if kind.endswith("mp4") else []
            codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", "32k"]}.get(
                kind, ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "32k"]
            )
            ffmpeg(*picture, "-f", "lavfi", "-i", "sine=f=440:sample_rate=16000:d=1.2", *codec, "-shortest", str(out))
            _MEDIA[kind] = out.read_bytes()
    tag = hashlib.sha256(seed.encode()).hexdigest().encode()
    if kind == "mp3":
        return _MEDIA[kind] + b"TAG" + tag[:30] + bytes(95)
    return _MEDIA[kind] + (8 + len(tag)).to_bytes(4, "big") + b"free" + tag


def site_psa(
    root: Path,
    psa_id: str,
    agency_code: str = "DISKOMINFO-KALTIM",
    schedule: str = "",
    themes: str = "pungli, lapor",
    media: dict[str, bytes] | None = None,
    vertical: tuple[int, int, float] | None = None,
    youtube: tuple[str, ...] | None = None,
    title: str | None = None,
) -> FakePsa:
    """projects/<id>/psa.yaml (approved) and build/<id>/ with radio MP3+WAV, web MP4 + VTT/SRT, WhatsApp MP4.

    `media` replaces the made-up bytes of a file by its kind: "mp3", "wav", "mp4", "small.mp4", "ind.vtt", "nij.vtt",
    "vertical.mp4", "yt.mp4". `vertical` (width, height, seconds) adds a `social` channel rendition of that shape;
    `youtube` (caption languages) a `youtube` channel rendition with SRT sidecars for those languages.
    """
    media = media or {}
    province = AGENCIES[agency_code][1]
    project = root / "projects" / psa_id
    (project / "media").mkdir(parents=True, exist_ok=True)
    source = project / "media" / "main.mp4"
    source.write_bytes(f"source of {psa_id}".encode())
    body = f"""\
        kind: video
        themes: [{themes}]
        sources: {{video: media/main.mp4}}
        subtitles:
          tracks:
            - {{lang: ind, cues: [{{start: 0, end: 1.5, text: "Tolak pungli"}}]}}
            - {{lang: nij, cues: [{{start: 0, end: 1.5, text: "Dia pungli"}}]}}
        end_card: {{text: "Laporkan pungli: www.lapor.go.id / SMS 1708"}}
        channels: [radio, web, whatsapp{", youtube" if youtube is not None else ""}]
        """
    manifest = write_manifest(project, psa_id, agency_code, province, textwrap.dedent(body) + schedule)
    if title:
        manifest.write_text(manifest.read_text().replace(f'title: "Tolak Pungli {psa_id}"', f"title: {title!r}"))
    build = root / "build" / psa_id
    build.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}

    def put(file: str, kind: str, size: int) -> tuple[str, bytes]:
        real = kind in ("mp3", "wav") or kind.endswith("mp4")
        data = media.get(kind) or (_media(kind, f"{psa_id}/{file}") if real else _bytes(f"{psa_id}/{file}", size))
        (build / file).write_bytes(data)
        files[file] = data
        return file, data

    entries = [
        _entry(*put(f"{psa_id}-radio-mp3.mp3", "mp3", 4000), "radio", "mp3", video=False),
        _entry(*put(f"{psa_id}-radio-wav.wav", "wav", 9000), "radio", "wav", video=False),
        _entry(
            *put(f"{psa_id}-web-720p.mp4", "mp4", 6000),
            "web",
            "720p",
            video=True,
            sidecars=[
                _sidecar(*put(f"{psa_id}-web-720p.{lang}.{fmt}", f"{lang}.{fmt}", 200), lang, fmt)
                for lang in ("ind", "nij")
                for fmt in ("vtt", "srt")
            ],
        ),
        _entry(*put(f"{psa_id}-whatsapp-small.mp4", "small.mp4", 3000), "whatsapp", "small", video=True),
    ]
    if youtube is not None:
        sidecars = [_sidecar(*put(f"{psa_id}-youtube-1080p.{lang}.srt", f"yt.{lang}.srt", 300), lang, "srt")
                    for lang in youtube]  # fmt: skip
        entries.append(_entry(*put(f"{psa_id}-youtube-1080p.mp4", "yt.mp4", 7000), "youtube", "1080p", video=True,
                              sidecars=sidecars))  # fmt: skip
    if vertical:
        width, height, seconds = vertical
        social = _entry(*put(f"{psa_id}-social-vertical.mp4", "vertical.mp4", 5000), "social", "vertical", video=True)
        video = social.streams[0].model_copy(update={"width": width, "height": height})
        entries.append(social.model_copy(update={"duration": seconds, "streams": [video, *social.streams[1:]]}))
    summary = psa_summary(psa_id, agency_code, province, "video", ["ind", "nij"], seconds=2)
    inputs = {"psa.yaml": sha256(manifest.read_bytes()), "media/main.mp4": sha256(source.read_bytes())}
    RenditionsRecord(psa=summary, inputs=inputs, program=None, renditions=entries).write(build / "renditions.json")
    fake = FakePsa(manifest, root / "build", psa_id, files)
    approve(fake)  # a reviewer approved exactly this build, as publishing needs
    return fake


def _sidecar(file: str, data: bytes, lang: str, fmt: str) -> Sidecar:
    return Sidecar(file=file, size=len(data), sha256=sha256(data), lang=lang, format=fmt)


def _entry(
    file: str, data: bytes, channel: str, rendition: str, video: bool, sidecars: list[Sidecar] | None = None
) -> RenditionEntry:
    loudness = LoudnessValues(integrated_lufs=-16.0, loudness_range_lu=3.0, true_peak_dbtp=-1.5)
    streams = [StreamSummary(kind="audio", codec="aac", sample_rate=48000, channels=2)]
    if video:
        streams.insert(0, StreamSummary(kind="video", codec="h264", width=320, height=180, frame_rate=25))
    return RenditionEntry(
        file=file, size=len(data), sha256=sha256(data), name=f"{channel}/{rendition}", channel=channel,
        rendition=rendition, duration=2.0, streams=streams, loudness_in=loudness, loudness_out=loudness,
        target=Target(integrated_lufs=-16.0, true_peak_dbtp=-1.0), gain_db=0.0, limiter_db=None,
        captions=Captions(soft=["ind", "nij"] if video else []), sidecars=sidecars or [], cache_key=sha256(data),
    )  # fmt: skip
