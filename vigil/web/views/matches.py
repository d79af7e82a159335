"""The match stream: newest first, filtered, paged; or, with a query in the search box, the
stored items that query matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from vigil.playground import compile_edit, search_items
from vigil.rules.model import RuleSet, Severity
from vigil.store import VERDICTS, MatchFilter, StoredMatch
from vigil.web.context import WebContext
from vigil.web.forms import FormProblem, day_range, optional_int
from vigil.web.present import MatchView, evidence_markup, match_view, plain

PAGE = 50
SEVERITIES = list(Severity)


@dataclass
class Row:
    """One item of the stream, with the rule matches of this page on it."""

    item_id: int
    title: str
    outlet: str
    link: str | None
    published: object
    matches: list[MatchView] = field(default_factory=list)
    also: tuple[str, ...] = ()
    live_rules: tuple[str, ...] = ()  # in search results: what the live rules matched


def matches_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    params = request.query_params
    ruleset = context.ruleset()
    problems: list[str] = []
    try:
        since, until = day_range(params.get("since"), params.get("until"))
        before = optional_int(params.get("before"), "before")
    except FormProblem as exc:
        problems.append(str(exc))
        since = until = before = None
    label = params.get("label") or None
    if label not in (None, "unlabelled", *VERDICTS):
        problems.append(f"label: one of unlabelled, {', '.join(VERDICTS)}")
        label = None
    delivered = {"yes": True, "no": False}.get(params.get("delivered", ""))
    where = MatchFilter(
        rule_ids=_rule_ids(ruleset, params.get("rule"), params.get("tag"), params.get("severity")),
        outlet=params.get("outlet") or None,
        since=since,
        until=until,
        delivered=delivered,
        label=label,  # type: ignore[arg-type]
    )
    query = (params.get("q") or "").strip()
    rows: list[Row] = []
    next_before: int | None = None
    scanned: int | None = None
    if query and not problems:
        edit = compile_edit(context.rules_folder, query, rule_id="search")
        problems += edit.problems
        if edit.ruleset is not None:
            found = search_items(
                context.store, edit.ruleset, since=since, until=until, before=before, limit=PAGE
            )
            scanned, next_before = found.scanned, found.next_before
            stored = context.store.stored_rule_hits([hit.item_id for hit in found.results])
            for hit in found.results:
                article = hit.article
                view = MatchView(None, hit.item_id, "search", plain(article.title),
                                 plain(article.outlet), None, article.published,
                                 evidence_markup(hit.match), hit.match.direction)  # fmt: skip
                row = Row(hit.item_id, view.title, view.outlet, None, article.published, [view])
                row.live_rules = tuple(sorted(stored.get(hit.item_id, ())))
                rows.append(row)
    elif not problems:
        page = context.store.match_page(where, before=before, limit=PAGE)
        rows = _rows(context, page)
        next_before = page[-1].id if len(page) == PAGE else None
    tags = sorted({tag for rule in ruleset.rules for tag in rule.tags})
    more = dict(params)
    if next_before is not None:
        more["before"] = str(next_before)
    return context.render(
        request,
        "matches.html",
        rows=rows,
        searching=bool(query),
        scanned=scanned,
        problems=problems,
        params=params,
        rules=ruleset.rules,
        tags=tags,
        severities=SEVERITIES,
        label_choices=("unlabelled", *VERDICTS),
        next_page=f"?{urlencode(more)}" if next_before is not None else None,
    )


def _rule_ids(
    ruleset: RuleSet, rule: str | None, tag: str | None, severity: str | None
) -> list[str] | None:
    """The rules a filter keeps; None when no rule filter is set (every rule, removed ones
    included)."""
    if not (rule or tag or severity):
        return None
    lowest = SEVERITIES.index(Severity(severity)) if severity in SEVERITIES else 0
    return [
        candidate.id
        for candidate in ruleset.rules
        if (not rule or candidate.id == rule)
        and (not tag or tag in candidate.tags)
        and SEVERITIES.index(candidate.severity) >= lowest
    ]


def _rows(context: WebContext, page: Sequence[StoredMatch]) -> list[Row]:
    store = context.store
    delivered = store.delivered_at([match.id for match in page])
    verdicts = store.labels_of([(match.item_id, match.rule_id) for match in page])
    clusters = store.copies([m.cluster_id for m in page if m.cluster_id is not None])
    rows: dict[int, Row] = {}
    for match in page:
        copies = clusters.get(match.cluster_id, []) if match.cluster_id is not None else []
        also = sorted({copy.outlet for copy in copies if copy.item_id != match.item_id})
        view = match_view(
            match,
            delivered_at=delivered.get(match.id),
            verdict=verdicts.get((match.item_id, match.rule_id)),
            also=also,
        )
        row = rows.get(match.item_id)
        if row is None:
            row = rows[match.item_id] = Row(
                match.item_id, view.title, view.outlet, view.link, view.published, also=view.also
            )
        row.matches.append(view)
    return list(rows.values())
