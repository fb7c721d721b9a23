"""What every benchmark approach must produce: the project's constants, renditions, timeline and paths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common import ROOT

DEFAULT_OUT = ROOT / "bench-out"
# Bump when the generated media or manifest changes, so a stale project is regenerated.
GENERATOR_VERSION = 4

PSA_ID = "bench-diskominfo-tolak-suap"
TITLE = "Tolak Suap, Laporkan ke SP4N-LAPOR!"
AGENCY = "Diskominfo Provinsi Kalimantan Tengah"
AGENCY_CODE = "BENCH-DISKOMINFO"
PROVINCE = "Kalimantan Tengah"
END_TEXT = "Laporkan suap dan pungli: www.lapor.go.id | SMS 1708"
LABELS = {"ind": "Bahasa Indonesia", "nij": "Dayak Ngaju"}

SOURCE_SIZE = (1920, 1080)
SOURCE_FPS = 30
RATE = 48_000
JINGLE_S = 2.0
INTRO_GAP = 0.3
OUTRO_CROSSFADE = 0.5
END_CARD_S = 4.0
CUE_PERIOD = 5.0  # one cue per spoken phrase (espeak-ng); the music bed plays on in the pauses

# What the built-in channel profiles (psa_pipeline/data/channels.yaml) ask for; the other
# approaches are written from the same numbers, as an engineer reading that file would.
FPS = 25
GOP = 12  # psa: round(fps / 2), closed GOP, 2 B-frames
PRESET = "veryfast"
CARD_COLOUR = "0x0B3D91"
TRUE_PEAK = -1.0
TOLERANCE = 0.2  # EBU R128 s1 QC tolerance, psa's default
LOSSY_MARGIN = 1.0  # AAC and MP3 raise true peaks a little; psa keeps 1 dB of room too

FONT_DIR = Path("/usr/share/fonts/truetype/noto")
FONT_BOLD = FONT_DIR / "NotoSans-Bold.ttf"
FONT_REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
FALLBACK_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FALLBACK_REGULAR = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-y"]

# Twelve short phrases per language, readable at well under 17 characters per second.
CUES = {
    "ind": [
        "Ada yang minta uang pelicin?",
        "Tolak dengan sopan, tapi tegas.",
        "Layanan publik itu tanpa suap.",
        "Jangan beri suap, sekecil apa pun.",
        "Catat waktu, tempat, dan namanya.",
        "Laporkan lewat SP4N-LAPOR!",
        "Kunjungi www.lapor.go.id",
        "Atau kirim SMS ke 1708.",
        "Identitas pelapor dirahasiakan.",
        "Bersama kita lawan korupsi.",
        "Integritas dimulai dari kita.",
        "Tolak suap, laporkan pungli!",
    ],
    # Benchmark filler in the style of the sample project's Dayak Ngaju track, not a
    # reviewed translation: only its length and timing matter here.
    "nij": [
        "Aton je balaku duit pelicin?",
        "Dia tau manenga suap!",
        "Pelayanan publik dia bayar.",
        "Ela manenga suap, ije kurik kea.",
        "Catat andau, eka, tuntang arae.",
        "Lapor hung SP4N-LAPOR!",
        "Dumah hung www.lapor.go.id",
        "Atawa SMS ka 1708.",
        "Aran pelapor inyimpan.",
        "Hapakat kuat malawan korupsi.",
        "Integritas bahanjak bara itah.",
        "Dia tau manenga suap, lapor!",
    ],
}


# ---- what every approach must produce ----------------------------------------------------


@dataclass(frozen=True)
class Target:
    channel: str
    name: str
    ext: str
    lufs: float
    audio_codec: str
    audio_bitrate: str | None
    size: tuple[int, int] | None = None
    crf: int = 0
    maxrate: str = ""
    bufsize: str = ""
    soft: bool = False
    burn: bool = False
    sidecars: bool = False

    @property
    def key(self) -> str:
        return f"{self.channel}/{self.name}"

    @property
    def relative(self) -> Path:
        return Path(PSA_ID) / self.channel / f"{PSA_ID}-{self.channel}-{self.name}.{self.ext}"

    def sidecar(self, lang: str, fmt: str) -> Path:
        return self.relative.with_name(f"{self.relative.stem}.{lang}.{fmt}")


TARGETS = (
    Target("web", "1080p", "mp4", -14.0, "aac", "192k", (1920, 1080), 21, "8M", "16M", soft=True, sidecars=True),
    Target("web", "720p", "mp4", -14.0, "aac", "160k", (1280, 720), 22, "5M", "10M", soft=True),
    Target("social", "vertical", "mp4", -14.0, "aac", "128k", (1080, 1920), 22, "6M", "12M", burn=True),
    Target("radio", "mp3", "mp3", -23.0, "libmp3lame", "192k"),
    Target("radio", "wav", "wav", -23.0, "pcm_s24le", None),
)
WEB_1080, WEB_720, SOCIAL, RADIO_MP3, RADIO_WAV = TARGETS
LANGS = ("ind", "nij")
BURN_LANG = "ind"


@dataclass(frozen=True)
class Timeline:
    """intro jingle, gap, content, outro jingle (crossfaded into the content's end), end card."""

    content: float

    @property
    def content_start(self) -> float:
        return JINGLE_S + INTRO_GAP

    @property
    def outro_start(self) -> float:
        return self.content_start + self.content - OUTRO_CROSSFADE

    @property
    def audio_end(self) -> float:
        return self.outro_start + JINGLE_S

    @property
    def total(self) -> float:
        return self.audio_end + END_CARD_S

    @property
    def tail(self) -> float:
        """The closing card: under the outro jingle, then the end card on its own."""
        return self.total - self.content_start - self.content

    def length(self, target: Target) -> float:
        return self.total if target.size else self.audio_end


@dataclass(frozen=True)
class Paths:
    out: Path

    @property
    def project(self) -> Path:
        return self.out / "project"

    @property
    def main(self) -> Path:
        return self.project / "media" / "main.mp4"

    @property
    def intro(self) -> Path:
        return self.out / "assets" / "jingles" / "intro.wav"

    @property
    def outro(self) -> Path:
        return self.out / "assets" / "jingles" / "outro.wav"

    def srt(self, lang: str) -> Path:
        return self.project / "subtitles" / f"{lang}.srt"

    @property
    def stamp(self) -> Path:
        return self.out / ".bench-inputs.json"

    def build(self, approach: str) -> Path:
        return self.out / f"build-{approach}"
