"""The one data type every stage shares: an article, whatever source it came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from vigil.text import normalise_text

# Query parameters that identify a click, not a document; dropping them makes one story one id.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref"}
)


MAX_TITLE_CHARS = 500  # a headline; longer is not a title
MAX_BODY_CHARS = 200_000  # about 30,000 words, longer than any news article


def _cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters long, cut at a word where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", limit - 200)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Article:
    """An article as vigil sees it: text already normalised (NFC, plain spaces)."""

    title: str
    body: str
    outlet: str
    link: str | None = None
    guid: str | None = None
    author: str | None = None
    published: datetime | None = None
    # True when the source gave no usable date (none, or one in the future) and ``published`` is
    # the time vigil first saw the article.
    date_missing: bool = False
    tags: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        # Capped here, where every source passes: a 5 MB title must not become a 57 MB store,
        # 44 MB of Prefect state and a digest no mail server accepts.
        title = normalise_text(self.title[: MAX_TITLE_CHARS * 2]).strip()
        body = normalise_text(self.body[: MAX_BODY_CHARS * 2]).strip()
        object.__setattr__(self, "title", _cut(title, MAX_TITLE_CHARS))
        object.__setattr__(self, "body", _cut(body, MAX_BODY_CHARS))
        # NUL is no character of any text and PostgreSQL refuses to store it: a JSON Feed's
        # "\u0000" must not fail the write of the batch it came in (other outlets' items too).
        for name in ("outlet", "link", "guid", "author"):
            value = getattr(self, name)
            if value and "\0" in value:
                object.__setattr__(self, name, value.replace("\0", ""))

    @property
    def canonical_id(self) -> str:
        """Stable across runs, and the feed's own: GUID, else the cleaned link, else a hash of
        the content, scoped to the outlet (the feed's name). A feed that gives another outlet's
        article URL as its GUID cannot make that article "seen"; copies of one story across
        outlets are separate items that the clusterer folds into one story."""
        return f"feed:{self.outlet}|{self._id_within_feed}"

    @property
    def _id_within_feed(self) -> str:
        if self.guid and self.guid.strip():
            guid = self.guid.strip()
            if guid.startswith(("http://", "https://")):
                # A permalink GUID is a link: parsers that fill a missing GUID with the link
                # then give the same id as those that leave it empty.
                return "link:" + canonical_link(guid)
            if "://" in guid or guid.startswith(("tag:", "urn:")):
                return "guid:" + guid
            # A bare GUID ("1234") is only unique within its outlet.
            return f"guid:{self.outlet}:{guid}"
        if self.link:
            return "link:" + canonical_link(self.link)
        digest = hashlib.sha256(f"{self.title}\n{self.body}".encode()).hexdigest()
        return "sha256:" + digest[:32]

    @property
    def text(self) -> str:
        """Title and body as one text, the title as its first paragraph."""
        return f"{self.title}\n\n{self.body}" if self.body else self.title


def canonical_link(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, sorted query."""
    parts = urlsplit(url.strip())
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))
