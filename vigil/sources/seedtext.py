"""Plain-text article files: ``Title / Author`` on line 1, then the body.

A trailing ``Reporter's code: N`` line is metadata, not content, so it never reaches the matcher.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from vigil.article import Article
from vigil.errors import LocalFileError, SourceError
from vigil.localfiles import MAX_ARTICLE_BYTES, read_capped
from vigil.text import normalise_text

_METADATA_LINE = re.compile(r"^\s*(?P<key>Reporter['’]s code)\s*:\s*(?P<value>.*?)\s*$", re.I)


def parse_article_text(text: str, *, outlet: str, name: str = "<text>") -> Article:
    """Build an Article from the plain-text format; ``name`` is used in error messages."""
    lines = normalise_text(text).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise SourceError(f"{name}: empty article file")
    title, author = _split_title_line(lines[0])
    metadata: dict[str, str] = {}
    body_lines = lines[1:]
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    if body_lines and (meta := _METADATA_LINE.match(body_lines[-1])):
        metadata["reporter_code"] = meta.group("value")
        body_lines.pop()
    body = "\n".join(line.strip() for line in body_lines).strip()
    if not title:
        raise SourceError(f"{name}:1: the first line must hold the title ('Title / Author')")
    return Article(title=title, body=body, outlet=outlet, author=author, metadata=metadata)


def _split_title_line(line: str) -> tuple[str, str | None]:
    # The author follows the last " / ": titles may contain slashes themselves ("TB2 / Akıncı").
    title, sep, author = line.strip().rpartition(" / ")
    if not sep:
        return line.strip(), None
    return title.strip(), author.strip() or None


def read_article_folder(
    folder: Path,
    *,
    outlet: str | None = None,
    problems: list[tuple[Path, str]] | None = None,
    seen_at: datetime | None = None,
) -> list[Article]:
    """Every ``*.txt`` file of ``folder``, and every ``*.eml`` (a newsletter saved from a mail
    client, :mod:`vigil.sources.emlfile`), sorted by name.

    The text format carries no date and no link: each article is dated when vigil first sees
    it (flagged as such, not the file's modification time, which says nothing of the news) and
    says which file it came from. A mail message is dated by its Date header.

    A file that cannot be an article (not UTF-8, binary, empty, a FIFO or folder named
    ``x.txt``, a symlink loop, larger than 5 MB) is skipped and listed in ``problems`` as
    (file, what is wrong), so one bad file never keeps the others, or the feeds, from being
    read. Without ``problems`` the first bad file raises SourceError (for commands that read
    one file on request).
    """
    if not folder.is_dir():
        raise SourceError(f"{folder}: not a folder of article files")
    from vigil.clock import system_clock
    from vigil.sources.emlfile import read_eml_file

    articles = []
    seen_at = seen_at or system_clock()  # what a mail's date is checked against
    for path in sorted([*folder.glob("*.txt"), *folder.glob("*.eml")]):
        try:
            if path.suffix == ".eml":
                article = read_eml_file(path, outlet or folder.name, seen_at=seen_at)
            else:
                article = read_article_file(path, outlet or folder.name)
        except (SourceError, LocalFileError) as exc:
            if problems is None:
                raise SourceError(str(exc)) from None
            problems.append((path, str(exc)))
            continue
        articles.append(article)
    return articles


def read_article_file(path: Path, outlet: str) -> Article:
    """One article file, read with the caps and checks of :func:`read_article_folder`."""
    data = read_capped(path, MAX_ARTICLE_BYTES)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceError(f"{path}: UTF-16 text, not UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)")
    if b"\0" in data:
        raise SourceError(f"{path}: binary, not an article (NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    article = parse_article_text(text, outlet=outlet, name=str(path))
    metadata = {**article.metadata, "origin": f"article file {path.name}"}
    return replace(article, published=None, date_missing=True, metadata=metadata)
