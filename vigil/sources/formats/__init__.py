"""The formats a source's bytes may come in, one module each.

A module here that defines ``FORMAT`` (a :class:`SourceFormat`) is a format: a feeds entry
names it with ``format:``, or it is chosen by :meth:`SourceFormat.sniff` on the bytes, with
RSS/Atom the default. Adding a source format is adding a module (and its test); see
``jsonfeed.py``.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime
from functools import cache
from typing import Protocol

from vigil.errors import SourceError
from vigil.sources.spec import FeedResult, FeedSpec

DEFAULT = "rss"


class SourceFormat(Protocol):
    name: str

    def sniff(self, data: bytes) -> bool:
        """Whether these bytes look like this format (only the first few KB need be read)."""

    def parse(
        self, data: bytes, spec: FeedSpec, seen_at: datetime, *, fast: bool, max_items: int
    ) -> tuple[FeedResult, int]:
        """The articles (at most ``max_items``, or a few more), and how many items there were.

        Raise SourceError for bytes that are not this format at all.
        """


@cache
def formats() -> dict[str, SourceFormat]:
    """Every format of this package, by name."""
    found: dict[str, SourceFormat] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if (kind := getattr(module, "FORMAT", None)) is not None:
            found[kind.name] = kind
    return found


def format_for(data: bytes, spec: FeedSpec) -> SourceFormat:
    """The format the feeds entry names, else the first that recognises the bytes, else RSS."""
    known = formats()
    if spec.format is not None:
        if spec.format not in known:
            raise SourceError(
                f"{spec.name}: unknown format {spec.format!r} (known: {', '.join(sorted(known))})"
            )
        return known[spec.format]
    for name, kind in known.items():
        if name != DEFAULT and kind.sniff(data):
            return kind
    return known[DEFAULT]
