"""The login form: the token once, then a session cookie (HttpOnly, SameSite=Strict, Secure
over HTTPS) derived from it, so the token itself is never stored in the browser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from vigil.web.context import WebContext
from vigil.web.forms import local_path
from vigil.web.security import SESSION_COOKIE, SESSION_SECONDS


async def login_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    if request.method == "GET":
        return context.render(
            request, "login.html", failed=False, next=request.query_params.get("next", "/")
        )
    form = await request.form()
    values = {key: str(value) for key, value in form.items()}
    if not context.csrf_ok(request, values.get("csrf", "")):
        return context.render(request, "forbidden.html", 403)
    if context.guard.token is None:
        return RedirectResponse(request.scope.get("root_path", "") + "/", status_code=303)
    if not context.guard.token_matches(values.get("token", "")):
        return context.render(request, "login.html", 401, failed=True, next=values.get("next", "/"))
    response = RedirectResponse(
        request.scope.get("root_path", "") + local_path(values.get("next")), status_code=303
    )
    response.set_cookie(
        SESSION_COOKIE,
        context.guard.new_session(),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    context: WebContext = request.app.state.context
    form = await request.form()
    if not context.csrf_ok(request, str(form.get("csrf", ""))):
        return context.render(request, "forbidden.html", 403)
    response = RedirectResponse(request.scope.get("root_path", "") + "/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
