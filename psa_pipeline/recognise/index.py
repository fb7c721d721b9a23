"""The catalogue's fingerprints, indexed so a query finds its candidates without scanning every PSA.

Audio: an inverted index from each exact 32-bit Chromaprint value to where it occurs (which
content, which position). A copy shares a fair part of its values exactly with the original
(more than enough to vote), so the votes for (content, offset) find the few candidates worth
aligning; values that occur everywhere (silence, a hum) are skipped as stop-words.
Picture: the same for 16-bit bands of the frame hashes (a hash with at most 3 differing bits
keeps at least one of its four bands intact).

Sorted numpy arrays with `searchsorted` instead of dicts: building the index of 1,000 PSAs and
looking a minute of queries up take milliseconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from psa_pipeline.recognise.extract import U8, U32, U64

I64 = npt.NDArray[np.int64]
# A value found at more places than this says nothing about where a query comes from.
STOP_WORD_HITS = 64
CANDIDATES = 6


@dataclass(frozen=True)
class Publication:
    """Where one content was published: a PSA's channel."""

    psa_id: str
    title: str
    agency: str
    channel: str
    published_at: str
    files: tuple[str, ...]


@dataclass
class Content:
    """One distinct sound-and-picture of a PSA, with every channel that published it."""

    psa_id: str
    duration: float
    audio: U32 | None
    full: U64 | None
    centre: U64 | None
    captions: U8 | None = None
    publications: list[Publication] = field(default_factory=list)

    def digest(self) -> str:
        h = hashlib.sha256(self.psa_id.encode())
        for part in (self.audio, self.full, self.centre, self.captions):
            h.update(b"-" if part is None else part.tobytes())
        return h.hexdigest()


@dataclass(frozen=True)
class Candidate:
    content: int
    offset: int  # reference position minus query position, in the modality's steps
    votes: int


class _Inverted:
    def __init__(self, keys: list[I64], positions: list[I64], owners: list[int]) -> None:
        empty = np.zeros(0, np.int64)
        all_keys = np.concatenate(keys) if keys else empty
        owner = np.repeat(np.asarray(owners, np.int64), [len(k) for k in keys]) if keys else empty
        position = np.concatenate(positions) if keys else empty
        order = np.argsort(all_keys)
        self.keys = all_keys[order]
        self.owner = owner[order]
        self.position = position[order]

    def vote(self, query: I64, positions: I64, skip: Callable[[int], bool] = lambda owner: False) -> list[Candidate]:
        left = np.searchsorted(self.keys, query, side="left")
        right = np.searchsorted(self.keys, query, side="right")
        counts = right - left
        useful = (counts > 0) & (counts <= STOP_WORD_HITS)
        if not useful.any():
            return []
        left, counts, positions = left[useful], counts[useful], positions[useful]
        # Expand each query value's [left, right) run of hits without a Python loop.
        starts = np.repeat(left - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        query_pos = np.repeat(positions, counts)
        owners = self.owner[starts]
        offsets = self.position[starts] - query_pos
        # Neighbouring offsets are the same alignment (frame boundaries fall differently in a re-encode).
        pair = owners * 1_000_000 + (offsets + 500_000) // 2 * 2
        unique, votes = np.unique(pair, return_counts=True)
        best = np.argsort(-votes, kind="stable")
        found: list[Candidate] = []
        seen: set[int] = set()
        for i in best:
            owner = int(unique[i] // 1_000_000)
            if owner in seen or votes[i] < 2 or skip(owner):
                continue
            seen.add(owner)
            found.append(Candidate(owner, int(unique[i] % 1_000_000) - 500_000, int(votes[i])))
            if len(found) == CANDIDATES:
                break
        return found


def band_keys(hashes: U64) -> tuple[I64, I64]:
    """Four keys per non-flat hash (band number in the high bits) and the frame each comes from."""
    frames = np.flatnonzero(hashes != 0)
    bands = [((hashes[frames] >> np.uint64(16 * b)) & np.uint64(0xFFFF)).astype(np.int64) | (b << 16) for b in range(4)]
    return np.concatenate(bands), np.tile(frames, 4).astype(np.int64)


class CatalogueIndex:
    def __init__(self, contents: list[Content]) -> None:
        self.contents = contents
        audio = [(i, c.audio.astype(np.int64)) for i, c in enumerate(contents) if c.audio is not None]
        self._audio = _Inverted(
            [a for _, a in audio], [np.arange(len(a), dtype=np.int64) for _, a in audio], [i for i, _ in audio]
        )
        keys: list[I64] = []
        frames: list[I64] = []
        owners: list[int] = []
        for i, c in enumerate(contents):
            if c.full is None or c.centre is None:
                continue
            # Both views in one index: a vertical crop's whole frame looks like the original's centre.
            k, f = band_keys(np.concatenate([c.full, c.centre]))
            keys.append(k)
            frames.append(f % len(c.full))
            owners.append(i)
        self._picture = _Inverted(keys, frames, owners)

    def audio_candidates(self, values: U32, skip_psa: str | None = None) -> list[Candidate]:
        query = values.astype(np.int64)
        positions = np.arange(len(query), dtype=np.int64)
        return self._audio.vote(query, positions, lambda owner: self.contents[owner].psa_id == skip_psa)

    def picture_candidates(self, full: U64, centre: U64, skip_psa: str | None = None) -> list[Candidate]:
        found: dict[int, Candidate] = {}
        for hashes in (full, centre):
            keys, frames = band_keys(hashes)
            for c in self._picture.vote(keys, frames, lambda owner: self.contents[owner].psa_id == skip_psa):
                if c.content not in found or found[c.content].votes < c.votes:
                    found[c.content] = c
        return sorted(found.values(), key=lambda c: -c.votes)[:CANDIDATES]
