"""What a PSA says on YouTube: title, description (Indonesian first, then English) and tags (pure)."""

from __future__ import annotations

from psa_pipeline.core.i18n import _
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.publish.destinations import PublishError
from psa_pipeline.publish.kits import INTRO, LAPOR, THEME_TAGS

TITLE_MAX = 100  # characters
DESCRIPTION_MAX = 5000  # bytes
TAGS_MAX = 500  # characters, counted as YouTube counts them (a tag with a space in quotes, commas between)


def title(manifest: Manifest) -> str:
    text = manifest.title
    # YouTube refuses angle brackets in titles and descriptions (invalidTitle / invalidDescription).
    if len(text) > TITLE_MAX or "<" in text or ">" in text:
        raise PublishError(
            _("{id}: the title is {length} characters or has < >; YouTube takes at most {limit} without < >: "
              "shorten `title` in psa.yaml").format(id=manifest.id, length=len(text), limit=TITLE_MAX)
        )  # fmt: skip
    return text


def description(manifest: Manifest, site_url: str | None) -> str:
    agency = manifest.agency
    lines = [manifest.title, "", f"{INTRO['id']} {agency.name}, {agency.province}."]
    if manifest.end_card:
        lines.append(manifest.end_card.text)
    lines += [LAPOR["id"]]
    if site_url:
        lines.append(f"{site_url}/site/psa/{manifest.id}.html")
    lines += ["", f"{INTRO['en']} {agency.name}, {agency.province}.", LAPOR["en"]]
    if site_url:
        lines.append(f"{site_url}/site/en/psa/{manifest.id}.html")
    text = "\n".join(lines).replace("<", "‹").replace(">", "›")
    if len(text.encode()) > DESCRIPTION_MAX:
        raise PublishError(
            _("{id}: the YouTube description would be {length} bytes (at most {limit}): shorten the end card "
              "text").format(id=manifest.id, length=len(text.encode()), limit=DESCRIPTION_MAX)
        )  # fmt: skip
    return text


def tags(manifest: Manifest) -> list[str]:
    wanted = [
        "antikorupsi",
        "ILM",
        *manifest.themes,
        *(t for theme in manifest.themes for t in THEME_TAGS.get(theme, [])),
    ]
    wanted += [manifest.agency.name, manifest.agency.province]
    chosen: list[str] = []
    for tag in dict.fromkeys(wanted):
        candidate = [*chosen, tag]
        if sum(len(t) + (2 if " " in t else 0) for t in candidate) + len(candidate) - 1 <= TAGS_MAX:
            chosen = candidate
    return chosen
