"""Manifest file -> validated model, with every schema error placed at its YAML line."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Location, Problem
from psa_pipeline.manifest import hints, yamlsrc
from psa_pipeline.manifest.model import SCHEMA_VERSION, Manifest
from psa_pipeline.manifest.yamlsrc import Positions, YamlPath

MANIFEST_NAME = "psa.yaml"
SHOWN_MAX = 60  # characters of a refused value quoted back in a message


@dataclass
class Loaded:
    file: Path
    manifest: Manifest | None
    positions: Positions
    problems: list[Problem] = field(default_factory=list)
    # The plain YAML data, also when the schema check failed: checks that need only part of it still run.
    data: Any = None


def load_manifest(file: Path) -> Loaded:
    """Parse and schema-check one manifest; never raises for a user's mistake."""
    try:
        document = yamlsrc.load(file)
    except yamlsrc.YamlError as exc:
        return Loaded(file, None, Positions(file), exc.problems)
    problems = list(document.problems)
    if not isinstance(document.data, dict):
        problems.append(
            Problem("error", "schema", _("a manifest is a mapping of keys (id:, title:, ...)"), Location(file, 1, 1))
        )
        return Loaded(file, None, document.positions, problems, document.data)
    try:
        manifest = Manifest.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(schema_problem(error, document.positions) for error in _without_echoes(exc.errors()))
        return Loaded(file, None, document.positions, problems, document.data)
    if problems:  # duplicate keys: the model was built from a guess
        return Loaded(file, None, document.positions, problems, document.data)
    return Loaded(file, manifest, document.positions, problems, document.data)


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop "missing key 'themes'" where the same mapping has the key misspelt (`tema:`): one mistake,
    reported once, by the unknown key's "did you mean"."""
    unknown: dict[YamlPath, list[str]] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            unknown.setdefault(tuple(error["loc"][:-1]), []).append(str(error["loc"][-1]))
    kept = []
    for error in errors:
        loc = tuple(error["loc"])
        near = unknown.get(loc[:-1], [])
        if error["type"] == "missing" and loc and difflib.get_close_matches(str(loc[-1]), near, n=1, cutoff=0.6):
            continue
        kept.append(error)
    return kept


def schema_problem(error: ErrorDetails, positions: Positions, model: type[BaseModel] = Manifest) -> Problem:
    """One pydantic error as a problem placed at the YAML key or value it concerns."""
    path: YamlPath = tuple(error["loc"])
    dotted = _dotted(path)
    if error["type"] == "extra_forbidden":
        key = str(path[-1])
        allowed = _field_names(model, path[:-1])
        hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if hint:
            message = _("unknown key '{key}'; did you mean '{hint}'?").format(key=dotted, hint=hint[0])
        else:
            message = _("unknown key '{key}'; allowed here: {allowed}").format(
                key=dotted, allowed=", ".join(sorted(allowed))
            )
        return Problem("error", "schema", message, positions.of_key(path))
    if error["type"] == "missing":
        where = _dotted(path[:-1]) or _("the top level")
        message = _("missing required key '{key}' in {where}").format(key=path[-1], where=where)
        return Problem("error", "schema", message, positions.of_value(path[:-1]))
    got = error.get("input")
    if model is Manifest and path == ("schema",) and error["type"] == "literal_error":
        newer = isinstance(got, int) and got > SCHEMA_VERSION
        fix = _("upgrade psa-pipeline") if newer else _("write `schema: {version}`").format(version=SCHEMA_VERSION)
        message = _("schema: this psa reads manifest schema {version}, not {got}: {fix}").format(
            version=SCHEMA_VERSION, got=repr(got), fix=fix
        )
        return Problem("error", "schema", message, positions.of_value(path))
    if isinstance(got, str) and len(got) > SHOWN_MAX:  # a pasted paragraph must not flood the report
        got = got[: SHOWN_MAX - 3] + "..."
    correction = hints.for_value(error, path, got)
    if correction is not None:  # the value is a near miss whose correction is known: say it, not the rule
        return Problem("error", "schema", f"{dotted}: {correction}", positions.of_value(path))
    shown = _(" (got {value})").format(value=repr(got)) if isinstance(got, (str, int, float, bool)) else ""
    return Problem("error", "schema", f"{dotted}: {_plain(error)}{shown}", positions.of_value(path))


def _plain(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        if pattern == "^[a-z]{3}$":
            return _("language must be a three-letter ISO 639-3 code such as ind, nij, bjn")
        if pattern.startswith("^[a-z0-9]+"):
            return _("must be a lowercase slug: letters, digits and single hyphens")
        return _("has characters that are not allowed here")
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        text = error.get("input")
        if isinstance(text, str):
            return _("is {length} characters long; at most {limit} characters are allowed here: shorten it").format(
                length=len(text), limit=limit
            )
        return _("at most {limit} characters are allowed here: shorten it").format(limit=limit)
    if kind == "value_error":  # a model's own check: its message is written for people already
        return str(error["msg"]).removeprefix("Value error, ")
    return _pydantic_message(error)


def _pydantic_message(error: ErrorDetails) -> str:
    """pydantic's own sentence for the error types psa has no wording of its own for, translated by type."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "literal_error":
        return _("must be {expected}").format(expected=ctx.get("expected", "?"))
    if kind in ("missing", "extra_forbidden"):
        return str(error["msg"])
    messages = {
        "string_type": _("must be text"),
        "int_type": _("must be a whole number"),
        "int_parsing": _("must be a whole number"),
        "float_type": _("must be a number"),
        "float_parsing": _("must be a number"),
        "bool_type": _("must be true or false"),
        "bool_parsing": _("must be true or false"),
        "list_type": _("must be a list (items on lines starting with '- ', or [a, b])"),
        "dict_type": _("must be a mapping of keys (key: value)"),
        "model_type": _("must be a mapping of keys (key: value)"),
        "model_attributes_type": _("must be a mapping of keys (key: value)"),
        "string_too_short": _("must not be empty"),
        "too_short": _("must have at least {min_length} item(s)"),
        "too_long": _("must have at most {max_length} item(s)"),
        "greater_than_equal": _("must be at least {ge}"),
        "greater_than": _("must be more than {gt}"),
        "less_than_equal": _("must be at most {le}"),
        "less_than": _("must be less than {lt}"),
        "date_type": _("must be a date written YYYY-MM-DD, e.g. 2025-03-10"),
        "date_parsing": _("must be a date written YYYY-MM-DD, e.g. 2025-03-10"),
        "date_from_datetime_parsing": _("must be a date written YYYY-MM-DD, e.g. 2025-03-10"),
        "date_from_datetime_inexact": _("must be a date written YYYY-MM-DD, e.g. 2025-03-10"),
    }
    template = messages.get(kind)
    if template is None:
        return str(error["msg"]).replace("Input should be", "must be")
    try:
        return template.format(**{k: v for k, v in ctx.items() if isinstance(k, str)})
    except (KeyError, IndexError):
        return template


def _dotted(path: YamlPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _field_names(model: type[BaseModel], path: YamlPath) -> list[str]:
    """Keys allowed in the mapping at `path`, found by walking the model's annotations."""
    current: Any = model
    for part in path:
        mapping = _dict_values(current)
        if mapping is not None:  # a mapping's key (a channel name): its value's type is next
            current = mapping
            continue
        current = _model_in(current)
        if current is None:
            return []
        if isinstance(part, int):
            continue
        info = current.model_fields.get(str(part)) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return []
        current = info.annotation
    model_cls = _model_in(current)
    if model_cls is None:
        return []
    return [info.alias or name for name, info in model_cls.model_fields.items()]


def _dict_values(annotation: Any) -> Any:
    """The value type of `dict[K, V]` (also inside `Annotated` or `| None`), else None."""
    origin = typing.get_origin(annotation)
    if origin is dict:
        return typing.get_args(annotation)[1]
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _dict_values(arg)
            if found is not None:
                return found
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X`, `X | None` or `list[X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
