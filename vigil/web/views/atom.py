"""Atom feeds of matches at a URL per rule, per family tag and per recipient: what
``vigil matches feed`` writes, for a feed reader to follow (``?days=N`` narrows it)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from vigil.atom import FeedChoice, atom_feed, chosen_matches
from vigil.errors import VigilError
from vigil.monitor import recipients_of
from vigil.web.context import WebContext
from vigil.web.forms import FormProblem, optional_int

ATOM = "application/atom+xml; charset=utf-8"
ENTRIES = 100


def rule_feed(request: Request) -> Response:
    context: WebContext = request.app.state.context
    rule_id = request.path_params["rule_id"]
    if rule_id not in {rule.id for rule in context.ruleset().rules}:
        return PlainTextResponse(f"no rule {rule_id!r}", status_code=404)
    return _feed(request, FeedChoice(rule_ids=(rule_id,)))


def tag_feed(request: Request) -> Response:
    context: WebContext = request.app.state.context
    tag = request.path_params["tag"]
    if not any(tag.casefold() in map(str.casefold, r.tags) for r in context.ruleset().rules):
        return PlainTextResponse(f"no rule carries the tag {tag!r}", status_code=404)
    return _feed(request, FeedChoice(tag=tag))


def recipient_feed(request: Request) -> Response:
    context: WebContext = request.app.state.context
    wanted = request.path_params["recipient_id"]
    try:
        readers = {r.id: r for r in recipients_of(context.settings, context.ruleset())}
    except VigilError as exc:
        return PlainTextResponse(f"the recipients file cannot be read: {exc}", status_code=500)
    if wanted not in readers:
        return PlainTextResponse(f"no recipient {wanted!r}", status_code=404)
    return _feed(request, FeedChoice(recipient=readers[wanted]))


def _feed(request: Request, choice: FeedChoice) -> Response:
    context: WebContext = request.app.state.context
    try:
        days = optional_int(request.query_params.get("days"), "days")
    except FormProblem as exc:
        return PlainTextResponse(str(exc), status_code=400)
    if days is not None and days < 0:
        return PlainTextResponse("days: zero or more", status_code=400)
    if days is not None:
        choice = FeedChoice(choice.rule_ids, choice.tag, choice.recipient, float(days))
    rules = {rule.id: rule for rule in context.ruleset().rules}
    now = context.clock()
    found = chosen_matches(context.store, rules, choice, now=now, limit=ENTRIES)
    page = context.settings.web_url or (
        str(request.base_url).rstrip("/") + request.scope.get("root_path", "")
    )
    document = atom_feed(
        found, choice, now=now, rules=rules, self_url=str(request.url), web_url=page
    )
    return Response(document, media_type=ATOM)
