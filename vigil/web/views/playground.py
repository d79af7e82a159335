"""Try a rule edit (YAML or a bare query) on the stored items of a period and see what it
would flag against the live rule: new hits and lost hits with evidence, the explain on each,
and the YAML to paste. Nothing is written to the rules folder."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from vigil.playground import Trial, compile_edit, rule_yaml, try_edit
from vigil.rules import Matcher, RuleSet
from vigil.rules.explain import explain_rule
from vigil.web.context import WebContext
from vigil.web.forms import FormProblem, day_range
from vigil.web.present import evidence_markup, plain

DEFAULT_DAYS = 7


async def playground_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    ruleset = context.ruleset()
    if request.method == "POST":
        form = await request.form()
        values = {key: str(value) for key, value in form.items()}
    else:
        values = dict(request.query_params)
    base_id = values.get("rule") or ""
    base = next((rule for rule in ruleset.rules if rule.id == base_id), None)
    text = values.get("text")
    if text is None:
        text = rule_yaml(base) if base else ""
    today = context.clock().date()
    since_text = values.get("since") or str(today - timedelta(days=DEFAULT_DAYS - 1))
    until_text = values.get("until") or str(today)
    problems: list[str] = []
    trial = edit = None
    explained: dict[tuple[str, int], list[str]] = {}
    if request.method == "POST":
        if not context.csrf_ok(request, values.get("csrf", "")):
            return context.render(request, "forbidden.html", 403)
        try:
            since, until = day_range(since_text, until_text)
        except FormProblem as exc:
            problems.append(str(exc))
            since = until = None
        edit = compile_edit(
            context.rules_folder,
            text,
            rule_id=base.id if base else "playground",
            title=base.title if base else None,
        )
        problems += edit.problems
        if edit.ruleset is not None and since is not None:
            # A trial reads every item of its period: off the event loop, so other pages
            # are served meanwhile.
            trial, explained = await run_in_threadpool(
                _trial, context, edit.ruleset, ruleset, since, until
            )
    hits = [
        {
            "hit": hit,
            "title": plain(hit.title),
            "evidence": evidence_markup(hit.match) if hit.match else "",
            "explain": explained.get((hit.change, hit.item_id), []),
        }
        for hit in (trial.hits if trial else [])
    ]
    return context.render(
        request,
        "playground.html",
        rules=ruleset.rules,
        base_id=base_id,
        text=text,
        since=since_text,
        until=until_text,
        problems=problems,
        trial=trial,
        edit=edit,
        hits=hits,
    )


def _trial(
    context: WebContext, edit: RuleSet, live_rules: RuleSet, since: datetime, until: datetime | None
) -> tuple[Trial, dict[tuple[str, int], list[str]]]:
    """The trial, and the explain of each hit shown: the edit's, and the live rule's on a lost
    hit."""
    trial = try_edit(context.store, edit, since, until)
    candidate = Matcher(edit)
    live = context.matcher()
    live_ids = {rule.id for rule in live_rules.rules}
    explained: dict[tuple[str, int], list[str]] = {}
    for hit in trial.hits:
        item = context.store.item_view(hit.item_id)
        if item is None:
            continue
        lines = explain_rule(candidate, edit.rule(hit.rule_id), candidate.prepare(item.article))
        if hit.change == "lost" and hit.rule_id in live_ids:
            live_doc = live.prepare(item.article)
            lines += ["live rule:", *explain_rule(live, live_rules.rule(hit.rule_id), live_doc)]
        explained[(hit.change, hit.item_id)] = lines
    return trial, explained
