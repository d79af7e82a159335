"""Who may use the web page, and what a response allows a browser to do.

- Authentication: with ``VIGIL_WEB_TOKEN`` set every request needs the token, as
  ``Authorization: Bearer …`` (scripts) or the session cookie the login form sets (people);
  without it the page is open, which :func:`check_bind` allows on loopback only.
- CSRF: every POST carries a token signed with the process's secret and tied to a cookie
  (a signed double submit): a page on another site can neither read nor forge it.
- Headers: a Content-Security-Policy with no inline script and no remote loads, no framing,
  no MIME sniffing, no referrer leaking item URLs to outlets.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.errors import UnsafeBind

SESSION_COOKIE = "vigil_session"
CSRF_COOKIE = "vigil_csrf"
CSRF_FIELD = "csrf"
SESSION_SECONDS = 12 * 3600
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Reachable without a session: the login form and what it needs.
OPEN_PATHS = ("/login", "/static/", "/healthz")
# Atom feeds of matches: a feed reader opens one with its ``?key=`` instead of logging in.
FEED_PATHS = ("/atom/",)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse an address other machines can reach unless a token guards the page."""
    if not token and not is_loopback(host):
        raise UnsafeBind(
            f"vigil web: refusing to listen on {host} without authentication: set "
            "VIGIL_WEB_TOKEN (and put the page behind TLS), or listen on 127.0.0.1"
        )


class Guard:
    """The token, the session cookie derived from it, and CSRF tokens signed with a secret."""

    def __init__(self, token: str | None, secret: bytes | None = None) -> None:
        self.token = token or None
        # With a token the secret follows from it, so every worker process agrees on it;
        # without one a fresh secret per process is enough (a restart asks forms again).
        if secret is None:
            secret = (
                hashlib.sha256(b"vigil-web-csrf\0" + token.encode()).digest()
                if token
                else secrets.token_bytes(32)
            )
        self.secret = secret

    def new_session(self, lifetime: float = SESSION_SECONDS) -> str:
        """A session cookie's value: when it expires, signed with a key derived from the token
        (a new token ends every session)."""
        expires = str(int(time.time() + lifetime))
        return f"{expires}.{self._sign_session(expires)}"

    def session_valid(self, value: str) -> bool:
        expires, _, signature = value.partition(".")
        if not expires.isdigit() or int(expires) < time.time():
            return False
        return hmac.compare_digest(signature, self._sign_session(expires))

    def _sign_session(self, expires: str) -> str:
        assert self.token is not None
        key = hmac.new(self.token.encode(), b"vigil-web-session", hashlib.sha256).digest()
        return hmac.new(key, expires.encode(), hashlib.sha256).hexdigest()

    def token_matches(self, offered: str) -> bool:
        return self.token is not None and hmac.compare_digest(offered.encode(), self.token.encode())

    def authenticated(self, headers: Headers, cookies: dict[str, str]) -> bool:
        if self.token is None:
            return True
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(credentials.strip()):
            return True
        return self.session_valid(cookies.get(SESSION_COOKIE, ""))

    def feed_key(self, path: str) -> str:
        """The key a feed reader puts in one feed's URL (``?key=``): readers cannot log in,
        and the key opens that feed only, so a leaked URL gives away neither the token nor
        another page."""
        assert self.token is not None
        key = hmac.new(self.token.encode(), b"vigil-web-feed", hashlib.sha256).digest()
        return hmac.new(key, path.encode(), hashlib.sha256).hexdigest()[:32]

    def feed_key_valid(self, path: str, offered: str) -> bool:
        return (
            self.token is not None
            and path.startswith(FEED_PATHS)
            and hmac.compare_digest(offered.encode(), self.feed_key(path).encode())
        )

    def csrf_token(self, nonce: str) -> str:
        signature = hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()
        return f"{nonce}.{signature}"

    def csrf_valid(self, offered: str, cookie_nonce: str) -> bool:
        nonce, _, _ = offered.partition(".")
        if not nonce or not cookie_nonce or not hmac.compare_digest(nonce, cookie_nonce):
            return False
        return hmac.compare_digest(offered, self.csrf_token(nonce))


def request_cookies(headers: Headers) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header: as if none were sent
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


class SecurityMiddleware:
    """Adds the security headers to every response and turns away unauthenticated requests
    (pages go to the login form, anything else gets 401)."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [header for header in SECURITY_HEADERS if header[0] not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        path: str = scope.get("path", "/")
        headers = Headers(scope=scope)
        if (
            not path.startswith(OPEN_PATHS)
            and not self.guard.authenticated(headers, request_cookies(headers))
            and not self.guard.feed_key_valid(_route_path(scope), _query_value(scope, "key"))
        ):
            await _refuse(scope, headers, with_headers)
            return
        await self.app(scope, receive, with_headers)


def _route_path(scope: Scope) -> str:
    """The path without the reverse proxy's prefix, as the routes (and feed keys) name it."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _query_value(scope: Scope, name: str) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else ""


async def _refuse(
    scope: Scope, headers: Headers, send: Callable[[Message], Awaitable[None]]
) -> None:
    wants_page = scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
    if wants_page:
        login = (scope.get("root_path", "") + "/login").encode()
        status, extra, body = 303, [(b"location", login)], b""
    else:
        status, extra = 401, [(b"www-authenticate", b'Bearer realm="vigil"')]
        body = b"authentication required: send the VIGIL_WEB_TOKEN as a bearer token\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})
