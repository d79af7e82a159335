"""``vigil-backfill``: re-match stored items, a task per batch, on any Prefect task runner.

``vigil backfill --dask`` runs it on a DaskTaskRunner (prefect-dask): the batches are matched
in parallel worker processes, which pays off for large backfills. Tasks take plain values (the
store URL, the rules folder, item ids), so they can run in other processes.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.logging import get_run_logger
from prefect.task_runners import TaskRunner

from vigil.backfill import BATCH_SIZE, BackfillReport, only_rules, rematch_batch
from vigil.backfill import backfill as run_backfill
from vigil.errors import ConfigError
from vigil.rules import Matcher, load_ruleset
from vigil.settings import Settings
from vigil.store import Store


@cache
def _worker_state(store_url: str, rules: str, rule_ids: tuple[str, ...]) -> tuple[Store, Matcher]:
    """One store connection pool and one compiled matcher per worker process (without a
    helper process of its own: the workers already share the cores)."""
    ruleset = only_rules(load_ruleset(Path(rules)), list(rule_ids) or None)
    return Store(store_url), Matcher(ruleset, helper=False)


@task(cache_policy=NO_CACHE, retries=1)
def rematch(
    store_url: str, rules: str, rule_ids: list[str], item_ids: list[int]
) -> list[tuple[int, str]]:
    store, matcher = _worker_state(store_url, rules, tuple(rule_ids))
    return rematch_batch(store, matcher, item_ids)


@flow(name="vigil-backfill", log_prints=False)
def backfill(
    since: datetime,
    until: datetime | None = None,
    rule_ids: list[str] | None = None,
    resend: bool = False,
    batch_size: int = BATCH_SIZE,
    rules: str | None = None,
) -> BackfillReport:
    """Re-apply the current rules (``rules``, else the settings') to items first seen since
    ``since``."""
    logger = get_run_logger()
    overrides: dict[str, Any] = {"rules": rules} if rules else {}
    settings = Settings(**overrides)
    ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
    only_rules(ruleset, rule_ids)  # unknown rule ids fail here, before any task

    def as_tasks(chunks: list[list[int]]) -> list[list[tuple[int, str]]]:
        logger.info("re-matching in %d batches", len(chunks))
        futures = rematch.map(
            unmapped(settings.store_url), unmapped(str(settings.rules)), unmapped(rule_ids or []),
            chunks,
        )  # fmt: skip
        return list(futures.result())

    store = Store(settings.store_url)
    try:
        report = run_backfill(
            store,
            ruleset,
            since,
            until=until,
            rule_ids=rule_ids,
            resend=resend,
            batch_size=batch_size,
            rematch=as_tasks,
        )
    finally:
        store.close()
    for line in report.lines():
        logger.info(line)
    return report


def run_on_dask(
    *,
    since: datetime,
    until: datetime | None = None,
    rule_ids: list[str] | None = None,
    resend: bool = False,
    batch_size: int = BATCH_SIZE,
    rules: str | None = None,
    workers: int = 2,
) -> BackfillReport:
    """The backfill flow on a DaskTaskRunner: batches matched in ``workers`` processes."""
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ImportError:
        raise ConfigError("--dask needs prefect-dask: pip install 'vigil[dask]'") from None
    runner = DaskTaskRunner(
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True}
    )
    on_dask = backfill.with_options(task_runner=cast(TaskRunner[PrefectFuture[Any]], runner))
    return on_dask(
        since=since,
        until=until,
        rule_ids=rule_ids,
        resend=resend,
        batch_size=batch_size,
        rules=rules,
    )
