"""What every page handler shares: the store, the live rules (re-read when their files change),
the templates, the clock and the guard; and how a page is rendered."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from vigil.clock import Clock, system_clock
from vigil.rules import Matcher, RuleSet
from vigil.rules.loader import load_ruleset_partly
from vigil.settings import Settings
from vigil.store import Store
from vigil.web.security import CSRF_COOKIE, Guard, request_cookies


def template_environment() -> Environment:
    """The page templates, bundled in the package; autoescape on for everything."""
    environment = Environment(
        loader=PackageLoader("vigil.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


@dataclass
class WebContext:
    store: Store
    settings: Settings
    guard: Guard
    clock: Clock = system_clock
    templates: Environment = field(default_factory=template_environment)
    _rules_key: tuple[tuple[str, float, int], ...] | None = None
    _ruleset: RuleSet | None = None
    _problems: list[str] = field(default_factory=list)
    _matcher: Matcher | None = None

    @property
    def rules_folder(self) -> Path:
        return self.settings.rules

    def ruleset(self) -> RuleSet:
        """The live rules; read again when a file of the folder changed since the last read."""
        key = self._folder_key()
        if self._ruleset is None or key != self._rules_key:
            self._ruleset, self._problems = load_ruleset_partly(
                self.rules_folder, follow_links=self.settings.rules_follow_links
            )
            self._rules_key = key
            self._matcher = None
        return self._ruleset

    @property
    def rule_problems(self) -> list[str]:
        self.ruleset()
        return self._problems

    def matcher(self) -> Matcher:
        ruleset = self.ruleset()
        if self._matcher is None:
            self._matcher = Matcher(ruleset)
        return self._matcher

    def _folder_key(self) -> tuple[tuple[str, float, int], ...]:
        folder = self.rules_folder
        if not folder.is_dir():
            return ()
        found = []
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                status = path.stat()
            except OSError:
                continue
            found.append((path.name, status.st_mtime, status.st_size))
        return tuple(found)

    def csrf_ok(self, request: Request, offered: str) -> bool:
        """Whether a POST carries the CSRF token of this browser's cookie, signed by us."""
        cookie = request_cookies(request.headers).get(CSRF_COOKIE, "")
        return self.guard.csrf_valid(offered, cookie)

    def feed_url(self, request: Request, path: str) -> str:
        """An Atom feed's URL as a reader follows it: with its key when the page has a token."""
        root: str = request.scope.get("root_path", "")
        if self.guard.token is None:
            return root + path
        return f"{root}{path}?key={self.guard.feed_key(path)}"

    def render(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A page, with the CSRF token its forms carry (and the cookie it is tied to)."""
        nonce = request_cookies(request.headers).get(CSRF_COOKIE) or secrets.token_urlsafe(16)
        values.setdefault("csrf", self.guard.csrf_token(nonce))
        values.setdefault("root", request.scope.get("root_path", ""))
        values.setdefault("authenticated", self.guard.token is not None)
        values.setdefault("path", request.url.path)
        values.setdefault("feed_url", lambda path: self.feed_url(request, path))
        html = self.templates.get_template(name).render(**values)
        response = HTMLResponse(html, status_code=status)
        response.set_cookie(
            CSRF_COOKIE, nonce, httponly=True, samesite="strict", secure=_secure(request)
        )
        return response


def _secure(request: Request) -> bool:
    """Secure cookies over HTTPS (a reverse proxy says so in X-Forwarded-Proto when trusted)."""
    return request.url.scheme == "https"
