"""``vigil-monitor``: everything once (what ``vigil run`` runs): ingest, compose, deliver."""

from __future__ import annotations

from typing import Any

from prefect import State, flow

from vigil.flows.tasks import PrefectSteps, batch_runner, finish, open_monitor
from vigil.pipeline import RunSummary, run_once
from vigil.settings import Settings


@flow(name="vigil-monitor", log_prints=False, task_runner=batch_runner())
def monitor(
    feeds: str | None = None,
    rules: str | None = None,
    articles: str | None = None,
    recipients: str | None = None,
) -> RunSummary | State[RunSummary]:
    """Ingest the seed articles and feeds, match the rules, and deliver what is due."""
    given: dict[str, Any] = {
        "feeds": feeds,
        "rules": rules,
        "articles": articles,
        "recipients": recipients,
    }
    run = open_monitor(
        Settings(**{key: value for key, value in given.items() if value is not None})
    )
    try:
        summary = run_once(run, steps=PrefectSteps())
    finally:
        run.close()
    return finish(summary, "vigil run")
