"""``vigil web``: the analyst's page over the store: matches and why, a rule playground over
stored news, labels, and the operator's tables."""

from vigil.web.app import create_app
from vigil.web.security import UnsafeBind, check_bind

__all__ = ["UnsafeBind", "check_bind", "create_app"]
