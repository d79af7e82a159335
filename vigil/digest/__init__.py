"""From stored matches to ready-to-send email: routing, grouping, sanitising and rendering."""

from vigil.digest.compose import Digest, Kind, RuleSection, Story, build_digest
from vigil.digest.dispatch import Composed, Dispatcher
from vigil.digest.render import DigestRenderer

__all__ = [
    "Composed",
    "Digest",
    "DigestRenderer",
    "Dispatcher",
    "Kind",
    "RuleSection",
    "Story",
    "build_digest",
]
