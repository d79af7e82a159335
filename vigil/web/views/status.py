"""The operator's tables: feed health, the outbox, and who gets what when."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from vigil.errors import VigilError
from vigil.monitor import recipients_of
from vigil.schedule import Every
from vigil.sources import load_feeds_file
from vigil.sources.feed_state import condition
from vigil.web.context import WebContext


def feeds_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    problems: list[str] = []
    try:
        specs = load_feeds_file(context.settings.feeds)
    except VigilError as exc:
        specs, problems = [], [str(exc)]
    rows = context.store.feed_rows()
    feeds = [
        {
            "spec": spec,
            "row": rows.get(spec.name),
            "health": str(condition(rows.get(spec.name), spec.url)),
        }
        for spec in specs
    ]
    return context.render(request, "feeds.html", feeds=feeds, problems=problems,
                          feeds_file=str(context.settings.feeds))  # fmt: skip


def outbox_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    messages = context.store.recent_messages(100)
    counts = context.store.message_counts()
    return context.render(request, "outbox.html", messages=messages, counts=counts)


def recipients_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    settings = context.settings
    ruleset = context.ruleset()
    problems: list[str] = []
    try:  # as a run reads them (the feeds file's tags checked too)
        recipients = recipients_of(settings, ruleset)
    except VigilError as exc:
        recipients, problems = [], [str(exc)]
    now = context.clock()
    shown = []
    for recipient in recipients:
        if recipient.cadence.every is Every.NEVER:
            upcoming = "none (alerts only)"
        else:
            slot = recipient.cadence.next_slot(now, recipient.zone)
            upcoming = (
                f"{slot.astimezone(recipient.zone):%a %d %b %H:%M} {recipient.zone.key}"
                if slot
                else "each run"
            )
        followed = [rule.id for rule in ruleset.rules if recipient.follows(rule)]
        shown.append({"recipient": recipient, "next": upcoming, "rules": followed})
    return context.render(request, "recipients.html", recipients=shown, problems=problems)
