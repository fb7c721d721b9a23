"""Social upload kits: per PSA and platform, a folder (and a zip) a media officer posts from a phone.

The platforms' posting APIs need business verification most offices do not have, so psa prepares
everything a manual post needs: the right rendition (vertical 9:16 from the `social` channel), a
cover frame, and the caption text in Indonesian and English with hashtags and the SP4N-LAPOR! call
to action. Planning is pure (`plan_kits`); copying, the cover frame (ffmpeg) and the zip are `make_kit`.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from psa_pipeline.core.atomic import atomic_text, temporary_name
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.media.runner import run_ffmpeg
from psa_pipeline.records.renditions import RenditionEntry, RenditionsRecord


@dataclass(frozen=True)
class Platform:
    name: str
    min_seconds: float
    max_seconds: float
    min_width: int  # of the 9:16 picture
    caption_max: int  # characters
    hashtags_max: int


# docs/reference platforms table (shared/reference/platforms.md): Reels 3 s - 15 min, Facebook Reels 3-90 s,
# TikTok 5-60 s at 720x1280 or more (its ads page, the only official figure we have); captions 2,200 characters.
PLATFORMS: dict[str, Platform] = {
    "instagram-reels": Platform("Instagram Reels", 3, 900, 540, 2200, 30),
    "tiktok": Platform("TikTok", 5, 60, 720, 2200, 30),
    "facebook-reels": Platform("Facebook Reels", 3, 90, 540, 2200, 30),
}
CAPTION_LANGUAGES = ("id", "en")
LAPOR = {
    "id": "Laporkan korupsi ke SP4N-LAPOR!: www.lapor.go.id atau SMS 1708 (LAPOR spasi isi aduan).",
    "en": "Report corruption to SP4N-LAPOR!: www.lapor.go.id or SMS 1708.",
}
INTRO = {"id": "Iklan layanan masyarakat antikorupsi dari", "en": "An anti-corruption public service announcement by"}
THEME_TAGS = {
    "suap": ["TolakSuap"],
    "pungli": ["SaberPungli", "TolakPungli"],
    "gratifikasi": ["TolakGratifikasi"],
    "pajak": ["TaatPajak"],
    "lapor": ["LAPOR1708", "SP4NLAPOR"],
    "integritas": ["Integritas"],
    "pelayanan": ["PelayananPublik"],
    "hoaks": ["LawanHoaks"],
}


class KitError(PsaError):
    """No kit can be made for this PSA and platform; the message says why and what to change."""


@dataclass
class KitPlan:
    psa_id: str
    platform: str
    rendition: RenditionEntry | None
    captions: dict[str, str] = field(default_factory=dict)  # language -> caption text
    cover_at: float = 0.0
    problem: str | None = None


def hashtags(manifest: Manifest) -> list[str]:
    tags = ["AntiKorupsi", "ILM"]
    for theme in manifest.themes:
        tags += THEME_TAGS.get(theme, [theme.replace("-", "").capitalize()])
    tags.append("".join(word.capitalize() for word in manifest.agency.province.split()))
    return ["#" + tag for tag in dict.fromkeys(tags)]


def caption(manifest: Manifest, lang: str, tags: list[str]) -> str:
    agency = manifest.agency
    lines = [manifest.title, "", f"{INTRO[lang]} {agency.name}, {agency.province}."]
    if manifest.end_card and lang == "id":  # the end card is in the PSA's own words (Indonesian)
        lines.append(manifest.end_card.text)
    lines += [LAPOR[lang], "", " ".join(tags)]
    return "\n".join(lines) + "\n"


def plan_kits(manifest: Manifest, record: RenditionsRecord, platforms: list[str] | None = None) -> list[KitPlan]:
    """Which rendition, caption and cover each platform gets, or why it gets none (pure)."""
    tags = hashtags(manifest)
    plans = []
    for key in platforms or list(PLATFORMS):
        platform = PLATFORMS[key]
        plan = KitPlan(manifest.id, key, _vertical(record))
        plans.append(plan)
        rendition = plan.rendition
        if rendition is None:
            plan.problem = _(
                "{id}: no vertical (9:16) rendition for {platform}; add `social` to `channels:` in psa.yaml "
                "and run psa build"
            ).format(id=manifest.id, platform=platform.name)
            continue
        video = next(s for s in rendition.streams if s.kind == "video")
        if (video.width or 0) < platform.min_width:
            plan.problem = _(
                "{id}: {rendition} is {width}x{height}; {platform} needs at least {min_width} pixels wide: "
                "use the built-in `social` profile (1080x1920)"
            ).format(id=manifest.id, rendition=rendition.name, width=video.width, height=video.height,
                     platform=platform.name, min_width=platform.min_width)  # fmt: skip
        elif not platform.min_seconds <= rendition.duration <= platform.max_seconds:
            plan.problem = _("{id}: runs {seconds:.1f} s; {platform} takes {low:g}-{high:g} s: shorten the PSA").format(
                id=manifest.id, seconds=rendition.duration, platform=platform.name,
                low=platform.min_seconds, high=platform.max_seconds,
            )  # fmt: skip
        plan.captions = {lang: caption(manifest, lang, tags[: platform.hashtags_max]) for lang in CAPTION_LANGUAGES}
        longest = max(len(text) for text in plan.captions.values())
        if plan.problem is None and longest > platform.caption_max:
            plan.problem = _(
                "{id}: caption of {length} characters; {platform} takes {limit}: shorten the title or the end card text"
            ).format(id=manifest.id, length=longest, platform=platform.name, limit=platform.caption_max)
        # A frame from the content, after any intro jingle: what the PSA is about, not a logo.
        timeline = record.psa.timeline
        plan.cover_at = round(min(timeline.content_start + timeline.content / 3, max(rendition.duration - 0.1, 0)), 2)
    return plans


def _vertical(record: RenditionsRecord) -> RenditionEntry | None:
    portrait = [
        e for e in record.renditions
        if any(s.kind == "video" and (s.height or 0) > (s.width or 0) for s in e.streams)
    ]  # fmt: skip
    portrait.sort(key=lambda e: (e.channel != "social", -e.size))
    return portrait[0] if portrait else None


def make_kit(plan: KitPlan, build_dir: Path, out: Path) -> Path:
    """Write `out/<id>/<platform>/` and its zip beside it; returns the zip. A refused plan raises KitError."""
    if plan.problem is not None or plan.rendition is None:
        raise KitError(plan.problem or f"{plan.psa_id}: no rendition for {plan.platform}")
    folder = out / plan.psa_id / plan.platform
    folder.mkdir(parents=True, exist_ok=True)
    source = build_dir / plan.rendition.file
    video = folder / f"{plan.psa_id}-{plan.platform}{source.suffix}"
    part = temporary_name(video)
    shutil.copyfile(source, part)
    part.replace(video)
    cover = folder / "cover.jpg"
    part = temporary_name(cover).with_suffix(".jpg")
    run_ffmpeg(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{plan.cover_at:.2f}", "-i", str(source),
                "-frames:v", "1", "-q:v", "3", str(part)], timeout=120)  # fmt: skip
    part.replace(cover)
    for lang, text in plan.captions.items():
        with atomic_text(folder / f"caption-{lang}.txt") as handle:
            handle.write(text)
    zipped = out / plan.psa_id / f"{plan.platform}.zip"
    part = temporary_name(zipped)
    with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as archive:  # video and JPEG do not compress
        for path in sorted(folder.iterdir()):
            if not path.name.startswith("."):
                # A fixed date: the same kit gives the same zip, byte for byte.
                info = zipfile.ZipInfo(f"{plan.psa_id}-{plan.platform}/{path.name}", date_time=(2000, 1, 1, 0, 0, 0))
                archive.writestr(info, path.read_bytes())
    part.replace(zipped)
    return zipped
