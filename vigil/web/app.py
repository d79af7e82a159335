"""The web application: routes, the security middleware, the bundled static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from vigil.clock import Clock, system_clock
from vigil.settings import Settings
from vigil.store import Store
from vigil.web.context import WebContext
from vigil.web.security import Guard, SecurityMiddleware
from vigil.web.views.atom import recipient_feed, rule_feed, tag_feed
from vigil.web.views.items import item_page
from vigil.web.views.labels import label
from vigil.web.views.login import login_page, logout
from vigil.web.views.matches import matches_page
from vigil.web.views.playground import playground_page
from vigil.web.views.rules import rules_page
from vigil.web.views.status import feeds_page, outbox_page, recipients_page


async def home(request: Request) -> Response:
    return RedirectResponse(request.scope.get("root_path", "") + "/matches", status_code=303)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    clock: Clock = system_clock,
    secret: bytes | None = None,
) -> Starlette:
    """The ASGI app over ``settings``' store and rules; ``store`` to share an open one."""
    token = settings.web_token.get_secret_value() if settings.web_token else None
    guard = Guard(token, secret)
    context = WebContext(
        store=store or Store(settings.store_url, clock=clock),
        settings=settings,
        guard=guard,
        clock=clock,
    )
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/matches", matches_page),
        Route("/items/{item_id:int}", item_page),
        Route("/rules", rules_page),
        Route("/playground", playground_page, methods=["GET", "POST"]),
        Route("/feeds", feeds_page),
        Route("/outbox", outbox_page),
        Route("/recipients", recipients_page),
        Route("/label", label, methods=["POST"]),
        Route("/atom/rules/{rule_id}", rule_feed),
        Route("/atom/tags/{tag}", tag_feed),
        Route("/atom/recipients/{recipient_id}", recipient_feed),
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("vigil.web", "static")]), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if store is None:  # the app opened it
            context.store.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityMiddleware, guard=guard)],
        lifespan=lifespan,
    )
    app.state.context = context
    return app
