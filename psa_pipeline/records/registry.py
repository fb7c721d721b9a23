"""Every record kind psa knows, found rather than listed: a record module added to this package appears here."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from psa_pipeline.core.problems import PsaError
from psa_pipeline.records.base import Record

PACKAGE = "psa_pipeline.records"


def record_classes(package: str = PACKAGE) -> list[type[Record]]:
    """Every concrete `Record` subclass defined in a module of `package`, sorted by kind."""
    root = importlib.import_module(package)
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        importlib.import_module(module.name)
    found: dict[str, type[Record]] = {}
    for cls in _subclasses(Record):
        if not cls.KIND or not cls.__module__.startswith(f"{package}."):
            continue
        other = found.setdefault(cls.KIND, cls)
        if other is not cls:
            raise PsaError(f"two records claim the kind '{cls.KIND}': {_name(other)} and {_name(cls)}")
    return [found[kind] for kind in sorted(found)]


def record_schemas(package: str = PACKAGE) -> dict[str, dict[str, Any]]:
    """The JSON Schema of each record kind, by kind."""
    return {cls.KIND: cls.json_schema() for cls in record_classes(package)}


def _subclasses(cls: type[Record]) -> list[type[Record]]:
    direct = cls.__subclasses__()
    return direct + [grand for sub in direct for grand in _subclasses(sub)]


def _name(cls: type[Record]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
