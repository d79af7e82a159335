"""One stored item: its text with matched words marked, every live rule's verdict on it and
why (the explain of ``vigil rules test``), the story's other copies, the messages that
carried it, and the labels."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from vigil.digest.sanitise import http_url
from vigil.rules.explain import explain_rule
from vigil.rules.scanner import Span
from vigil.store import Verdict
from vigil.web.context import WebContext
from vigil.web.present import MatchView, marked_paragraphs, match_view, plain


@dataclass
class Verdicts:
    """A live rule on this item: matched now or not, why, and what the store holds."""

    rule_id: str
    title: str
    tags: tuple[str, ...]
    matches_now: bool
    explanation: list[str]
    direction: str | None
    stored: MatchView | None
    label: Verdict | None


def item_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    item_id = request.path_params["item_id"]
    item = context.store.item_view(item_id)
    if item is None:
        return context.render(request, "missing.html", 404, what=f"item {item_id}")
    matcher = context.matcher()
    ruleset = context.ruleset()
    doc = matcher.prepare(item.article)
    stored = {match.rule_id: match for match in context.store.item_matches(item_id)}
    rule_ids = [rule.id for rule in ruleset.rules]
    labels = context.store.labels_of([(item_id, rule_id) for rule_id in {*rule_ids, *stored}])
    spans: list[Span] = []
    verdicts: list[Verdicts] = []
    for rule in ruleset.rules:
        outcome = matcher.evaluate_rule(rule, doc)
        if outcome.spans is not None:
            spans += outcome.spans
        held = stored.get(rule.id)
        verdicts.append(
            Verdicts(
                rule_id=rule.id,
                title=rule.title,
                tags=rule.tags,
                matches_now=outcome.spans is not None,
                explanation=explain_rule(matcher, rule, doc),
                direction=outcome.event.direction if outcome.event else None,
                stored=match_view(held) if held else None,
                label=labels.get((item_id, rule.id)),
            )
        )
    # Matched first: what the analyst came for.
    verdicts.sort(key=lambda verdict: not (verdict.matches_now or verdict.stored))
    gone = [match_view(match) for rule_id, match in stored.items() if rule_id not in rule_ids]
    copies = []
    if item.cluster_id is not None:
        copies = [
            copy
            for copy in context.store.copies([item.cluster_id]).get(item.cluster_id, [])
            if copy.item_id != item_id
        ]
    article = item.article
    title_marks: list[Markup] = marked_paragraphs(article.title, spans) or [Markup("")]
    return context.render(
        request,
        "item.html",
        item=item,
        title=plain(article.title),
        title_html=title_marks[0],
        outlet=plain(article.outlet),
        author=plain(article.author),
        link=http_url(article.link),
        paragraphs=marked_paragraphs(article.body, spans, doc.body_start),
        verdicts=verdicts,
        gone=gone,
        copies=[(copy.item_id, plain(copy.outlet), plain(copy.title)) for copy in copies],
        messages=context.store.item_messages(item_id),
    )
