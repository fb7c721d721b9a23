"""What the channels a manifest names ask of it, read from the channel profiles build uses (pure).

Every limit is data in the channel configuration (built-in channels.yaml or `--channels FILE`):
which kinds a channel takes, whether it needs a picture, its `max_duration` per rendition, the
smallest source picture it upscales without going soft, and whether it burns captions in. Build
runs these same checks, so a manifest validate passes is not refused by build for its content.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from psa_pipeline.channels.config import ChannelConfig, ChannelProfile, RenditionSpec
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Problem, Severity
from psa_pipeline.manifest.model import Manifest
from psa_pipeline.manifest.rules import check_rules
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath
from psa_pipeline.media.probe import MediaInfo
from psa_pipeline.media.timeline import Timeline, rendition_duration

CHECK = "channels"


def manifest_problems(
    manifest: Manifest, positions: Positions, config: ChannelConfig, channels_file: Path | None = None
) -> list[Problem]:
    """Every check that needs no media: the manifest's own rules and what its channels allow."""
    return check_rules(manifest, positions) + check_channels(manifest, positions, config, channels_file)


def check_channels(
    manifest: Manifest, positions: Positions, config: ChannelConfig, channels_file: Path | None = None
) -> list[Problem]:
    problems: list[Problem] = []

    def add(severity: Severity, path: YamlPath, message: str) -> None:
        problems.append(Problem(severity, CHECK, message, positions.of_value(path)))

    makes_video = manifest.kind == "video" or manifest.audiogram
    languages = {t.lang for t in manifest.subtitles.tracks}
    for i, channel in enumerate(manifest.channels):
        path: YamlPath = ("channels", i)
        profile = config.channels.get(channel)
        if profile is None:
            add("error", path, _unknown(channel, config, channels_file))
            continue
        if manifest.kind not in profile.accepts:
            kinds = _(" and ").join(profile.accepts)
            message = _("channel '{channel}' takes only {kinds} PSAs, not a {kind}")
            add("error", path, message.format(channel=channel, kinds=kinds, kind=manifest.kind))
        elif not makes_video and not profile.has_audio_only:
            message = _("a radio drama cannot go to the video channel '{channel}' unless `audiogram: true` is set")
            add("error", path, message.format(channel=channel))
        elif (
            makes_video
            and profile.burns_in
            and channel not in manifest.subtitles.burn_in
            and manifest.language not in languages
        ):
            add(
                "warning",
                ("subtitles",) if manifest.subtitles.tracks else path,
                _(
                    "channel '{channel}' shows captions in the picture, but there is no `burn_in` entry for it "
                    "and no track in the spoken language '{language}': it will have no captions"
                ).format(channel=channel, language=manifest.language),
            )
    for channel in manifest.subtitles.burn_in:
        profile = config.channels.get(channel)
        if profile is not None and channel in manifest.channels and not profile.burns_in:
            add("warning", ("subtitles", "burn_in", channel),
                _("channel '{channel}' does not burn captions into the picture; this entry is ignored").format(
                    channel=channel))  # fmt: skip
    return problems


def _unknown(channel: str, config: ChannelConfig, channels_file: Path | None) -> str:
    known = sorted(config.channels)
    hint = difflib.get_close_matches(channel, known, n=1)
    if hint:
        message = _("unknown channel '{channel}'; did you mean '{hint}'?").format(channel=channel, hint=hint[0])
    else:
        message = _("unknown channel '{channel}'; known channels: {known}").format(
            channel=channel, known=", ".join(known)
        )
    if channels_file is None:
        return message + _(" If it is defined in a channels.yaml, pass that file: psa validate --channels FILE")
    return message + _(" (channels: the built-in ones and those of {file})").format(file=channels_file)


def duration_problems(manifest: Manifest, positions: Positions, config: ChannelConfig, line: Timeline) -> list[Problem]:
    """Each rendition's length, computed as the planner computes it, against the channel's `max_duration`;
    and a warning where the channel's `max_megabytes` could be exceeded at the profile's peak bitrate."""
    problems = []
    makes_video = manifest.kind == "video" or manifest.audiogram
    for i, channel, profile in _profiles(manifest, config):
        for spec in profile.renditions:
            if spec.video is not None and not makes_video:
                continue
            length = rendition_duration(line, manifest, spec.video is not None, spec.exact_slot)
            where = positions.of_value(("channels", i))
            if spec.max_duration is not None and length > spec.max_duration:
                parts = _("jingles {jingles:.2f} s, content {content:.2f} s").format(
                    jingles=line.intro + line.outro, content=line.content
                )
                if spec.video is not None:
                    parts += _(", end card {seconds:.2f} s").format(seconds=line.end_card)
                message = _(
                    "channel '{channel}' ({name}) takes at most {limit:g} s, but this PSA "
                    "runs {length:.2f} s there ({parts}): shorten it or leave '{channel}' out"
                ).format(channel=channel, name=spec.name, limit=spec.max_duration, length=length, parts=parts)
                problems.append(Problem("error", CHECK, message, where))
            ceiling = _largest_megabytes(spec, length)
            if spec.max_megabytes is not None and ceiling is not None and ceiling > spec.max_megabytes:
                message = _(
                    "channel '{channel}' ({name}) takes files up to {limit:g} MB; at its peak "
                    "bitrate this {length:.0f} s PSA may reach {ceiling:.1f} MB, and build fails if it does"
                ).format(channel=channel, name=spec.name, limit=spec.max_megabytes, length=length, ceiling=ceiling)
                problems.append(Problem("warning", CHECK, message, where))
    return problems


def _largest_megabytes(spec: RenditionSpec, seconds: float) -> float | None:
    """Size at the profile's peak rates (video `maxrate` + audio bitrate), or None when a rate is open-ended."""
    audio = _bits_per_second(spec.audio.bitrate) if spec.audio.bitrate else None
    if spec.video is not None:
        video = _bits_per_second(spec.video.maxrate) if spec.video.maxrate else None
        if video is None or audio is None:
            return None
        audio += video
    return None if audio is None else audio * seconds / 8 / 1_000_000


def _bits_per_second(rate: str) -> float:
    scale = {"k": 1e3, "M": 1e6}.get(rate[-1], 1.0)
    return float(rate.rstrip("kM")) * scale


def source_problems(
    manifest: Manifest, positions: Positions, config: ChannelConfig, video: MediaInfo | None
) -> list[Problem]:
    """A source picture smaller than a rendition's `min_source` is upscaled too far to look sharp."""
    stream = video.video if video else None
    if manifest.kind != "video" or stream is None or not stream.width or not stream.height:
        return []
    short = min(stream.width, stream.height)
    problems = []
    for _index, channel, profile in _profiles(manifest, config):
        for spec in profile.renditions:
            if spec.video is not None and spec.video.min_source and short < spec.video.min_source:
                problems.append(
                    Problem(
                        "warning",
                        CHECK,
                        _(
                            "the source picture is {width}x{height}; channel '{channel}' ({name}) "
                            "wants at least {pixels} px on its short side: it will look soft"
                        ).format(
                            width=stream.width,
                            height=stream.height,
                            channel=channel,
                            name=spec.name,
                            pixels=spec.video.min_source,
                        ),
                        positions.of_value(("sources", "video")),
                    )
                )
    return problems


def _profiles(manifest: Manifest, config: ChannelConfig) -> list[tuple[int, str, ChannelProfile]]:
    """The known channels the manifest names, first mention only, with their positions in `channels:`."""
    found: dict[str, tuple[int, str, ChannelProfile]] = {}
    for i, channel in enumerate(manifest.channels):
        profile = config.channels.get(channel)
        if profile is not None and channel not in found and manifest.kind in profile.accepts:
            found[channel] = (i, channel, profile)
    return list(found.values())
