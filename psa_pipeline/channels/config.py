"""Channel profiles: what each Kominfosantik channel needs, as data (built-in, overridable by channels.yaml)."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from psa_pipeline.channels.destinations import DestinationConfig
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Problem, PsaError
from psa_pipeline.manifest import yamlsrc
from psa_pipeline.manifest.load import schema_problem

Bitrate = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?[kM]?$")]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$")]

CONTAINERS = {"mp4": "mp4", "mp3": "mp3", "wav": "wav", "ogg": "ogg", "m4a": "ipod"}
# Audio codecs each container takes (ffmpeg's muxers refuse the rest, or write WAVs players cannot read).
AUDIO_CODECS = {
    "mp4": frozenset({"aac", "libmp3lame", "libopus"}),
    "m4a": frozenset({"aac"}),
    "mp3": frozenset({"libmp3lame"}),
    "wav": frozenset({"pcm_s16le", "pcm_s24le"}),
    "ogg": frozenset({"libopus"}),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VideoSpec(_Strict):
    width: int = Field(ge=16, le=7680, multiple_of=2)
    height: int = Field(ge=16, le=7680, multiple_of=2)
    fps: float = Field(25, gt=0, le=120)
    crf: int = Field(23, ge=0, le=51, description="x264 quality; lower is better and bigger.")
    maxrate: Bitrate | None = Field(None, description="Peak video bitrate, e.g. 8M.")
    bufsize: Bitrate | None = None
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"] = "veryfast"
    fit: Literal["pad", "blur"] = Field("pad", description="Fill the frame around a different aspect ratio.")
    orientation: Literal["fixed", "source"] = Field(
        "fixed", description="`source`: swap width and height when the source picture is portrait."
    )
    min_source: int | None = Field(
        None,
        ge=16,
        le=7680,
        description="Shortest side of the source picture, in pixels, below which validate warns it will look soft.",
    )


class AudioSpec(_Strict):
    codec: Literal["aac", "libmp3lame", "libopus", "pcm_s16le", "pcm_s24le"]
    bitrate: Bitrate | None = None
    sample_rate: Literal[22050, 24000, 44100, 48000] = 48000
    channels: Literal[1, 2] = 2


class CaptionSpec(_Strict):
    burn_in: bool = Field(False, description="Burn the manifest's chosen language into the picture.")
    soft: bool = Field(False, description="Add every language as a soft subtitle track (mov_text).")
    sidecars: list[Literal["srt", "vtt"]] = Field(default_factory=list, description="Subtitle files beside it.")


class RenditionSpec(_Strict):
    name: Name
    container: Literal["mp4", "mp3", "wav", "ogg", "m4a"]
    video: VideoSpec | None = None
    audio: AudioSpec
    captions: CaptionSpec = Field(default_factory=lambda: CaptionSpec())
    max_duration: float | None = Field(None, gt=0, description="Longest the rendition may run, in seconds.")
    max_megabytes: float | None = Field(None, gt=0, description="Largest file the channel takes, in MB.")
    exact_slot: bool = Field(False, description="Pad to the manifest's `slot` so the spot is exactly that long.")

    @model_validator(mode="after")
    def _fits_its_container(self) -> Self:
        """Refused here, at the channels.yaml line, what ffmpeg would refuse (or write unplayable) at build time."""
        if self.audio.codec not in AUDIO_CODECS[self.container]:
            allowed = ", ".join(sorted(AUDIO_CODECS[self.container]))
            raise ValueError(
                _("{container} files cannot hold {codec} audio; use {allowed}").format(
                    container=self.container, codec=self.audio.codec, allowed=allowed
                )
            )
        if self.video is not None and self.container != "mp4":
            raise ValueError(
                _("{container} files have no picture; use container: mp4 or remove `video`").format(
                    container=self.container
                )
            )
        if self.video is None and (self.captions.burn_in or self.captions.soft or self.captions.sidecars):
            raise ValueError(_("captions need a picture; this rendition has no `video`, so remove its `captions`"))
        return self


class LoudnessSpec(_Strict):
    target: float = Field(ge=-40, le=-5, description="Integrated loudness, LUFS.")
    true_peak: float = Field(ge=-9, le=0, description="True-peak ceiling, dBTP.")
    tolerance: float = Field(
        0.2, gt=0, le=2, description="Allowed distance from the target, LU (EBU R128 s1 QC tolerance by default)."
    )


Kind = Literal["video", "radio-drama"]


class ChannelProfile(_Strict):
    description: str = ""
    accepts: tuple[Kind, ...] = Field(
        ("video", "radio-drama"), min_length=1, description="Manifest kinds this channel takes."
    )
    loudness: LoudnessSpec
    renditions: list[RenditionSpec] = Field(min_length=1)

    @property
    def has_audio_only(self) -> bool:
        """A radio drama without an audiogram reaches a channel only through its audio-only renditions."""
        return any(r.video is None for r in self.renditions)

    @property
    def burns_in(self) -> bool:
        return any(r.video is not None and r.captions.burn_in for r in self.renditions)


class ChannelConfig(_Strict):
    channels: dict[Name, ChannelProfile] = Field(default_factory=dict)
    destinations: dict[Name, DestinationConfig] = Field(
        default_factory=dict,
        description="Channel name (or `default`) -> where its files are published.",
    )

    def destination_for(self, channel: str) -> DestinationConfig:
        found = self.destinations.get(channel) or self.destinations.get("default")
        if found is None:
            raise PsaError(
                _("no destination for channel '{channel}' and no `default` destination").format(channel=channel)
            )
        return found


@functools.cache
def builtin() -> ChannelConfig:
    text = resources.files("psa_pipeline").joinpath("data/channels.yaml").read_text(encoding="utf-8")
    # The shipped file is trusted; positions matter only for users' files.
    return ChannelConfig.model_validate(yaml.safe_load(text))


def load_config(file: Path | None) -> ChannelConfig:
    """Built-in profiles, with those of `file` replacing or adding profiles by name."""
    base = builtin()
    if file is None:
        return base
    try:
        document = yamlsrc.load(file)
    except yamlsrc.YamlError as exc:
        raise ConfigError([exc.problem]) from None
    if document.problems:
        raise ConfigError(document.problems)
    try:
        user = ChannelConfig.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigError([schema_problem(e, document.positions, ChannelConfig) for e in exc.errors()]) from None
    return ChannelConfig(
        channels={**base.channels, **user.channels}, destinations={**base.destinations, **user.destinations}
    )


class ConfigError(PsaError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
