"""Where each piece of a PSA sits in time: intro jingle, content, outro jingle, end card."""

from __future__ import annotations

from dataclasses import dataclass

from psa_pipeline.manifest.model import Jingle, Manifest


@dataclass(frozen=True)
class Timeline:
    intro: float
    content: float
    outro: float
    end_card: float
    intro_join: float  # + gap or - crossfade between intro and content
    outro_join: float  # + gap or - crossfade between content and outro

    @property
    def content_start(self) -> float:
        """Where content (and so every subtitle cue) starts in the assembled PSA."""
        return max(0.0, self.intro + self.intro_join) if self.intro else 0.0

    @property
    def outro_start(self) -> float:
        return self.content_start + self.content + (self.outro_join if self.outro else 0.0)

    @property
    def audio_end(self) -> float:
        return self.outro_start + self.outro if self.outro else self.content_start + self.content

    @property
    def total(self) -> float:
        return self.audio_end + self.end_card


def _join(jingle: Jingle | None) -> float:
    if jingle is None:
        return 0.0
    return jingle.gap - jingle.crossfade


def timeline(manifest: Manifest, intro: float, content: float, outro: float) -> Timeline:
    """The timeline of `manifest` given the measured durations of its pieces."""
    return Timeline(
        intro=intro if manifest.jingles.intro else 0.0,
        content=content,
        outro=outro if manifest.jingles.outro else 0.0,
        end_card=manifest.end_card.duration if manifest.end_card else 0.0,
        intro_join=_join(manifest.jingles.intro),
        outro_join=_join(manifest.jingles.outro),
    )


def content_duration(main: float | None, tracks: list[tuple[float, float]]) -> float:
    """Length of the content: the main video or mixed audio, else where the last voice or effect ends.

    `tracks` are (start, duration) of the voices and effects; the music bed is left out on
    purpose: it is cut where the drama ends and never lengthens it.
    """
    if main is not None:
        return main
    return max((start + duration for start, duration in tracks), default=0.0)


def rendition_duration(line: Timeline, manifest: Manifest, video: bool, exact_slot: bool) -> float:
    """How long a rendition runs: the whole timeline with a picture (end card included), the sound alone
    without one, padded to the manifest's `slot` for a channel that plays exact spots.

    The planner and validate's channel limits both use this, so a PSA that validate lets
    through a channel's `max_duration` is the length build renders.
    """
    if video:
        return round(line.total, 3)
    return round(manifest.slot if exact_slot and manifest.slot else line.audio_end, 3)
