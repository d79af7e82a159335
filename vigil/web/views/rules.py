"""Each live rule: its definition, file and line, whether its examples pass, hits per day,
share of items, last hit, precision measured from labels, and the never-matched and noisy
flags of ``vigil rules stats``."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from vigil.playground import rule_yaml
from vigil.rules.examples import check_examples
from vigil.stats import rule_stats
from vigil.web.charts import bar_chart
from vigil.web.context import WebContext

DAYS = 30


def rules_page(request: Request) -> Response:
    context: WebContext = request.app.state.context
    ruleset = context.ruleset()
    now = context.clock()
    report = rule_stats(context.store, ruleset, now - timedelta(days=DAYS), now=now)
    failures: dict[str, int] = {}
    for failure in check_examples(context.matcher()):
        failures[failure.rule_id] = failures.get(failure.rule_id, 0) + 1
    days = report.recent_days(DAYS)
    defined = {rule.id: rule for rule in ruleset.rules}
    entries = []
    for stats in report.rules:
        rule = defined.get(stats.rule_id)
        examples = len(rule.examples.match) + len(rule.examples.no_match) if rule else 0
        entries.append(
            {
                "stats": stats,
                "rule": rule,
                "yaml": rule_yaml(rule) if rule else "",
                "location": _shown_location(rule.location, context) if rule else "",
                "examples": examples,
                "failing": failures.get(stats.rule_id, 0),
                "chart": bar_chart(days, stats.daily, f"hits per day of {stats.rule_id}"),
            }
        )
    return context.render(
        request,
        "rules.html",
        entries=entries,
        report=report,
        days=DAYS,
        problems=context.rule_problems,
    )


def _shown_location(location: str, context: WebContext) -> str:
    """file:line, relative to the rules folder's parent (the path an analyst knows)."""
    folder = str(context.rules_folder.resolve().parent)
    return location.removeprefix(folder + "/")
