"""Refuse feeds that declare XML entities, before any parser sees them.

Entity declarations are how XML attacks work: "billion laughs" expands nested entities until
memory runs out; an external entity (``SYSTEM "file:///etc/passwd"`` or an http URL) reads a
file or makes a request. No real news feed needs them. The parsers vigil uses would not expand
them either, but a feed that tries is hostile or broken, and the operator should hear about it
by name rather than get a feed with odd text in it.
"""

from __future__ import annotations

import re

from vigil.errors import SourceError

PROLOG_BYTES = 65536
_DECLARATIONS = re.compile(r"<!\s*(ENTITY|ATTLIST|ELEMENT)\b", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)


def _prolog(data: bytes) -> str:
    head = data[:PROLOG_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head[:4] in {b"<\x00?\x00", b"\x00<\x00?"}:  # UTF-16 without a byte-order mark
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="replace")
    return head.decode("latin-1")


def refuse_entity_declarations(data: bytes, name: str) -> None:
    """Raise SourceError when the document type declares entities (or any markup)."""
    prolog = _prolog(data)
    doctype = _DOCTYPE.search(prolog)
    if doctype is None:
        return
    found = _DECLARATIONS.search(prolog, doctype.end())
    if found is not None:
        raise SourceError(
            f"{name}: refused: the feed's DOCTYPE declares <!{found.group(1).upper()}> "
            "(entity expansion and external entities are never processed)"
        )
