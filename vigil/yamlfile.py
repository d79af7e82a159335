"""YAML files that remember line numbers, so validation errors can say ``file:line: what``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from vigil.errors import FileFormatError

Model = TypeVar("Model", bound=BaseModel)


class LineDict(dict):
    """A mapping from YAML with the line of each key (1-based) and of itself."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    """A sequence from YAML with the line of each item (1-based) and of itself."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        sequence = LineList(self.construct_object(child, deep=True) for child in node.value)
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
        return sequence


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse ``path``; syntax errors become a FileFormatError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileFormatError([f"{path}: cannot read: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise FileFormatError([f"{path}: not UTF-8 text (byte {exc.start})"]) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or str(exc)
        raise FileFormatError([f"{path}{line}: YAML syntax: {problem}"]) from exc
    except yaml.YAMLError as exc:
        raise FileFormatError([f"{path}: YAML syntax: {exc}"]) from exc


def line_of(document: Any, location: Sequence[Any]) -> int | None:
    """The line of the deepest node along ``location`` (a pydantic error ``loc``)."""
    node, line = document, getattr(document, "line", None)
    for step in location:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def validate(model: type[Model], document: Any, path: Path, *, where: Sequence[Any] = ()) -> Model:
    """Validate ``document`` as ``model``; problems come as ``file:line: where: what``."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise FileFormatError(located_problems(exc, document, path, where=where)) from None


def located_problems(
    exc: ValidationError, document: Any, path: Path, *, where: Sequence[Any] = ()
) -> list[str]:
    """Turn pydantic errors into ``file:line: field: message`` lines."""
    problems = []
    for error in exc.errors():
        location = tuple(error["loc"])
        line = line_of(document, location)
        field = ".".join(str(part) for part in (*where, *location) if part != "__root__")
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif error["type"] == "missing":
            message = "required key is missing"
        prefix = f"{path}:{line}" if line else str(path)
        problems.append(f"{prefix}: {field}: {message}" if field else f"{prefix}: {message}")
    return problems
