"""What the checks find: problems with a severity and a place in a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Location:
    file: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Problem:
    severity: Severity
    check: str
    message: str
    location: Location

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


@dataclass
class ManifestReport:
    """Everything `psa validate` found about one manifest."""

    manifest: Path
    psa_id: str | None = None
    checks: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    # Values that checks across manifests compare (id, agency.code), with where each is written.
    keys: dict[str, tuple[str, Location]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


class PsaError(Exception):
    """A user-facing failure: the CLI prints it as one clear line, never a traceback."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class MediaError(PsaError):
    """A media file cannot be read or does not have what is needed."""


class DiskFullError(PsaError):
    """No space left where psa writes. Not a problem of one PSA: every other one would fail the same way,
    so runs of many PSAs stop on it instead of reporting the same failure for each."""
