"""Benchmark: verify a 60 s clip against a catalogue of 1,000 PSAs (issue 14: under 2 s once fetched).

The catalogue is made of the fingerprints of five real 60 s PSAs (synthesised with the test
corpus' generator: shared jingle and end card, own speech and picture) and 995 generated
ones: random sound and picture fingerprints that start and end with the real jingle's and end
card's, as an agency's PSAs do. Index and matcher are the real ones, fed from the records'
JSON text as `psa verify` reads them. Timed: building the index, then verifying (decode and
fingerprint the clip, look it up, align, decide) a re-encoded copy and an unrelated clip.

    .venv/bin/python tools/bench_verify.py [--psas 1000] [--out bench-out/verify]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test corpus' PSA synthesiser
sys.path.append(str(ROOT / "tools" / "bench"))  # the benchmarks' shared helpers (after tests: both have a helpers.py)

from common import wait_for_quiet  # noqa: E402
from psa_media import make_psa, sentences, speech, whatsapp_copy  # noqa: E402

from psa_pipeline.recognise.catalogue import build_index  # noqa: E402
from psa_pipeline.recognise.extract import Prints, fingerprint_file  # noqa: E402
from psa_pipeline.recognise.publishing import content_print  # noqa: E402
from psa_pipeline.recognise.verdict import verify_file  # noqa: E402
from psa_pipeline.records.fingerprints import FingerprintRecord  # noqa: E402

REAL = 5
SECONDS = 60.0
EDGE_AUDIO = 16  # chromaprint values in the 2 s jingle / end card
EDGE_FRAMES = 4


def synthetic(real: Prints, rng: np.random.Generator) -> Prints:
    """A made-up PSA: random content between the real PSA's jingle and end card."""
    assert real.audio is not None and real.full is not None and real.centre is not None
    assert real.captions is not None
    audio = rng.integers(0, 2**32, len(real.audio), dtype=np.uint64).astype(np.uint32)
    full = rng.integers(1, 2**63, len(real.full), dtype=np.uint64)
    centre = rng.integers(1, 2**63, len(real.full), dtype=np.uint64)
    captions = rng.integers(0, 16, real.captions.shape, dtype=np.uint8)
    for ours, theirs, edge in (
        (audio, real.audio, EDGE_AUDIO),
        (full, real.full, EDGE_FRAMES),
        (centre, real.centre, EDGE_FRAMES),
        (captions, real.captions, EDGE_FRAMES),
    ):
        ours[:edge] = theirs[:edge]
        ours[-edge:] = theirs[-edge:]
    return Prints(real.duration, audio, full, centre, captions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--psas", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out" / "verify")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lines = sentences()
    reals = []
    for i in range(REAL + 1):  # the last one is not published: the unrelated query
        path = out / f"psa{i}.mp4"
        if not path.exists():
            text = " ".join(lines[(i * 6 + k) % len(lines)] for k in range(6))
            voice = speech(out / f"voice{i}.wav", text, SECONDS - 4)
            make_psa(path, 11 + i, voice, f"Pesan layanan masyarakat {i}", speech_seconds=SECONDS - 4)
        reals.append(path)
    copy = out / "copy-480p.mp4"
    if not copy.exists():
        whatsapp_copy(reals[0], copy)
    prints = [fingerprint_file(p) for p in reals[:REAL]]
    rng = np.random.default_rng(14)
    texts = []
    for n in range(args.psas):
        p = prints[n] if n < REAL else synthetic(prints[n % REAL], rng)
        record = FingerprintRecord(
            psa_id=f"psa-{n:04d}", channel="whatsapp", sources={},
            contents=[content_print(p, p, [f"psa-{n:04d}.mp4"], p.duration)],
        )  # fmt: skip
        texts.append(record.to_json())
    print(f"catalogue: {args.psas} PSAs, {sum(map(len, texts)) / 1e6:.1f} MB of fingerprint files")
    print(f"waited {wait_for_quiet(60):.0f} s for a quiet machine")
    # CPU seconds (this process and the ffmpeg it runs) beside wall time: on a shared machine the
    # wall time also counts other people's work.
    print("| step | wall s | CPU s | verdict |\n|---|---|---|---|")
    began, cpu = time.perf_counter(), cpu_seconds()
    entry = {"title": "bench", "agency": "bench", "published_at": "2025-01-01"}
    index = build_index([(entry, FingerprintRecord.from_text(t, "bench")) for t in texts])
    wall, used = time.perf_counter() - began, cpu_seconds() - cpu
    print(f"| read {args.psas} fingerprint files and index them | {wall:.2f} | {used:.2f} | |")
    for name, path in (("60 s copy (480p CRF 30, AAC 64k)", copy), ("60 s unrelated clip", reals[REAL])):
        began, cpu = time.perf_counter(), cpu_seconds()
        verdict = verify_file(path, index, {})
        wall, used = time.perf_counter() - began, cpu_seconds() - cpu
        print(f"| verify a {name} | {wall:.2f} | {used:.2f} | {verdict.verdict} {verdict.psa_id or ''} |")


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
