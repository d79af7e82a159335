"""Try a rule edit (YAML or a bare query) on the stored items of a period and see what it
would flag against the live rule: new hits and lost hits with evidence, the explain on each,
and the YAML to paste. Nothing is written to the rules folder."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from vigil.playground import compile_edit, rule_yaml, try_edit
from vigil.rules import Matcher
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
            trial = try_edit(context.store, edit.ruleset, since, until)
            candidate = Matcher(edit.ruleset)
            live = context.matcher()
            for hit in trial.hits:
                item = context.store.item_view(hit.item_id)
                if item is None:
                    continue
                rule = edit.ruleset.rule(hit.rule_id)
                doc = candidate.prepare(item.article)
                lines = explain_rule(candidate, rule, doc)
                if hit.change == "lost" and hit.rule_id in {r.id for r in ruleset.rules}:
                    live_doc = live.prepare(item.article)
                    lines = [
                        *lines,
                        "live rule:",
                        *explain_rule(live, ruleset.rule(hit.rule_id), live_doc),
                    ]
                explained[(hit.change, hit.item_id)] = lines
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
