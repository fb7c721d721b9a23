"""Loudness normalisation decisions: linear gain first, a limiter only when the gain breaks the ceiling.

loudnorm is not used: it falls silently into dynamic (compressor) mode for many inputs and
resamples to 192 kHz. Here the gain is computed from an ebur128 measurement, the finished
file is measured again, and the build fails if it is off target.
"""

from __future__ import annotations

from dataclasses import dataclass

from psa_pipeline.channels.config import LoudnessSpec, RenditionSpec
from psa_pipeline.core.problems import MediaError
from psa_pipeline.media.probe import Loudness


@dataclass(frozen=True)
class Gain:
    """Linear gain to reach the target; a sample-peak limit only when the gain alone breaks the ceiling."""

    gain_db: float
    limit_db: float | None = None


# Lossy encoders raise the true peak by a few tenths of a dB; leave room for that.
LOSSY_MARGIN_DB = 1.0
PCM_MARGIN_DB = 0.2


def is_lossy(spec: RenditionSpec) -> bool:
    return not spec.audio.codec.startswith("pcm_")


def decide_gain(measured: Loudness, spec: LoudnessSpec, lossy: bool) -> Gain:
    if measured.silent:
        raise MediaError("the PSA's sound is silent (loudness -inf): nothing to normalise")
    gain = spec.target - measured.integrated
    ceiling = spec.true_peak - (LOSSY_MARGIN_DB if lossy else PCM_MARGIN_DB)
    if measured.true_peak + gain <= ceiling:
        return Gain(round(gain, 3))
    return Gain(round(gain, 3), round(ceiling, 3))


def off_target(finished: Loudness, spec: LoudnessSpec) -> list[str]:
    """Why a finished file fails its channel's loudness, if it does."""
    problems = []
    if finished.silent:
        return ["finished file is silent"]
    if abs(finished.integrated - spec.target) > spec.tolerance:
        problems.append(
            f"integrated loudness {finished.integrated:.1f} LUFS, target {spec.target:.1f} ±{spec.tolerance} LU"
        )
    if finished.true_peak > spec.true_peak:
        problems.append(f"true peak {finished.true_peak:.1f} dBTP, ceiling {spec.true_peak:.1f} dBTP")
    return problems


def corrected(gain: Gain, finished: Loudness, spec: LoudnessSpec, previous: tuple[Gain, Loudness] | None) -> Gain:
    """The next attempt's gain after a finished file missed its target.

    The limit is set from the overshoot the encoder showed (true peak out minus the limit
    asked for), so it lands just under the ceiling. The gain moves by the loudness error
    divided by how much loudness the last gain change actually bought (under heavy limiting,
    1 dB of gain gives well under 1 LU), so the next try aims where the file will land.
    """
    limit = gain.limit_db
    if finished.true_peak > spec.true_peak or limit is not None:
        asked = limit if limit is not None else finished.true_peak
        overshoot = max(0.0, finished.true_peak - asked)
        limit = spec.true_peak - overshoot - 0.2
    slope = 1.0
    if previous is not None:
        old_gain, old_loudness = previous
        step = gain.gain_db - old_gain.gain_db
        if abs(step) > 0.05:
            slope = min(1.0, max(0.5, (finished.integrated - old_loudness.integrated) / step))
    new_gain = gain.gain_db + (spec.target - finished.integrated) / slope
    return Gain(round(new_gain, 3), None if limit is None else round(limit, 3))
