"""`psa verify` verdicts: official, official-copy, altered or unknown, for a citizen and for a machine.

official       byte-identical to a published file (SHA-256)
official-copy  the same content as an official PSA: re-encoded, remuxed, resized, cropped,
               trimmed at the ends, or its sound ripped from the video
altered        matches an official PSA except for some stretches (listed, with what differs)
unknown        matches nothing official
error          the file cannot be read as media (exit 2 like a broken catalogue)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import MediaError
from psa_pipeline.recognise.catalogue import build_index, catalogue_files, fingerprint_records
from psa_pipeline.recognise.credentials import Credential, read_credential
from psa_pipeline.recognise.extract import fingerprint_file
from psa_pipeline.recognise.index import CatalogueIndex
from psa_pipeline.recognise.match import Segment, recognise

EXIT = {"official": 0, "official-copy": 0, "altered": 1, "unknown": 1, "error": 2}


@dataclass(frozen=True)
class Verdict:
    file: str
    verdict: str
    psa_id: str | None = None
    title: str | None = None
    agency: str | None = None
    channel: str | None = None
    published_at: str | None = None
    similarity: float | None = None
    segments: list[Segment] = field(default_factory=list)
    credential: Credential | None = None
    error: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["credential"] = asdict(self.credential) if self.credential else None
        return data

    def sentence(self) -> str:
        """One plain sentence in Bahasa Indonesia, then the same in English."""
        what = f"“{self.title}” ({self.agency}, {(self.published_at or '')[:10]})"
        if self.verdict == "official":
            text = (
                f"RESMI: file ini adalah rilis resmi {what}, kanal {self.channel}. Aman dibagikan. / "
                f"OFFICIAL: this file is the official release of {what}, channel {self.channel}. Safe to share."
            )
        elif self.verdict == "official-copy":
            share = f"{(self.similarity or 0) * 100:.0f}%"
            text = (
                f"SALINAN RESMI: isinya sama dengan iklan resmi {what}, hanya formatnya diubah (kecocokan {share}). / "
                f"OFFICIAL COPY: same content as the official PSA {what}, only re-encoded or trimmed ({share} match)."
            )
        elif self.verdict == "altered":
            id_parts = ", ".join(f"{_clock(s.start)}–{_clock(s.end)} ({_ID_PART[s.differs]})" for s in self.segments)
            en_parts = ", ".join(f"{_clock(s.start)}–{_clock(s.end)} ({s.differs})" for s in self.segments)
            text = (
                f"DIUBAH: mirip iklan resmi {what}, tetapi bagian {id_parts} berbeda dari aslinya. "
                "Jangan disebarkan. / "
                f"ALTERED: looks like the official PSA {what}, but {en_parts} differ from the original. "
                "Do not share it."
            )
        elif self.verdict == "unknown":
            text = (
                "TIDAK DIKENAL: file ini tidak cocok dengan iklan resmi mana pun di katalog. / "
                "UNKNOWN: this file matches no official PSA in the catalogue."
            )
        else:
            text = f"GALAT / ERROR: {self.error}"
        return f"{self.file}: {text}{self._credential_sentence()}"

    def _credential_sentence(self) -> str:
        if self.credential is None or self.credential.state == "absent":
            return ""
        if self.credential.state == "invalid":
            return " Kredensial konten RUSAK / content credential INVALID."
        return (
            f" Kredensial konten sah / valid content credential: {self.credential.publisher},"
            f" {self.credential.agency}, {self.credential.psa_id} (signer: {self.credential.signer})."
        )


_ID_PART = {"sound": "suara", "picture": "gambar", "both": "suara dan gambar"}


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


Exact = dict[str, tuple[str, dict[str, Any], str]]


def exact_matches(catalogs: list[dict[str, Any]]) -> Exact:
    """SHA-256 of every published file -> (PSA id, its catalogue entry, its channel)."""
    found: Exact = {}
    for catalog in catalogs:
        for psa_id, entry, file in catalogue_files(catalog):
            found.setdefault(str(file.get("sha256")), (psa_id, entry, str(catalog.get("channel"))))
    return found


def verify_file(path: Path, index: CatalogueIndex, exact: Exact) -> Verdict:
    name = str(path)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        return Verdict(
            name, "error", error=_("{name}: cannot be read ({reason})").format(name=name, reason=exc.strerror)
        )
    credential = read_credential(path)
    if digest in exact:
        psa_id, entry, channel = exact[digest]
        return Verdict(
            name, "official", psa_id, entry.get("title"), entry.get("agency"), channel,
            entry.get("published_at"), 1.0, credential=credential,
        )  # fmt: skip
    try:
        prints = fingerprint_file(path)
    except MediaError as exc:
        return Verdict(name, "error", error=str(exc), credential=credential)
    found = recognise(index, prints)
    if found.kind == "unknown" or found.content is None:
        return Verdict(name, "unknown", credential=credential)
    publication = found.content.publications[0]
    return Verdict(
        name,
        "official-copy" if found.kind == "copy" else "altered",
        publication.psa_id,
        publication.title,
        publication.agency,
        publication.channel,
        publication.published_at,
        round(found.similarity, 3),
        list(found.segments),
        credential,
    )


def verify_files(files: list[Path], catalogs: list[dict[str, Any]], endpoint_url: str | None = None) -> list[Verdict]:
    """A verdict for each file against the catalogues (CatalogueError if their fingerprints cannot be read)."""
    index = build_index(fingerprint_records(catalogs, endpoint_url))
    exact = exact_matches(catalogs)
    return [verify_file(path, index, exact) for path in files]
