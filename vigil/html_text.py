"""The visible text of an HTML fragment (a feed item's title, summary or content).

libxml2 parses (through lxml, in C); a short walk over the elements keeps the text, drops
scripts, styles and frames, and puts each block element on a line of its own. Text without
markup (most titles, many summaries) skips the parser. :func:`reference_html_to_text` is the
extractor this one replaced, on the standard library's ``HTMLParser``: slower, kept as the
reference that tests/test_html_text.py compares the fast one with on the whole test corpus.
"""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

from lxml import etree

from vigil.text import normalise_text

BLOCKS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "blockquote",
        "section",
        "article",
        "figure",
        "figcaption",
        "pre",
        "hr",
        "table",
    }
)
INVISIBLE = frozenset({"script", "style", "iframe", "noscript", "template", "object"})

# libxml2 stops at 256 open elements; a fragment that deep is read by the reference instead.
MAX_DEPTH = 256
_PARSERS = threading.local()  # an lxml parser is used by one thread at a time
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_ANY_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags and scripts dropped, entities decoded, blocks kept."""
    if not fragment:  # a mangled feed can hand over None where text belongs
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _lines(_source_text(fragment))
    parser = _parser()
    try:
        root = etree.fromstring(fragment, parser)
    except (etree.ParserError, ValueError):  # nothing libxml2 can read: the reference can
        return reference_html_to_text(fragment)
    if fragment.count("<") >= MAX_DEPTH and any(
        error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log
    ):
        return reference_html_to_text(fragment)  # libxml2 dropped what lay deeper
    if root is None:
        return ""
    parts: list[str] = []
    hidden = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag in INVISIBLE:
                hidden += 1
                continue
            if tag in BLOCKS:
                parts.append("\n")
            if element.text and not hidden:
                parts.append(_source_text(element.text))
        else:
            if tag in INVISIBLE:
                hidden -= 1
            elif tag in BLOCKS:
                parts.append("\n")
            if element.tail and not hidden:
                parts.append(_source_text(element.tail))
    return _lines("".join(parts))


def _parser() -> etree.HTMLParser:
    """This thread's parser: recovering, offline, no comments or processing instructions."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(
            recover=True,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
            default_doctype=False,
        )
    return parser


def _source_text(data: str) -> str:
    """A run of text as HTML reads it: a line break is a space, but a blank line still parts
    paragraphs (feeds that send plain text mean it as one)."""
    if not (
        "\n" in data or "  " in data or "\t" in data or "\r" in data or "\f" in data or "\v" in data
    ):
        return data  # nothing _ANY_SPACE would change
    return "\n".join(_ANY_SPACE.sub(" ", part) for part in _BLANK_LINE.split(data))


def _lines(text: str) -> str:
    """Normalised, each line trimmed, empty lines gone (normalise_text leaves single spaces)."""
    text = normalise_text(text)
    if "\n" not in text:
        return text.strip()
    lines = (line.strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


class _ReferenceExtractor(HTMLParser):
    """The standard library's tokenizer, collecting text with the same rules as the fast path."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE:
            self._hidden_depth += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            paragraphs = _BLANK_LINE.split(data)
            self.parts.append("\n".join(_ANY_SPACE.sub(" ", part) for part in paragraphs))


def reference_html_to_text(fragment: str) -> str:
    """:func:`html_to_text` on ``html.parser``: the reference for the parity tests."""
    if not fragment:
        return ""
    extractor = _ReferenceExtractor()
    extractor.feed(fragment)
    extractor.close()
    text = normalise_text("".join(extractor.parts))
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
