"""The operators of the query language, one module each.

Every module here that defines a :class:`~vigil.rules.operators.base.Node` subclass with a
``syntax`` is an operator: :func:`operators` finds them all, and the parser
(:mod:`vigil.rules.query`) builds its grammar from theirs. Adding an operator is adding a module
(and its test); see ``term.py`` for a clause and ``logic.py`` for operator levels.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from vigil.rules.operators.base import Node


@cache
def operators() -> tuple[type[Node], ...]:
    """Every operator defined in this package, in module order."""
    found: list[type[Node]] = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Node) and value.syntax and value.__module__ == module.__name__:
                found.append(value)
    return tuple(found)
