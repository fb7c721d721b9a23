"""Recognition as a citizen meets it: copies of official PSAs known, doctored ones located, others unknown.

The corpus is synthesised once per session: four official PSAs that share the agency's
jingle, title card and end card, copies made the way messaging apps and people make them,
three doctored versions, and 50 unrelated clips (16 of them other PSAs with the same jingle
and end card: the hard case). Every expectation is about the synthesised media, whose
changes are known by construction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import ffmpeg
from psa_media import WHATSAPP, make_music, make_pattern, make_psa, sentences, speech

from psa_pipeline.recognise.catalogue import CatalogueError, build_index
from psa_pipeline.recognise.extract import Prints, fingerprint_file
from psa_pipeline.recognise.index import CatalogueIndex, Content
from psa_pipeline.recognise.match import recognise
from psa_pipeline.recognise.publishing import content_print
from psa_pipeline.recognise.verdict import Verdict, verify_file
from psa_pipeline.records.fingerprints import CHROMAPRINT_STEP, FingerprintRecord

pytestmark = pytest.mark.media

OFFICIAL = 4
CAPTIONS = [
    "Tolak gratifikasi, laporkan",
    "Bayar pajak dengan jujur",
    "Layanan publik tanpa pungli",
    "Cek sebelum sebar",
]


@dataclass
class Corpus:
    root: Path
    officials: list[Path]
    index: CatalogueIndex
    copies: dict[str, Path]
    altered: dict[str, tuple[Path, tuple[float, float], str]]
    unrelated: list[Path]

    def verdict(self, path: Path) -> Verdict:
        return verify_file(path, self.index, {})


def _catalogue(officials: list[Path]) -> CatalogueIndex:
    records = []
    for i, path in enumerate(officials):
        prints = fingerprint_file(path)
        record = FingerprintRecord(
            psa_id=f"psa-{i}", channel="whatsapp", sources={path.name: "0" * 64},
            contents=[content_print(prints, prints, [path.name], prints.duration)],
        )  # fmt: skip
        entry = {"title": f"Iklan {i}", "agency": "Diskominfo Kalteng", "published_at": "2025-06-12T00:00:00+00:00"}
        # Through the file form, as verify reads it.
        records.append((entry, FingerprintRecord.from_text(record.to_json(), "test")))
    return build_index(records)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("recognise")
    lines = sentences()
    jobs: list[Callable[[], Any]] = []
    voices = [speech(root / f"voice{i}.wav", lines[i]) for i in range(OFFICIAL)]
    officials = [root / f"official{i}.mp4" for i in range(OFFICIAL)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: make_psa(officials[i], i + 1, voices[i], CAPTIONS[i]), range(OFFICIAL)))
        o = str(officials[0])
        copies = {
            "480p CRF 30 + AAC 64k": (WHATSAPP, "mp4"),
            "9:16 centre crop": (["-vf", "crop=ih*9/16:ih,scale=180:320", "-b:a", "96k"], "mp4"),
            "2 s trimmed from each end": (["-ss", "2", "-t", "8"], "mp4"),
            "MP3 rip of the video": (["-vn", "-c:a", "libmp3lame", "-b:a", "128k"], "mp3"),
            "lossless remux": (["-c", "copy"], "mkv"),
            "letterboxed into 9:16": (["-vf", "scale=180:100,pad=180:320:0:110:black", "-b:a", "64k"], "mp4"),
        }
        copy_paths = {name: root / f"copy{i}.{ext}" for i, (name, (_, ext)) in enumerate(copies.items())}
        for name, (args, _) in copies.items():
            codec = (
                [] if {"-c", "-c:v", "-vn"} & set(args) else ["-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac"]
            )
            jobs.append(lambda args=args, name=name, codec=codec: ffmpeg("-i", o, *args, *codec, str(copy_paths[name])))
        other_voice = speech(root / "other-voice.wav", lines[OFFICIAL + 5], 3.0)
        swapped = root / "altered-speech.mp4"
        graph = (
            "[0:a]atrim=0:5[a];[1:a]aresample=48000,aformat=channel_layouts=stereo[b];"
            "[0:a]atrim=8,asetpts=PTS-STARTPTS[c];[a][b][c]concat=n=3:v=0:a=1[out]"
        )
        splice = ["-i", o, "-i", str(other_voice), "-filter_complex", graph, "-map", "0:v", "-map", "[out]"]
        jobs.append(lambda: ffmpeg(*splice, "-c:v", "copy", "-c:a", "aac", str(swapped)))
        altered = {
            "3 s of speech replaced": (swapped, (5.0, 8.0), "sound"),
            "a different end-card text": (root / "altered-end.mp4", (10.0, 12.0), "picture"),
            "a caption line changed": (root / "altered-caption.mp4", (4.0, 7.0), "picture"),
        }
        jobs.append(
            lambda: make_psa(
                altered["a different end-card text"][0], 1, voices[0], CAPTIONS[0], end_card="SMS 0812 3456 7890"
            )
        )
        jobs.append(
            lambda: make_psa(
                altered["a caption line changed"][0],
                1,
                voices[0],
                CAPTIONS[0],
                caption_change=(4, 7, "Transfer ke rekening 123456"),
            )
        )
        unrelated: list[Path] = []
        for n in range(16):  # other PSAs with the same jingle, title card and end card
            path = root / f"same-jingle{n}.mp4"
            unrelated.append(path)
            jobs.append(
                lambda n=n, path=path: make_psa(
                    path,
                    50 + n,
                    speech(path.with_suffix(".wav"), lines[OFFICIAL + 6 + n], 3.0),
                    f"Pesan {n}",
                    speech_seconds=3.0,
                )
            )
        for n in range(12):
            unrelated.append(root / f"music{n}.mp4")
            jobs.append(lambda n=n: make_music(root / f"music{n}.mp4", n))
        for n in range(12):
            unrelated.append(root / f"pattern{n}.mp4")
            jobs.append(lambda n=n: make_pattern(root / f"pattern{n}.mp4", n))
        for n in range(10):  # speech alone, other words
            unrelated.append(root / f"speech{n}.wav")
            jobs.append(
                lambda n=n: speech(root / f"speech{n}.wav", lines[OFFICIAL + 22 + n % 8], 5.0, "id" if n < 8 else "en")
            )
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    return Corpus(root, officials, _catalogue(officials), copy_paths, altered, unrelated)


@pytest.mark.parametrize(
    "name",
    [
        "480p CRF 30 + AAC 64k",
        "9:16 centre crop",
        "2 s trimmed from each end",
        "MP3 rip of the video",
        "lossless remux",
        "letterboxed into 9:16",
    ],
)
def test_a_reshared_copy_is_an_official_copy_of_the_right_psa(corpus: Corpus, name: str) -> None:
    verdict = corpus.verdict(corpus.copies[name])
    assert (verdict.verdict, verdict.psa_id) == ("official-copy", "psa-0"), verdict
    assert verdict.similarity is not None and verdict.similarity >= 0.8
    assert verdict.title == "Iklan 0" and verdict.agency == "Diskominfo Kalteng"
    assert "SALINAN RESMI" in verdict.sentence() and "OFFICIAL COPY" in verdict.sentence()


def test_each_official_psa_is_recognised_as_itself(corpus: Corpus) -> None:
    found = [(corpus.verdict(p).verdict, corpus.verdict(p).psa_id) for p in corpus.officials]
    assert found == [("official-copy", f"psa-{i}") for i in range(OFFICIAL)]


@pytest.mark.parametrize("name", ["3 s of speech replaced", "a different end-card text", "a caption line changed"])
def test_a_doctored_copy_is_altered_with_the_changed_range_located(corpus: Corpus, name: str) -> None:
    path, (start, end), differs = corpus.altered[name]
    verdict = corpus.verdict(path)
    assert (verdict.verdict, verdict.psa_id) == ("altered", "psa-0"), verdict
    assert len(verdict.segments) == 1, verdict.segments
    segment = verdict.segments[0]
    assert abs(segment.start - start) <= 1.0 and abs(segment.end - end) <= 1.0, segment
    assert segment.differs == differs
    assert "DIUBAH" in verdict.sentence() and "ALTERED" in verdict.sentence()
    assert verdict.exit_code == 1


def test_no_unrelated_clip_passes_as_an_official_copy(corpus: Corpus) -> None:
    assert len(corpus.unrelated) >= 50
    verdicts = {p.name: corpus.verdict(p).verdict for p in corpus.unrelated}
    assert [name for name, v in verdicts.items() if v == "official-copy"] == []
    assert [name for name, v in verdicts.items() if v != "unknown"] == []


def test_confusion_table(corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    """The table in the README: rows are what each file is, columns what verify said."""
    rows = {
        "re-shared copies": list(corpus.copies.values()) + corpus.officials,
        "doctored copies": [p for p, _, _ in corpus.altered.values()],
        "unrelated clips": corpus.unrelated,
    }
    table = {row: Counter(corpus.verdict(p).verdict for p in files) for row, files in rows.items()}
    with capsys.disabled():
        print("\n| file is \\ verify says | official-copy | altered | unknown |")
        for row, counts in table.items():
            print(
                f"| {row} ({sum(counts.values())}) | {counts['official-copy']} | {counts['altered']} | {counts['unknown']} |"
            )
    assert table["re-shared copies"]["official-copy"] == len(rows["re-shared copies"])
    assert table["doctored copies"]["altered"] == len(rows["doctored copies"])
    assert table["unrelated clips"]["official-copy"] == 0


def _random_prints(rng: Any, seconds: float) -> Prints:
    values = int(seconds / CHROMAPRINT_STEP)
    frames = int(seconds * 2)
    audio = rng.integers(0, 2**32, values, dtype=np.uint64).astype(np.uint32)
    return Prints(
        seconds, audio, rng.integers(1, 2**63, frames, dtype=np.uint64), rng.integers(1, 2**63, frames, dtype=np.uint64)
    )


def _splice(*parts: tuple[Prints, float, float]) -> Prints:
    """Seconds [a, b) of each part, one after another."""
    audio = np.concatenate([p.audio[round(a / CHROMAPRINT_STEP) : round(b / CHROMAPRINT_STEP)] for p, a, b in parts])  # type: ignore[index]
    full = np.concatenate([p.full[round(a * 2) : round(b * 2)] for p, a, b in parts])  # type: ignore[index]
    centre = np.concatenate([p.centre[round(a * 2) : round(b * 2)] for p, a, b in parts])  # type: ignore[index]
    return Prints(sum(b - a for _, a, b in parts), audio, full, centre)


def test_content_shared_with_other_catalogue_psas_does_not_make_a_match() -> None:
    """Pure matching, no media: a clip that is only the agency's jingle and end card plus other speech is unknown."""
    rng = np.random.default_rng(7)
    jingle, end = _random_prints(rng, 3), _random_prints(rng, 3)
    psas = [_splice((jingle, 0, 3), (_random_prints(rng, 12), 0, 12), (end, 0, 3)) for _ in range(3)]
    index = CatalogueIndex([Content(f"psa-{i}", 18, p.audio, p.full, p.centre) for i, p in enumerate(psas)])
    stranger = _splice((jingle, 0, 3), (_random_prints(rng, 12), 0, 12), (end, 0, 3))
    assert recognise(index, stranger).kind == "unknown"
    assert recognise(index, psas[1]).kind == "copy" and recognise(index, psas[1]).content is index.contents[1]
    doctored = _splice((psas[1], 0, 8), (stranger, 8, 11), (psas[1], 11, 18))
    found = recognise(index, doctored)
    assert found.kind == "altered" and found.content is index.contents[1]
    assert [(s.differs, abs(s.start - 8) <= 1, abs(s.end - 11) <= 1) for s in found.segments] == [("both", True, True)]


def test_fingerprints_made_another_way_are_refused() -> None:
    rng = np.random.default_rng(1)
    prints = _random_prints(rng, 10)
    content = content_print(prints, prints, ["x.mp4"], 10)
    other = content.model_copy(update={"video": content.video.model_copy(update={"rate": 5.0})})  # type: ignore[union-attr]
    record = FingerprintRecord(psa_id="psa-x", channel="web", sources={}, contents=[other])
    with pytest.raises(CatalogueError, match="another method"):
        build_index([({}, record)])
