"""Render one PSA's stale renditions: one ffmpeg run for every picture and mix, then loudness on the audio alone.

1. One ffmpeg run decodes the sources once and writes each video rendition's picture (encoded
   once) and each programme-audio layout as a lossless mix (plan.render_command).
2. Each mix is measured (EBU R128, true peak).
3. Per rendition: linear gain (plus an oversampled limiter only where the gain breaks the
   ceiling, converged on lossless audio), then the channel's codec, muxed with the copied
   picture; the finished file is decoded and measured, and only its audio is redone if the
   encoder moved it off target.
A rendition that cannot meet its numbers fails alone, with the numbers; the others finish.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from psa_pipeline.build.finish import finish_command, limit_command
from psa_pipeline.build.plan import (
    VIDEO_NAME,
    PsaPlan,
    Rendition,
    render_command,
    workdir_files,
)
from psa_pipeline.build.programme import AudioMix, mix_of, needed_mixes
from psa_pipeline.channels.config import LoudnessSpec
from psa_pipeline.core.problems import PsaError
from psa_pipeline.media import meter
from psa_pipeline.media.loudness import (
    LIMITER_PASSES,
    LOSSLESS_AIM_LU,
    MAX_LIMITING_DB,
    Aim,
    Gain,
    corrected_aim,
    first_aim,
    first_gain,
    limiting_db,
    next_limited_gain,
    off_target,
    unreachable_message,
    worth_correcting,
)
from psa_pipeline.media.meter import measure
from psa_pipeline.media.probe import Loudness
from psa_pipeline.media.runner import ProgressCallback, run_ffmpeg

# The first encode plus this many audio-only corrections; in practice two at most are needed.
MAX_CORRECTIONS = 3


class RenditionFailed(PsaError):
    """One rendition could not meet its channel's numbers; the PSA's other renditions still finish."""


class SilentProgramme(PsaError):
    """The PSA's assembled sound is silent: there is no loudness to normalise."""


@dataclass(frozen=True)
class Finished:
    rendition: Rendition
    path: Path  # in the work folder, complete
    loudness_in: Loudness  # the lossless mix, before gain
    loudness_out: Loudness  # the finished file, decoded
    gain: Gain
    corrections: int  # audio-only re-encodes after the first encode
    limiter_passes: int  # lossless limiter runs (no encoder) to land the limited loudness


@dataclass(frozen=True)
class Prepared:
    """Audio ready for the encoder: which file, the gain still to apply, and its loudness as fed."""

    audio: Path
    gain: Gain
    finish_gain_db: float
    fed: Loudness
    passes: int


def render(
    plan: PsaPlan, stale: list[Rendition], work: Path, on_progress: ProgressCallback | None = None
) -> tuple[list[Finished], dict[str, str], dict[AudioMix, Loudness]]:
    """Finished files (in `work`) and failures by rendition name; the mixes' measured loudness."""
    for name, text in workdir_files(plan, stale).items():
        (work / name).write_text(text, encoding="utf-8")
    run_ffmpeg(render_command(plan, stale), cwd=work, on_progress=on_progress)
    mixes = needed_mixes(stale)
    with ThreadPoolExecutor(max_workers=2) as pool:
        measured = dict(zip(mixes, pool.map(lambda m: measure(work / m.file), mixes), strict=True))
    if any(m.silent for m in measured.values()):
        raise SilentProgramme("the PSA's sound is silent (loudness -inf): nothing to normalise")
    finished: list[Finished] = []
    failed: dict[str, str] = {}

    lossless = _Lossless(work)

    def one(k: int, r: Rendition) -> Finished | str:
        try:
            return _normalise(plan, r, k, lossless, measured[mix_of(r)])
        except RenditionFailed as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for r, outcome in zip(stale, pool.map(one, range(len(stale)), stale), strict=True):
            if isinstance(outcome, Finished):
                finished.append(outcome)
            else:
                failed[r.name] = outcome
    return finished, failed, measured


class _Lossless:
    """Lossless preparations, shared by renditions that want the same mix at the same aim (most do)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.lock = threading.Lock()
        self.keyed: dict[tuple[object, ...], threading.Lock] = {}
        self.done: dict[tuple[object, ...], Prepared | RenditionFailed] = {}

    def prepare(self, mix: AudioMix, source: Loudness, aim: Aim, spec: LoudnessSpec) -> Prepared:
        key = (mix, aim, spec.target, spec.true_peak, spec.tolerance)
        with self.lock:
            key_lock = self.keyed.setdefault(key, threading.Lock())
            limited = self.work / f"limited-{len(self.keyed)}.wav"
        with key_lock:
            known = self.done.get(key)
            if known is None:
                try:
                    known = _prepare(self.work / mix.file, source, aim, spec, mix.sample_rate, limited)
                except RenditionFailed as exc:
                    known = exc
                self.done[key] = known
                if isinstance(known, RenditionFailed):
                    raise known
                return known
        if isinstance(known, RenditionFailed):
            raise RenditionFailed(str(known))
        return replace(known, passes=0)  # done for another rendition: no work for this one


def _normalise(plan: PsaPlan, r: Rendition, k: int, lossless: _Lossless, source: Loudness) -> Finished:
    spec, audio = r.loudness, r.spec.audio
    work = lossless.work
    video = VIDEO_NAME.format(index=k) if r.size is not None else None
    aim = first_aim(spec, audio)
    passes = 0
    problems: list[str] = []
    kept: Finished | None = None
    for attempt in range(MAX_CORRECTIONS + 1):
        prepared = lossless.prepare(mix_of(r), source, aim, spec)
        passes += prepared.passes
        target = work / f"out-{k}-{attempt}{r.relative.suffix}"
        run_ffmpeg(finish_command(plan, r, video, str(prepared.audio), prepared.finish_gain_db, str(target)), cwd=work)
        out = measure(target)
        problems = off_target(out, spec)
        if not problems:
            better = kept is None or abs(out.integrated - spec.target) < abs(kept.loudness_out.integrated - spec.target)
            kept = Finished(r, target, source, out, prepared.gain, attempt, passes) if better else kept
            if not worth_correcting(out, spec):
                break
        aim = corrected_aim(aim, prepared.fed, out, spec)
    if kept is not None:
        # Every encode after the first counts, kept or not: that is what the corrections cost.
        return replace(kept, corrections=attempt, limiter_passes=passes)
    raise RenditionFailed(
        f"{r.name} misses its loudness target after {MAX_CORRECTIONS} audio corrections: {'; '.join(problems)} "
        f"(programme {source.integrated:.1f} LUFS, true peak {source.true_peak:.1f} dBTP; "
        f"codec {audio.codec} {audio.bitrate or ''}). A higher bitrate for this rendition in channels.yaml helps"
    )


def _prepare(mix: Path, source: Loudness, aim: Aim, spec: LoudnessSpec, rate: int, limited: Path) -> Prepared:
    """Linear gain when it keeps the peak under the aim's ceiling; else limit losslessly until the loudness lands."""
    goal = spec.model_copy(update={"target": aim.integrated})
    gain = first_gain(source, goal, aim.ceiling)
    if gain.limit_db is None:
        fed = Loudness(source.integrated + gain.gain_db, source.loudness_range, source.true_peak + gain.gain_db)
        return Prepared(mix, gain, gain.gain_db, fed, 0)
    # A point of the gain-to-loudness curve known without a pass: at the gain that just reaches the
    # ceiling the limiter does nothing, so the loudness is the source's plus that gain.
    free = round(aim.ceiling - source.true_peak, 3)
    previous: tuple[Gain, float] | None = (Gain(free, gain.limit_db), source.integrated + free)
    best: tuple[Gain, Loudness] | None = None
    for passes in range(1, LIMITER_PASSES + 1):
        if limiting_db(gain, source) > MAX_LIMITING_DB:
            break
        landed = meter.parse(run_ffmpeg(limit_command(mix, gain, rate, limited)), limited)
        best = (gain, landed)
        if abs(landed.integrated - aim.integrated) <= LOSSLESS_AIM_LU:
            return Prepared(limited, gain, 0.0, landed, passes)
        gain, previous = next_limited_gain(gain, landed.integrated, aim.integrated, previous), (gain, landed.integrated)
    if best is not None and abs(best[1].integrated - aim.integrated) <= spec.tolerance / 2:
        return Prepared(limited, best[0], 0.0, best[1], LIMITER_PASSES)
    raise RenditionFailed(
        unreachable_message(source, spec, best[1].integrated if best else None, limiting_db(gain, source))
    )
