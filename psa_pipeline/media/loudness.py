"""Loudness decisions, made on the audio alone: linear gain first, a true-peak limiter only when the gain
breaks the ceiling, then corrections from what the channel's encoder actually produced.

loudnorm is not used: it falls silently into dynamic (compressor) mode for many inputs and
resamples to 192 kHz. Here the gain is computed from an ebur128 measurement of the lossless
programme audio, the encoded file is decoded and measured again, and only the audio is redone
when the encoder moved the loudness or the true peak (lossy codecs do, most at low bitrates).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psa_pipeline.channels.config import AudioSpec, LoudnessSpec
from psa_pipeline.core.i18n import _
from psa_pipeline.media.probe import Loudness

# Past this much gain reduction a limiter audibly pumps and distorts speech: refuse instead.
MAX_LIMITING_DB = 18.0
# Lossless limiter passes are cheap (audio only, no encoder); a peaky source needs a few.
LIMITER_PASSES = 6
# How close the lossless pass must land before encoding: well inside the channel's tolerance.
LOSSLESS_AIM_LU = 0.06
# Room between the limiter's ceiling and the channel's, for its own overshoot and rounding.
LIMITER_MARGIN_DB = 0.1


@dataclass(frozen=True)
class Gain:
    """Linear gain to reach the target; a true-peak limit only when the gain alone breaks the ceiling."""

    gain_db: float
    limit_db: float | None = None


def is_lossy(audio: AudioSpec) -> bool:
    return not audio.codec.startswith("pcm_")


def _kbps_per_channel(audio: AudioSpec) -> float:
    match = re.fullmatch(r"([0-9.]+)([kM]?)", audio.bitrate or "")
    if not match:
        return 128.0  # the encoder's default bitrate: about the middle of the table below
    value = float(match.group(1)) * {"": 0.001, "k": 1.0, "M": 1000.0}[match.group(2)]
    return value / audio.channels


def codec_headroom(audio: AudioSpec) -> float:
    """How far under the ceiling to limit before encoding: what the encoder is expected to add to the true peak.

    A first guess only (measured on speech over music beds with ffmpeg 5.1): the finished file is
    measured and the headroom corrected from the overshoot it really showed.
    """
    if not is_lossy(audio):
        return LIMITER_MARGIN_DB
    kbps = _kbps_per_channel(audio)
    if kbps >= 96:
        return 0.3
    if kbps >= 64:
        return 0.8
    if audio.codec == "aac":
        # AAC-LC under 64 kbit/s a channel added about 3 dB of true peak to limited speech (samples, tests).
        return 3.0
    return 1.2 if kbps >= 40 else 1.9


def first_gain(measured: Loudness, spec: LoudnessSpec, ceiling: float) -> Gain:
    """Linear gain to the target; a limit at `ceiling` (dBTP) only when that gain would break it."""
    if measured.silent:
        raise ValueError("silent programme: no gain reaches a loudness target")
    gain = spec.target - measured.integrated
    if measured.true_peak + gain <= ceiling:
        return Gain(round(gain, 3))
    return Gain(round(gain, 3), round(ceiling, 3))


def next_limited_gain(gain: Gain, landed: float, aim: float, previous: tuple[Gain, float] | None) -> Gain:
    """The next lossless limiter pass's gain: a secant step on how much loudness the gain bought.

    Under heavy limiting 1 dB of gain buys well under 1 LU; the slope seen between the last two
    passes says how much, so the next pass aims where the file will land.
    """
    slope = 1.0
    if previous is not None:
        old_gain, old_landed = previous
        step = gain.gain_db - old_gain.gain_db
        if abs(step) > 0.01:
            slope = min(1.0, max(0.15, (landed - old_landed) / step))
    return Gain(round(gain.gain_db + (aim - landed) / slope, 3), gain.limit_db)


def limiting_db(gain: Gain, source: Loudness) -> float:
    """How much the limiter has to take off the loudest peak."""
    if gain.limit_db is None:
        return 0.0
    return max(0.0, source.true_peak + gain.gain_db - gain.limit_db)


def unreachable_message(source: Loudness, spec: LoudnessSpec, landed: float | None, limiting: float) -> str:
    reached = (
        _("at {limiting:.1f} dB of limiting it still measures only {landed:.1f} LUFS").format(
            limiting=limiting, landed=landed
        )
        if landed is not None
        else _("it would need {limiting:.1f} dB of limiting (at most {most:g} dB keeps speech clean)").format(
            limiting=limiting, most=MAX_LIMITING_DB
        )
    )
    return _(
        "cannot reach {target:.1f} LUFS within the {ceiling:.1f} dBTP ceiling: the programme measures "
        "{integrated:.1f} LUFS with true peak {peak:.1f} dBTP, and {reached}. Its energy is "
        "where loudness meters barely hear it (sub-bass) or in a few loud peaks over near silence: fix the mix "
        "(less sub-bass, more voice, tame the peaks) or lower this channel's loudness target in channels.yaml"
    ).format(
        target=spec.target,
        ceiling=spec.true_peak,
        integrated=source.integrated,
        peak=source.true_peak,
        reached=reached,
    )


@dataclass(frozen=True)
class Aim:
    """What the lossless pass aims at so that the *encoded* file lands on the channel's numbers."""

    integrated: float
    ceiling: float


def first_aim(spec: LoudnessSpec, audio: AudioSpec) -> Aim:
    return Aim(spec.target, spec.true_peak - codec_headroom(audio))


def corrected_aim(aim: Aim, encoded_in: Loudness, encoded_out: Loudness, spec: LoudnessSpec) -> Aim:
    """The next aim after the encoder moved the loudness or the true peak of what it was given.

    The encoder's shift of integrated loudness is nearly independent of small gain changes, so
    aiming the lossless audio that much the other way lands the encoded file on target. Its
    true-peak overshoot is larger at low bitrates; the limiter's ceiling moves down by what the
    encoder added over the channel's ceiling, with a little room for rounding.
    """
    shift = encoded_out.integrated - encoded_in.integrated
    integrated = spec.target - shift
    ceiling = aim.ceiling
    if encoded_out.true_peak > spec.true_peak:
        miss = encoded_out.true_peak - spec.true_peak + LIMITER_MARGIN_DB
        overshoot = max(0.0, encoded_out.true_peak - min(encoded_in.true_peak, aim.ceiling))
        # At least the miss, so the ceiling moves down every time even when harder limiting makes
        # the encoder overshoot more.
        ceiling = min(aim.ceiling - miss, spec.true_peak - overshoot - LIMITER_MARGIN_DB)
    return Aim(round(integrated, 3), round(ceiling, 3))


def worth_correcting(finished: Loudness, spec: LoudnessSpec) -> bool:
    """Off target, or in the outer half of the tolerance: a correction costs only an audio encode."""
    return bool(off_target(finished, spec)) or abs(finished.integrated - spec.target) > spec.tolerance / 2


def off_target(finished: Loudness, spec: LoudnessSpec) -> list[str]:
    """Why a finished file fails its channel's loudness, if it does."""
    problems = []
    if finished.silent:
        return [_("finished file is silent")]
    if abs(finished.integrated - spec.target) > spec.tolerance + 1e-9:
        problems.append(
            _("integrated loudness {integrated:.1f} LUFS, target {target:.1f} ±{tolerance} LU").format(
                integrated=finished.integrated, target=spec.target, tolerance=spec.tolerance
            )
        )
    if finished.true_peak > spec.true_peak:
        problems.append(
            _("true peak {peak:.1f} dBTP, ceiling {ceiling:.1f} dBTP").format(
                peak=finished.true_peak, ceiling=spec.true_peak
            )
        )
    return problems
