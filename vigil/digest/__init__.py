"""From stored matches to a ready-to-send email: grouping, subject, and Jinja2 rendering."""

from vigil.digest.compose import Digest, RuleSection, build_digest
from vigil.digest.render import DigestRenderer

__all__ = ["Digest", "DigestRenderer", "RuleSection", "build_digest"]
