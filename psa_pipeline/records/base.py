"""The record convention: a pydantic model with `kind` and `schema`, read and written in one place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.problems import PsaError

MAX_RECORD_BYTES = 64 * 1024 * 1024


class RecordError(PsaError):
    """A record file is missing, malformed, or of a kind or version this psa does not read."""


class Record(BaseModel):
    """Base of every on-disk record.

    Subclasses set `KIND` and `VERSION`; they are written into the file as `kind` and `schema`
    (not model fields: pydantic reserves `schema`) so a reader knows what it holds. Unknown fields
    are refused: a record is written by psa, so an unexpected field means another version or a hand edit.
    """

    model_config = ConfigDict(extra="forbid")

    KIND: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def to_json(self) -> str:
        data = self.model_dump(mode="json")
        return json.dumps({"kind": self.KIND, "schema": self.VERSION, **data}, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_data(cls, data: object, where: str) -> Self:
        if not isinstance(data, dict):
            raise RecordError(f"{where}: not a {cls.KIND} record (expected a JSON object)")
        kind = data.get("kind")
        version = data.get("schema")
        if kind != cls.KIND:
            raise RecordError(f"{where}: holds a '{kind}' record, expected '{cls.KIND}'")
        if not isinstance(version, int) or isinstance(version, bool):
            raise RecordError(f"{where}: has no valid `schema` version")
        if version > cls.VERSION:
            raise RecordError(
                f"{where}: written by a newer psa (schema {version}; this psa reads up to {cls.VERSION}): upgrade psa"
            )
        if version < cls.VERSION:
            data = cls.upgrade(dict(data), version)
        body = {k: v for k, v in data.items() if k not in ("kind", "schema")}
        try:
            return cls.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            place = ".".join(str(p) for p in first["loc"]) or "(top)"
            raise RecordError(f"{where}: malformed {cls.KIND} record at {place}: {first['msg']}") from None

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        """Bring an older version's data up to this one; by default older versions are refused."""
        raise RecordError(f"{cls.KIND} schema {version} is no longer read by this psa (reads {cls.VERSION})")

    @classmethod
    def from_text(cls, text: str | bytes, where: str) -> Self:
        if len(text) > MAX_RECORD_BYTES:
            raise RecordError(f"{where}: too large for a {cls.KIND} record ({len(text)} bytes)")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise RecordError(f"{where}: not valid JSON ({type(exc).__name__})") from None
        return cls.from_data(data, where)

    @classmethod
    def read(cls, path: Path) -> Self:
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            raise RecordError(f"{path}: missing") from None
        except OSError as exc:
            raise RecordError(f"{path}: cannot be read ({exc.strerror})") from None
        return cls.from_text(text, str(path))

    @classmethod
    def read_if_exists(cls, path: Path) -> Self | None:
        return cls.read(path) if path.exists() else None

    def write(self, path: Path) -> bool:
        """Write atomically; returns False (and leaves the file's mtime alone) when the content is unchanged."""
        text = self.to_json()
        try:
            if path.read_text(encoding="utf-8") == text:
                return False
        except (OSError, UnicodeDecodeError):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_text(path) as handle:
            handle.write(text)
        return True

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = cls.model_json_schema()
        schema["properties"] = {
            "kind": {"const": cls.KIND},
            "schema": {"const": cls.VERSION},
            **schema.get("properties", {}),
        }
        schema["required"] = ["kind", "schema", *schema.get("required", [])]
        schema["title"] = cls.__name__
        return schema
