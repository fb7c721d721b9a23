"""Content credentials (C2PA): sign published MP4 and MP3 files, and read a file's credential back.

The signing key and certificate chain come from files named by the environment
(`PSA_SIGNING_CERT`, `PSA_SIGNING_KEY`; an ES256 key and its PEM chain, leaf first). Their
contents are never printed, logged or published: errors name the variable and path only.
Signing is skipped when neither variable is set; a half configuration is refused.

What a credential proves: the file is unchanged since someone holding the key signed it, and
which certificate that was. Whether that certificate is Kominfosantik's is a question of trust
anchors, which `psa verify` does not configure; it reports the signer it reads.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import c2pa

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError

CERT_VARIABLE = "PSA_SIGNING_CERT"
KEY_VARIABLE = "PSA_SIGNING_KEY"
PUBLISHER = "Kominfosantik"
SIGNED_FORMATS = {".mp4": "video/mp4", ".mp3": "audio/mpeg"}


@dataclass(frozen=True)
class SigningKey:
    chain: bytes
    key: bytes

    def __repr__(self) -> str:  # never let a key reach a log or a traceback
        return "SigningKey(<hidden>)"


def signing_key_from_environment() -> SigningKey | None:
    cert_path, key_path = os.environ.get(CERT_VARIABLE), os.environ.get(KEY_VARIABLE)
    if not cert_path and not key_path:
        return None
    if not cert_path or not key_path:
        missing = CERT_VARIABLE if not cert_path else KEY_VARIABLE
        raise PsaError(
            _("content credentials: {missing} is not set; set both {cert} and {key}").format(
                missing=missing, cert=CERT_VARIABLE, key=KEY_VARIABLE
            )
        )
    parts = []
    for variable, path in ((CERT_VARIABLE, cert_path), (KEY_VARIABLE, key_path)):
        try:
            parts.append(Path(path).read_bytes())
        except OSError as exc:
            raise PsaError(
                _("content credentials: cannot read {variable} file {path} ({reason})").format(
                    variable=variable, path=path, reason=exc.strerror
                )
            ) from None
    return SigningKey(parts[0], parts[1])


def sign_file(source: Path, target: Path, key: SigningKey, psa_id: str, title: str, agency: str) -> None:
    """Write `source` with a C2PA manifest naming the agency, the publisher and the PSA to `target`."""
    manifest = {
        "claim_generator_info": [{"name": "psa-pipeline"}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/composite",
                        },
                        {"action": "c2pa.published"},
                    ]
                },
            },
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "identifier": psa_id,
                    "name": title,
                    "author": [{"@type": "Organization", "name": agency}],
                    "publisher": {"@type": "Organization", "name": PUBLISHER},
                },
            },
        ],
    }
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", key.chain, key.key, None))
        builder = c2pa.Builder(manifest)
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, target.open("w+b") as dst:
            builder.sign(signer, SIGNED_FORMATS[source.suffix.lower()], src, dst)
    except c2pa.C2paError as exc:
        target.unlink(missing_ok=True)
        # The library's message can quote the certificate; say which step failed, not what it read.
        raise PsaError(
            _("content credentials: signing {file} failed ({kind}); "
              "check that {cert} is an ES256 certificate chain (leaf first) and {key} its key").format(
                file=source.name, kind=type(exc).__name__.lstrip("_"), cert=CERT_VARIABLE, key=KEY_VARIABLE)
        ) from None  # fmt: skip


@dataclass(frozen=True)
class Credential:
    state: str  # valid, invalid, absent
    psa_id: str | None = None
    agency: str | None = None
    publisher: str | None = None
    signer: str | None = None


def read_credential(path: Path) -> Credential:
    try:
        reader = c2pa.Reader(path)
        state = reader.get_validation_state()
        store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        name = type(exc).__name__
        # No manifest, or a format C2PA does not cover: nothing claimed, nothing broken.
        if "NotFound" in name or "NotSupported" in name or "Io" in name:
            return Credential("absent")
        return Credential("invalid")
    except (OSError, ValueError):
        return Credential("absent")
    if state not in ("Valid", "Trusted"):
        return Credential("invalid")
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    work: dict[str, Any] = next(
        (a.get("data", {}) for a in active.get("assertions", []) if a.get("label") == "stds.schema-org.CreativeWork"),
        {},
    )
    authors = work.get("author") or [{}]
    return Credential(
        "valid",
        psa_id=work.get("identifier"),
        agency=authors[0].get("name"),
        publisher=(work.get("publisher") or {}).get("name"),
        signer=(active.get("signature_info") or {}).get("common_name")
        or (active.get("signature_info") or {}).get("issuer"),
    )
