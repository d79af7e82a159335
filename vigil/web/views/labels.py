"""Labelling from the page: relevant or irrelevant on a match, missed on any item, stored in
the same feedback table as ``vigil matches label``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from vigil.errors import LabelError
from vigil.store import VERDICTS
from vigil.web.context import WebContext
from vigil.web.forms import FormProblem, local_path, optional_int

AUTHOR = "web"


async def label(request: Request) -> Response:
    context: WebContext = request.app.state.context
    form = await request.form()
    values = {key: str(value) for key, value in form.items()}
    if not context.csrf_ok(request, values.get("csrf", "")):
        return context.render(request, "forbidden.html", 403)
    background = request.headers.get("x-requested-with") == "fetch"
    verdict = values.get("verdict", "")
    rule_id = values.get("rule", "")
    try:
        item_id = optional_int(values.get("item"), "item")
        if item_id is None or not rule_id:
            raise FormProblem("a label needs an item and a rule")
        if verdict not in VERDICTS:
            raise FormProblem(f"verdict: one of {', '.join(VERDICTS)}")
        context.store.label_item(
            item_id,
            rule_id,
            verdict,
            note=values.get("note") or None,
            author=values.get("author") or AUTHOR,
        )
    except (FormProblem, LabelError) as exc:
        if background:
            return PlainTextResponse(str(exc), status_code=400)
        return context.render(request, "problem.html", 400, problem=str(exc))
    if background:  # the page's script: it marks the verdict in place
        return Response(status_code=204)
    back = local_path(values.get("next"), f"/items/{item_id}")
    return RedirectResponse(request.scope.get("root_path", "") + back, status_code=303)
