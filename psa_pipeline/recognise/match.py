"""Align a file's fingerprints with its best candidate and say: a copy, an altered copy, or unknown.

Scores count only what is unique to the PSA. Agencies reuse jingles and end cards, so a
different clip with the same jingle lines up with an official PSA for those seconds; frames of
a PSA that also line up with another catalogue PSA are "shared" and do not count, and neither
do frames that say nothing (silence, a held value). A copy must match most of the PSA's own
content where the two overlap (a copy trimmed at the ends overlaps less, and that is fine).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from psa_pipeline.recognise.extract import FRAME_RATE, U8, U32, U64, Prints
from psa_pipeline.recognise.index import CatalogueIndex, Content
from psa_pipeline.records.fingerprints import CHROMAPRINT_STEP

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Picture = tuple[U64, U64, U8 | None]  # whole-frame hashes, centre hashes, caption-zone cells

# Smoothed bit error rate below which audio frames are the same sound (a re-encode is ~0.1,
# unrelated sound ~0.5).
AUDIO_SAME = 0.3
AUDIO_SMOOTH = 5
# A Chromaprint value summarises about 2.2 s of sound starting at its position; a change shows
# in the values whose window is mostly over it, so a run of bad values starts this much earlier.
AUDIO_LEAD = 1.1
# Hamming distance (of 64 bits) below which two frame hashes are the same picture.
PICTURE_SAME = 0.25
PICTURE_SMOOTH = 3
# Less than this much differing is noise (a scene cut a frame early), not an alteration.
MIN_SEGMENT = 0.9
COPY = 0.8  # share of the PSA's own content a copy matches
ALTERED = 0.45  # an altered copy still matches this much of it
OVERLAP = 0.5  # and overlaps at least this share of the PSA (or of the query)
# Fewer of the PSA's own values or frames than this in the overlap cannot tell it from another.
MIN_INFORMATIVE = 6
# A caption-zone cell (0-255 grey) that moves by more than this, beyond the frame's overall
# brightness change, is changed content (a re-encode moves cells by under 10; new text by 40+).
CAPTION_LEVELS = 25


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    differs: str  # sound, picture, both


@dataclass(frozen=True)
class Recognition:
    kind: str  # copy, altered, unknown
    content: Content | None = None
    similarity: float = 0.0
    segments: tuple[Segment, ...] = ()
    offset: float = 0.0  # seconds: time in the PSA = time in the file + offset


def _popcount(x: npt.NDArray[np.uint64] | npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    counts: npt.NDArray[np.int64] = np.bitwise_count(x).astype(np.int64)
    return counts


def _smooth(values: F64, width: int) -> F64:
    if width <= 1 or len(values) < width:
        return values
    padded = np.pad(values, width // 2, mode="edge")
    smoothed: F64 = np.convolve(padded, np.ones(width) / width, mode="valid")[: len(values)]
    return smoothed


def audio_errors(query: U32, ref: U32, offset: int) -> tuple[int, F64]:
    """First query position of the overlap and the per-position bit error rate there."""
    start = max(0, -offset)
    end = min(len(query), len(ref) - offset)
    if end <= start:
        return start, np.zeros(0)
    bits = _popcount(np.bitwise_xor(query[start:end], ref[start + offset : end + offset]))
    return start, bits / 32.0


def picture_errors(query: Picture, ref: Content, offset: int) -> tuple[int, F64]:
    """First query frame of the overlap and each frame's distance there (0 same, 1 different)."""
    assert ref.full is not None and ref.centre is not None
    q_full, q_centre, q_captions = query
    start = max(0, -offset)
    end = min(len(q_full), len(ref.full) - offset)
    if end <= start:
        return start, np.zeros(0)
    qf, qc = q_full[start:end], q_centre[start:end]
    rf, rc = ref.full[start + offset : end + offset], ref.centre[start + offset : end + offset]
    # A vertical crop's whole frame is the original's centre: whichever pairing fits the file best.
    pairings = [(qf, rf), (qc, rc), (qf, rc)]
    distances = [_popcount(q ^ r) / 64.0 for q, r in pairings]
    best = int(np.argmin([d.mean() for d in distances]))
    q, r = pairings[best]
    distance = np.where((q == 0) & (r == 0), 0.0, np.where((q == 0) ^ (r == 0), 1.0, distances[best]))
    if best == 0 and q_captions is not None and ref.captions is not None:
        # Same framing: compare the caption zone cell by cell (after evening out brightness).
        qc_, rc_ = (
            q_captions[start:end].astype(np.float64),
            ref.captions[start + offset : end + offset].astype(np.float64),
        )
        cells = np.abs((qc_ - qc_.mean(axis=(1, 2), keepdims=True)) - (rc_ - rc_.mean(axis=(1, 2), keepdims=True)))
        distance = np.where(cells.max(axis=(1, 2)) * 17 > CAPTION_LEVELS, 1.0, distance)
    return start, distance


def _best_audio_offset(query: U32, ref: U32, guess: int) -> tuple[int, int, F64]:
    best: tuple[int, int, F64] | None = None
    for offset in range(guess - 2, guess + 4):
        start, errors = audio_errors(query, ref, offset)
        if errors.size and (best is None or errors.mean() < best[2].mean()):
            best = (offset, start, errors)
    return best if best is not None else (guess, 0, np.zeros(0))


def _runs(mask: B) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def shared_audio(index: CatalogueIndex, owner: int) -> B:
    """Positions of a PSA's sound that line up with another catalogue PSA (jingles, end cards)."""
    content = index.contents[owner]
    assert content.audio is not None
    shared = np.zeros(len(content.audio), dtype=bool)
    for other in index.audio_candidates(content.audio, skip_psa=content.psa_id):
        other_audio = index.contents[other.content].audio
        assert other_audio is not None
        # Here the PSA is the query: reference position = its position + offset.
        _, start, errors = _best_audio_offset(content.audio, other_audio, other.offset)
        same = _smooth(errors, AUDIO_SMOOTH) < AUDIO_SAME
        shared[start : start + len(same)] |= same
    return shared


def shared_picture(index: CatalogueIndex, owner: int) -> B:
    """Frames of a PSA's picture that line up with another catalogue PSA (title and end cards)."""
    content = index.contents[owner]
    assert content.full is not None and content.centre is not None
    shared = np.zeros(len(content.full), dtype=bool)
    for other in index.picture_candidates(content.full, content.centre, skip_psa=content.psa_id):
        own = (content.full, content.centre, content.captions)
        found = _best_picture_offset(own, index.contents[other.content], other.offset)
        if found is not None:
            _, start, errors = found
            same = _smooth(errors, PICTURE_SMOOTH) < PICTURE_SAME
            shared[start : start + len(same)] |= same
    return shared


def informative_audio(values: U32) -> B:
    """False where a value repeats its neighbour: silence and held tones say nothing about the content."""
    repeats = np.zeros(len(values), dtype=bool)
    repeats[1:] |= values[1:] == values[:-1]
    repeats[:-1] |= values[:-1] == values[1:]
    return ~repeats


def _best_picture_offset(query: Picture, content: Content, guess: int) -> tuple[int, int, F64] | None:
    assert content.full is not None and content.centre is not None
    best: tuple[int, int, F64] | None = None
    for offset in range(guess - 2, guess + 3):
        start, errors = picture_errors(query, content, offset)
        if errors.size and (best is None or errors.mean() < best[2].mean()):
            best = (offset, start, errors)
    return best


@dataclass(frozen=True)
class _Aligned:
    """One modality of a query lined up with a content."""

    same: B  # per query step in the overlap: the same as the content
    informative: B  # ... and the content there is its own (not shared, not silent or flat)
    overlap_share: float
    runs: list[tuple[float, float]]  # query seconds where they differ
    offset: float  # seconds: content time = query time + offset


def _sound(index: CatalogueIndex, prints: Prints, owner: int, guess: float) -> _Aligned | None:
    content = index.contents[owner]
    if prints.audio is None or content.audio is None or len(prints.audio) < 2:
        return None
    offset, start, errors = _best_audio_offset(prints.audio, content.audio, round(guess / CHROMAPRINT_STEP))
    if not errors.size:
        return None
    same = _smooth(errors, AUDIO_SMOOTH) < AUDIO_SAME
    informative = informative_audio(content.audio) & ~shared_audio(index, owner)
    runs = [
        ((start + a) * CHROMAPRINT_STEP + AUDIO_LEAD, (start + b - 1) * CHROMAPRINT_STEP + AUDIO_LEAD)
        for a, b in _runs(~same)
    ]
    share = len(same) / max(1, min(len(content.audio), len(prints.audio)))
    ref = slice(start + offset, start + offset + len(same))
    # Both sides must say something: a held tone in the file matches nothing, even where it looks close.
    informative = informative[ref] & informative_audio(prints.audio)[start : start + len(same)]
    return _Aligned(same, informative, share, runs, offset * CHROMAPRINT_STEP)


def _picture(index: CatalogueIndex, prints: Prints, owner: int, guess: float) -> _Aligned | None:
    content = index.contents[owner]
    if prints.full is None or prints.centre is None or content.full is None or len(prints.full) < 2:
        return None
    found = _best_picture_offset((prints.full, prints.centre, prints.captions), content, round(guess * FRAME_RATE))
    if found is None:
        return None
    offset, start, errors = found
    same = _smooth(errors, PICTURE_SMOOTH) < PICTURE_SAME
    informative = (content.full != 0) & ~shared_picture(index, owner)
    runs = [((start + a) / FRAME_RATE, (start + b) / FRAME_RATE) for a, b in _runs(~same)]
    share = len(same) / max(1, min(len(content.full), len(prints.full)))
    ref = slice(start + offset, start + offset + len(same))
    informative = informative[ref] & (prints.full[start : start + len(same)] != 0)
    return _Aligned(same, informative, share, runs, offset / FRAME_RATE)


def recognise(index: CatalogueIndex, prints: Prints) -> Recognition:
    """The best explanation of `prints` by the catalogue (the kind is "unknown" when there is none)."""
    guesses: dict[int, float] = {}
    if prints.audio is not None and len(prints.audio) >= 2:
        for c in index.audio_candidates(prints.audio):
            guesses.setdefault(c.content, c.offset * CHROMAPRINT_STEP)
    if prints.full is not None and prints.centre is not None and len(prints.full) >= 2:
        for c in index.picture_candidates(prints.full, prints.centre):
            guesses.setdefault(c.content, c.offset / FRAME_RATE)
    results = [_assess(index, prints, owner, guess) for owner, guess in guesses.items()]
    rank = {"copy": 2, "altered": 1, "unknown": 0}
    return max(results, key=lambda r: (rank[r.kind], r.similarity), default=Recognition("unknown"))


def _assess(index: CatalogueIndex, prints: Prints, owner: int, guess: float) -> Recognition:
    content = index.contents[owner]
    sound = _sound(index, prints, owner, guess)
    # The picture follows the sound's alignment when there is one (it is finer and surer).
    picture = _picture(index, prints, owner, sound.offset if sound else guess)
    # The verdict rests on the sound when it says enough, else on the picture.
    basis = sound if sound is not None and sound.informative.sum() >= MIN_INFORMATIVE else picture
    if basis is None:
        return Recognition("unknown", content)
    segments = _merge(sound.runs if sound else [], picture.runs if picture else [])
    own = int(basis.informative.sum())
    coverage = float((basis.same & basis.informative).sum() / own) if own else 0.0
    matched_share = float(basis.same.mean())
    if basis.overlap_share < OVERLAP or own < MIN_INFORMATIVE:
        return Recognition("unknown", content, coverage)
    if segments and coverage >= ALTERED and matched_share >= 0.5:
        return Recognition("altered", content, coverage, tuple(segments), basis.offset)
    if not segments and coverage >= COPY:
        return Recognition("copy", content, coverage, (), basis.offset)
    return Recognition("unknown", content, coverage)


def _merge(sound: list[tuple[float, float]], picture: list[tuple[float, float]]) -> list[Segment]:
    """Differing ranges long enough to matter; where sound and picture ranges overlap, "both"."""
    tagged = [(a, b, "sound") for a, b in sound] + [(a, b, "picture") for a, b in picture]
    tagged = [t for t in tagged if t[1] - t[0] >= MIN_SEGMENT]
    tagged.sort()
    merged: list[Segment] = []
    for a, b, kind in tagged:
        if merged and a <= merged[-1].end:
            last = merged[-1]
            differs = last.differs if last.differs == kind else "both"
            merged[-1] = Segment(last.start, max(last.end, b), differs)
        else:
            merged.append(Segment(a, b, kind))
    return [Segment(round(max(0.0, s.start), 1), round(s.end, 1), s.differs) for s in merged]
