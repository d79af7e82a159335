"""``vigil backfill``: the current rules applied again to stored items."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.root import (
    EXIT_UNUSABLE,
    MOMENT,
    RulesOption,
    err,
    out,
    progress,
    settings_from,
)

if TYPE_CHECKING:
    from vigil.backfill import BackfillReport


@reports_errors
def backfill(
    since: Annotated[
        datetime,
        typer.Option(
            **MOMENT,
            help="Re-match items vigil first saw on or after this moment: a day (UTC), e.g. "
            "2026-11-01, a day and time, or 7d, 2h, yesterday.",
        ),
    ],
    until: Annotated[
        datetime | None,
        typer.Option(**MOMENT, help="…and before this moment (the same forms)."),
    ] = None,
    rule: Annotated[
        list[str] | None,
        typer.Option(
            "--rule", metavar="ID", help="Only this rule (repeatable). Default: every rule."
        ),
    ] = None,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend",
            help="Also send again the range's matches that were already delivered. Without it, "
            "only matches the items did not have before go out.",
        ),
    ] = False,
    dask: Annotated[
        bool,
        typer.Option(
            "--dask",
            help="Run as the Prefect flow vigil-backfill on a DaskTaskRunner: batches matched in "
            "parallel processes (needs vigil[dask]).",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(metavar="N", min=1, help="Dask worker processes.")] = 2,
    batch_size: Annotated[
        int, typer.Option(metavar="N", min=1, help="Items per batch (per task).")
    ] = 500,
    rules: RulesOption = None,
) -> None:
    """Re-apply the current rules to stored items, after adding or editing a rule.

    New matches go out with each recipient's next alerts and digests; matches already
    delivered are not sent again unless --resend.
    """
    from datetime import UTC

    from vigil.backfill import backfill as run_backfill
    from vigil.backfill import only_rules
    from vigil.errors import ConfigError
    from vigil.rules import load_ruleset
    from vigil.store import Store

    settings = settings_from(rules=rules)
    start, end = since.replace(tzinfo=UTC), until.replace(tzinfo=UTC) if until else None
    try:
        ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
        only_rules(ruleset, rule)
    except ConfigError as exc:
        err.print(f"vigil: {exc}", markup=False)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if dask:
        report = _backfill_on_dask(start, end, rule, resend, batch_size, workers, settings.rules)
    else:
        store = Store(settings.store_url)
        try:
            with progress("re-matching stored items") as report_progress:
                report = run_backfill(
                    store, ruleset, start, until=end, rule_ids=rule, resend=resend,
                    batch_size=batch_size, progress=report_progress,
                )  # fmt: skip
        finally:
            store.close()
    for line in report.lines():
        out.print(line, markup=False)


def _backfill_on_dask(
    start: datetime,
    end: datetime | None,
    rule_ids: list[str] | None,
    resend: bool,
    batch_size: int,
    workers: int,
    rules: Path,
) -> BackfillReport:
    from vigil.prefect_env import quiet_prefect

    with quiet_prefect():
        from vigil.flows.backfill import run_on_dask

        return run_on_dask(
            since=start, until=end, rule_ids=rule_ids, resend=resend,
            batch_size=batch_size, workers=workers, rules=str(rules),
        )  # fmt: skip
