"""Articles named on a command line: a folder of article files, one article file, or the id
of a stored item (``vigil rules test``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from vigil.article import Article
from vigil.errors import LocalFileError, SourceError
from vigil.sources.seedtext import read_article_file, read_article_folder
from vigil.store import Store, shown_url


def articles_named(
    names: Sequence[str], store_url: str, *, skipped: Callable[[str], None]
) -> list[tuple[str, Article]]:
    """Each name's articles with a label to show; an unreadable file in a folder is passed to
    ``skipped`` and the rest read; a name that is none of the three is a SourceError."""
    loaded: list[tuple[str, Article]] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            problems: list[tuple[Path, str]] = []
            found = read_article_folder(path, problems=problems)
            loaded += [(f"{path}/{a.title[:30]}", a) for a in found]
            for _, problem in problems:
                skipped(problem)
        elif path.exists() and not name.isdigit():
            try:
                loaded.append((str(path), read_article_file(path, path.parent.name)))
            except LocalFileError as exc:
                raise SourceError(str(exc)) from None
        elif name.isdigit():
            store = Store(store_url)
            try:
                article = store.article(int(name))
            finally:
                store.close()
            if article is None:
                raise SourceError(f"no stored item with id {name} in {shown_url(store_url)}")
            loaded.append((f"item {name}", article))
        else:
            raise SourceError(f"{name}: no such file or folder, and not a stored item id")
    return loaded
