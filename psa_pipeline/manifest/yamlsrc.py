"""Read YAML the way a user can trust: safe-load semantics plus source positions.

PyYAML's `safe_load` forgets where each value came from and silently keeps the
last of two duplicate keys. Here the node tree is composed with the safe
loader, then converted by hand so that every key and value keeps its line and
column, duplicates are refused, and alias expansion is bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Location, Problem
from psa_pipeline.manifest import syntax

MAX_BYTES = 1024 * 1024
# A manifest has a few hundred nodes; anything near this is an alias bomb.
MAX_NODES = 50_000

YamlPath = tuple[str | int, ...]
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class Positions:
    """Where each key and value of a document sits in its file."""

    file: Path
    keys: dict[YamlPath, Location] = field(default_factory=dict)
    values: dict[YamlPath, Location] = field(default_factory=dict)

    def of_value(self, path: YamlPath) -> Location:
        """The value at `path`, or the nearest enclosing value that exists."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return Location(self.file)

    def of_key(self, path: YamlPath) -> Location:
        return self.keys.get(path) or self.of_value(path)


@dataclass
class Document:
    data: Any
    positions: Positions
    # Mistakes that still leave a usable document (duplicate keys), reported with the rest.
    problems: list[Problem] = field(default_factory=list)


class YamlError(Exception):
    """The file cannot be read as YAML; `problems` are all the causes found (every tab-indented line, say)."""

    def __init__(self, problem: Problem, more: list[Problem] | None = None) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.problems = [problem, *(more or [])]


def _fail(location: Location, message: str) -> YamlError:
    return YamlError(Problem("error", "yaml", message, location))


def _location(file: Path, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file)
    return Location(file, mark.line + 1, mark.column + 1)


def read_text(file: Path) -> str:
    """The file's text, or a YamlError saying why it cannot be a manifest."""
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise _fail(Location(file), _("cannot read file: {reason}").format(reason=exc.strerror)) from None
    if size > MAX_BYTES:
        message = _("file is {size} bytes; a manifest may be at most {limit} bytes").format(size=size, limit=MAX_BYTES)
        raise _fail(Location(file), message)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise _fail(Location(file), _("cannot read file: {reason}").format(reason=exc.strerror)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(
            Location(file, line, column),
            _("file is not UTF-8 (byte 0x{byte:02x}); save it as UTF-8").format(byte=raw[exc.start]),
        ) from None
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise _fail(Location(file), _("file is empty; start from `psa init`"))
    return text


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(file: Path) -> Document:
    """Parse one YAML document into plain data with positions."""
    text = read_text(file)
    # libyaml's parser when installed: a no-op rebuild of a thousand PSAs is mostly YAML parsing.
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        explained = syntax.explain(file, text, exc)
        if explained:
            raise YamlError(explained[0], explained[1:]) from None
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{exc.context}: {message}"
        raise _fail(_location(file, mark), _("invalid YAML: {message}").format(message=message)) from None
    except yaml.YAMLError as exc:
        raise _fail(Location(file), _("invalid YAML: {message}").format(message=exc)) from None
    finally:
        loader.dispose()
    if node is None:
        raise _fail(Location(file), _("file is empty; start from `psa init`"))
    converter = _Converter(file, loader)
    data = converter.convert(node, ())
    return Document(data, converter.positions, converter.problems)


class _Converter:
    def __init__(self, file: Path, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.positions = Positions(file)
        self.count = 0
        self.problems: list[Problem] = []

    def convert(self, node: yaml.Node, path: YamlPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _fail(
                _location(self.file, node.start_mark),
                _("document expands to more than {limit} values (anchors/aliases nested too deep)").format(
                    limit=MAX_NODES
                ),
            )
        self.positions.values.setdefault(path, _location(self.file, node.start_mark))
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
            message = _("YAML tag '{tag}' is not allowed in a manifest").format(tag=node.tag)
            raise _fail(_location(self.file, node.start_mark), message)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            message = _("invalid value: {reason}").format(reason=exc.problem)
            raise _fail(_location(self.file, node.start_mark), message) from None
        except (ValueError, OverflowError):
            # A timestamp-shaped scalar that is no date (`2025-13-01`): PyYAML raises a bare ValueError.
            # Keep the text; the schema check then says, at this line, what a date must look like.
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: YamlPath) -> dict[Any, Any]:
        try:
            self.loader.flatten_mapping(node)  # resolves `<<:` merge keys
        except yaml.constructor.ConstructorError as exc:
            message = _("invalid merge: {reason}").format(reason=exc.problem)
            raise _fail(_location(self.file, exc.problem_mark), message) from None
        result: dict[Any, Any] = {}
        first_seen: dict[Any, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(_location(self.file, key_node.start_mark), _("keys must be plain words"))
            key = self.loader.construct_object(key_node)
            if not isinstance(key, Mapping) and not isinstance(key, (str, int, float, bool)):
                key = str(key)
            if key in first_seen:
                self.problems.append(
                    Problem(
                        "error",
                        "yaml",
                        _(
                            "duplicate key '{key}' (first defined on line {line}); "
                            "YAML would silently keep only the last one"
                        ).format(key=key, line=first_seen[key].line + 1),
                        _location(self.file, key_node.start_mark),
                    )
                )
                continue
            first_seen[key] = key_node.start_mark
            child = (*path, key if isinstance(key, (str, int)) else str(key))
            self.positions.keys[child] = _location(self.file, key_node.start_mark)
            result[key] = self.convert(value_node, child)
        return result
