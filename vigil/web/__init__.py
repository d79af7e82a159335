"""``vigil web``: the analyst's page over the store: matches and why, a rule playground over
stored news, labels, and the operator's tables."""

from vigil.errors import UnsafeBind
from vigil.web.app import create_app
from vigil.web.security import check_bind

__all__ = ["UnsafeBind", "check_bind", "create_app"]
