"""YAML files that remember line numbers, so validation errors can say ``file:line: what``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from vigil.errors import FileFormatError, LocalFileError
from vigil.localfiles import MAX_YAML_BYTES, read_capped

Model = TypeVar("Model", bound=BaseModel)


Mark = tuple[int, int]  # (line, column), both 1-based, where a node's text starts


class LineDict(dict[Any, Any]):
    """A mapping from YAML that remembers where each key and each value stand."""

    line: int = 0
    key_lines: dict[Any, int]
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]


class LineList(list[Any]):
    """A sequence from YAML that remembers where each item stands."""

    line: int = 0
    item_lines: list[int]
    item_marks: list[Mark]


def _content_mark(node: yaml.Node) -> Mark:
    """Where the text of a scalar starts: past an opening quote, or on a block's first line."""
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    style = getattr(node, "style", None)
    if style in {"'", '"'}:
        return line, column + 1
    if style in {"|", ">"}:
        return line + 1, node.end_mark.column + 1 if node.end_mark.line == line else column
    return line, column


# libyaml's parser (C) when PyYAML was built with it: a feeds file of 500 feeds takes 0.15 s
# to read with the pure-Python one, and a run reads it more than once.
if TYPE_CHECKING:  # a base class must be static to mypy; both have SafeLoader's constructor
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        mapping.key_marks = {}
        mapping.value_marks = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
            mapping.key_marks[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            mapping.value_marks[key] = _content_mark(value_node)
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        sequence = LineList(self.construct_object(child, deep=True) for child in node.value)
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
        sequence.item_marks = [_content_mark(child) for child in node.value]
        return sequence


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse ``path``; syntax errors become a FileFormatError naming the file and line."""
    try:
        text = read_capped(path, MAX_YAML_BYTES).decode("utf-8")
    except LocalFileError as exc:  # a FIFO, a device, a file of gigabytes
        raise FileFormatError([str(exc)]) from None
    except UnicodeDecodeError as exc:
        raise FileFormatError([f"{path}: not UTF-8 text (byte {exc.start})"]) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = exc.problem or str(exc)
        raise FileFormatError([f"{path}{where}: YAML syntax: {problem}"]) from exc
    except yaml.YAMLError as exc:
        raise FileFormatError([f"{path}: YAML syntax: {exc}"]) from exc


def mark_of(document: Any, location: Sequence[Any], *, key: bool = False) -> Mark | None:
    """Where the node at ``location`` (a pydantic error ``loc``) stands; ``key``: its key."""
    node, mark = document, (getattr(document, "line", 1), 1)
    for index, step in enumerate(location):
        last = index == len(location) - 1
        if isinstance(node, LineDict) and step in node:
            mark = node.key_marks[step] if (key and last) else node.value_marks[step]
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            mark = node.item_marks[step]
            node = node[step]
        else:
            break
    return mark


def validate(model: type[Model], document: Any, path: Path) -> Model:
    """Validate ``document`` as ``model``; problems come as ``file:line: where: what``."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise FileFormatError(located_problems(exc, document, path)) from None


def located_problems(
    exc: ValidationError, document: Any, path: Path, *, where: Sequence[Any] = ()
) -> list[str]:
    """Turn pydantic errors into ``file:line:column: field: message`` lines.

    ``where`` is the path of the validated node inside ``document`` (empty for the whole file).
    """
    problems = []
    for error in exc.errors():
        location = (*where, *error["loc"])
        extra = error["type"] == "extra_forbidden"
        missing = error["type"] == "missing"
        line, column = mark_of(document, location if not missing else location[:-1], key=extra) or (
            1,
            1,
        )
        field = ".".join(str(part) for part in location if part != "__root__")
        if extra:
            message = f"unknown key {location[-1]!r} (check its spelling)"
        elif missing:
            message = "required key is missing"
        else:
            message = f"{error['msg']} (got {_shown(error.get('input'))})"
        prefix = f"{path}:{line}:{column}"
        problems.append(f"{prefix}: {field}: {message}" if field else f"{prefix}: {message}")
    return problems


def _shown(value: Any) -> str:
    """A short, printable quote of an offending value (never a whole file's worth)."""
    text = "".join(c if c.isprintable() else "?" for c in repr(value))
    return text if len(text) <= 60 else text[:57] + "..."
