"""Where articles come from: plain-text article folders and RSS/Atom feeds."""

from vigil.sources.feeds import FeedSpec, load_feeds_file, parse_feed
from vigil.sources.seedtext import parse_article_text, read_article_folder

__all__ = [
    "FeedSpec",
    "load_feeds_file",
    "parse_article_text",
    "parse_feed",
    "read_article_folder",
]
