"""Render one PSA's stale renditions: the picture encodes while the sound is finished beside it.

1. Two ffmpeg runs start together: the picture run decodes the source once and encodes each video
   rendition's picture once (plan.picture_command); the audio run assembles the sound and writes
   each programme-audio layout as a lossless mix (plan.mixes_command). It is cheap and ends first.
2. While the picture encodes, each mix is measured (EBU R128, true peak), and per rendition: linear
   gain (plus an oversampled limiter only where the gain breaks the ceiling, converged on lossless
   audio), then the channel's codec into a file of its own, decoded and measured; only the audio is
   redone if the encoder moved it off target. Audio-only renditions are finished right there.
3. When the picture is ready, each video rendition's picture and finished sound are copied into
   its file (finish.mux_command): the sound in the file is the sound that was measured.
A rendition that cannot meet its numbers fails alone, with the numbers; the others finish. If
either run fails, or the build is interrupted, the other is stopped and reaped: no ffmpeg is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from psa_pipeline.build.finish import audio_command, limit_command, mux_command
from psa_pipeline.build.plan import (
    VIDEO_NAME,
    PsaPlan,
    Rendition,
    mixes_command,
    picture_command,
    workdir_files,
)
from psa_pipeline.build.programme import AudioMix, mix_of, needed_mixes
from psa_pipeline.channels.config import LoudnessSpec
from psa_pipeline.core.i18n import _
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
from psa_pipeline.media.runner import ProgressCallback, Running, run_ffmpeg

# The first encode plus this many audio-only corrections; in practice two at most are needed.
MAX_CORRECTIONS = 3

T = TypeVar("T")
R = TypeVar("R")


class RenditionFailed(PsaError):
    """One rendition could not meet its channel's numbers; the PSA's other renditions still finish."""


class SilentProgramme(PsaError):
    """The PSA's assembled sound is silent: there is no loudness to normalise."""


class _Abandoned(Exception):
    """The build is stopping (the picture run failed, or an error or interrupt elsewhere): no new work."""


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
    pictures = picture_command(plan, stale)
    picture = Running(pictures, cwd=work, on_progress=on_progress) if pictures else None
    abandon = threading.Event()
    try:
        # Progress follows the picture run, the long one; without pictures, the audio run.
        mixes_run = mixes_command(plan, stale, progress=picture is None)
        run_ffmpeg(mixes_run, cwd=work, on_progress=None if picture else on_progress)
        mixes = needed_mixes(stale)
        measured = dict(zip(mixes, _each(lambda m: measure(work / m.file), mixes, abandon), strict=True))
        if any(m.silent for m in measured.values()):
            raise SilentProgramme(_("the PSA's sound is silent (loudness -inf): nothing to normalise"))
        lossless = _Lossless(work)

        def stopping() -> bool:
            return abandon.is_set() or (picture is not None and picture.failed())

        def one(item: tuple[int, Rendition]) -> Finished | str:
            k, r = item
            try:
                return _normalise(plan, r, k, lossless, measured[mix_of(r)], stopping)
            except RenditionFailed as exc:
                return str(exc)

        outcomes = _each(one, list(enumerate(stale)), abandon)
    except _Abandoned:
        if picture is not None:
            picture.wait()  # the picture run failed: its own error is the one to report
        raise
    except BaseException:
        if picture is not None:
            picture.stop()
        raise
    failed = {r.name: outcome for r, outcome in zip(stale, outcomes, strict=True) if isinstance(outcome, str)}
    done = [outcome for outcome in outcomes if isinstance(outcome, Finished)]
    return _muxed(plan, stale, picture, done, work), failed, measured


def _muxed(
    plan: PsaPlan, stale: list[Rendition], picture: Running | None, done: list[Finished], work: Path
) -> list[Finished]:
    """Once the picture run has ended well, each video rendition's picture and finished sound in one file."""
    if picture is None:
        return done
    if not any(item.rendition.size for item in done):
        picture.stop()  # every video rendition failed its loudness: its picture is not needed
        return done
    picture.wait()
    index = {r.name: k for k, r in enumerate(stale)}

    def mux(item: Finished) -> Finished:
        r, k = item.rendition, index[item.rendition.name]
        if r.size is None:
            return item
        target = work / f"out-{k}{r.relative.suffix}"
        run_ffmpeg(mux_command(plan, r, VIDEO_NAME.format(index=k), item.path.name, str(target)), cwd=work)
        return replace(item, path=target)

    return _each(mux, done, threading.Event())


def _each(fn: Callable[[T], R], items: Sequence[T], abandon: threading.Event) -> list[R]:
    """`fn` over `items`, two at a time; on an error or interrupt the queued ones are dropped, the running ones end."""
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        return list(pool.map(fn, items))
    except BaseException:
        abandon.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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


def _normalise(
    plan: PsaPlan, r: Rendition, k: int, lossless: _Lossless, source: Loudness, stopping: Callable[[], bool]
) -> Finished:
    """The rendition's sound, finished and measured: its file (audio-only) or its sound alone, for the mux."""
    spec, audio = r.loudness, r.spec.audio
    work = lossless.work
    aim = first_aim(spec, audio)
    passes = 0
    problems: list[str] = []
    kept: Finished | None = None
    name = f"audio-{k}-{{}}.mp4" if r.size is not None else f"out-{k}-{{}}{r.relative.suffix}"
    for attempt in range(MAX_CORRECTIONS + 1):
        if stopping():
            raise _Abandoned
        prepared = lossless.prepare(mix_of(r), source, aim, spec)
        passes += prepared.passes
        target = work / name.format(attempt)
        run_ffmpeg(audio_command(plan, r, str(prepared.audio), prepared.finish_gain_db, str(target)), cwd=work)
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
        _(
            "{rendition} misses its loudness target after {corrections} audio corrections: {problems} "
            "(programme {integrated:.1f} LUFS, true peak {peak:.1f} dBTP; codec {codec} {bitrate}). "
            "A higher bitrate for this rendition in channels.yaml helps"
        ).format(
            rendition=r.name,
            corrections=MAX_CORRECTIONS,
            problems="; ".join(problems),
            integrated=source.integrated,
            peak=source.true_peak,
            codec=audio.codec,
            bitrate=audio.bitrate or "",
        )
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
