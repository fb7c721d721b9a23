"""`psa init`: a new PSA folder with a manifest that explains every field."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.load import MANIFEST_NAME
from psa_pipeline.manifest.model import json_schema

SCHEMA_FILE = "psa.schema.json"

_HEADER = N_("""\
# yaml-language-server: $schema={schema}
# PSA manifest (psa-pipeline schema v1). Check it with:  psa validate {folder}
# Paths are relative to this folder; `asset:jingles/x.wav` names a file in the shared assets/ folder.
schema: 1

# Lowercase slug, unique across all PSAs; it names the output and storage folders.
id: {slug}
# Title as the public sees it.
title: "Tolak Pungli, Laporkan!"
agency:
  name: "Dinas Contoh Provinsi Kalimantan Tengah"   # full name, as on the end card
  code: DINAS-CONTOH                               # short code used in storage keys
  province: Kalimantan Tengah
# Topics: suap, pungli, gratifikasi, pajak, lapor, integritas, pelayanan, hoaks, ...
themes: [pungli, lapor]
# Primary spoken language, ISO 639-3: ind (Indonesian), nij (Dayak Ngaju), bjn (Banjar),
# vkt (Kutai Tenggarong), mui (Musi/Palembang), jav, sun, ...
language: ind
""")

_VIDEO = N_("""\
kind: video
sources:
  video: media/main.mp4          # the edited parody / drama, with its sound
""")

_RADIO = N_("""\
kind: radio-drama
sources:
  # Either one mixed file:
  #   audio: media/drama.wav
  # or the separate tracks, mixed by psa build (music is ducked under the voices):
  multitrack:
    voices:
      - file: media/voice-1.wav
        start: 0.0               # seconds into the drama
        gain_db: 0.0
      - file: media/voice-2.wav
        start: 4.0
    music:
      - file: media/music-bed.wav
        gain_db: -8.0
        duck_db: 12.0            # how far the music dips while someone speaks
    effects: []
# Make a video (still card with waveform and captions) so the drama can go to video channels.
audiogram: false
""")

_TAIL = N_("""\
jingles:
  intro:
    file: asset:jingles/lapor-intro.wav
    gap: 0.0                     # seconds of silence after the jingle
  # outro:
  #   file: asset:jingles/lapor-outro.wav
  #   crossfade: 0.5             # seconds the jingle overlaps the end of the content
subtitles:
  # One track per language; cue times count from the start of the content (not the jingle).
  tracks:
    - lang: ind
      file: subtitles/ind.srt    # SRT or WebVTT, UTF-8
  # Language burned into the picture per channel (social and whatsapp show captions in the picture).
  {burn_in}
  # Readability limits (defaults shown); raise them only with a reason.
  # rules: {{max_lines: 2, max_chars_per_line: 42, max_chars_per_second: 17, min_duration: 0.833,
  #          max_duration: 7, min_gap: 0.08}}
end_card:
  text: "Laporkan pungli: www.lapor.go.id | SMS 1708"
  duration: 4
  # logo: asset:logos/lapor.png
# Where it goes: radio, web, youtube, social (9:16), whatsapp, pedalaman (low bandwidth).
channels: [{channels}]
# slot: 60                       # broadcast spot length in seconds; the whole PSA must fit
# Publishing needs approval; fill this in once the PSA is signed off.
# approval:
#   approved_by: "Nama Pejabat"
#   role: "Kepala Dinas"
#   date: 2025-01-31
""")


def manifest_text(kind: Literal["video", "radio-drama"], slug: str, schema_ref: str, folder: str) -> str:
    """The commented manifest, its comments in the chosen language (Indonesian by default)."""
    body = _(_VIDEO) if kind == "video" else _(_RADIO)
    channels = "web, youtube, social" if kind == "video" else "radio, pedalaman"
    burn_in = "burn_in:\n    social: ind" if kind == "video" else "burn_in: {}"
    tail = _(_TAIL).format(channels=channels, burn_in=burn_in)
    return _(_HEADER).format(schema=schema_ref, folder=folder, slug=slug) + body + tail


def slug_for(folder: Path) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in folder.resolve().name.lower())
    slug = "-".join(part for part in cleaned.split("-") if part)
    return slug if len(slug) >= 3 else f"psa-{slug or 'baru'}"


def init_project(folder: Path, kind: Literal["video", "radio-drama"]) -> Path:
    """Create `folder` with a commented manifest and empty media/ and subtitles/ folders."""
    manifest = folder / MANIFEST_NAME
    if manifest.exists():
        raise PsaError(_("{manifest} already exists; not overwriting it").format(manifest=manifest))
    if folder.exists() and not folder.is_dir():
        raise PsaError(_("{folder} exists and is not a folder").format(folder=folder))
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("media", "subtitles"):
        (folder / sub).mkdir(exist_ok=True)
    schema_ref = _schema_reference(folder)
    text = manifest_text(kind, slug_for(folder), schema_ref, str(folder))
    with atomic_text(manifest) as handle:
        handle.write(text)
    return manifest


def _schema_reference(folder: Path) -> str:
    """Relative path to a schema file editors can load: the project's own, else one written beside."""
    for parent in (folder.resolve(), *folder.resolve().parents):
        candidate = parent / "schema" / SCHEMA_FILE
        if candidate.is_file():
            return os.path.relpath(candidate, folder.resolve())
    (folder / SCHEMA_FILE).write_text(json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8")
    return SCHEMA_FILE
