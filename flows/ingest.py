"""``vigil-ingest``: read the sources (one partition of the feeds), then send what is due.

Scheduled every 15 minutes. After reading, it composes and delivers alerts and every digest
that is due: "every run" digests (the default reader without a recipients file) after each
ingest, scheduled ones once their local time has passed. With ``partitions`` > 1, one
deployment per partition spreads the feeds over workers: each feed belongs to exactly one
partition, so it is fetched once a cycle.
"""

from __future__ import annotations

from typing import Any

from prefect import State, flow

from vigil.errors import ConfigError
from vigil.flows.tasks import PrefectSteps, batch_runner, finish, open_monitor
from vigil.pipeline import RunSummary, run_once
from vigil.settings import Settings


@flow(name="vigil-ingest", log_prints=False, task_runner=batch_runner())
def ingest(
    partition: int = 0, partitions: int = 1, feeds: str | None = None
) -> RunSummary | State[RunSummary]:
    """Ingest this partition's feeds (and, on partition 0, the article folder); send alerts
    and the digests that are due."""
    if not 0 <= partition < partitions:
        raise ConfigError(f"partition must be in 0..{partitions - 1}, got {partition}")
    overrides: dict[str, Any] = {"feeds": feeds} if feeds else {}
    run = open_monitor(Settings(**overrides))
    try:
        summary = run_once(
            run,
            lock=f"ingest-{partition}-of-{partitions}",
            partition=partition,
            partitions=partitions,
            steps=PrefectSteps(),
        )
    finally:
        run.close()
    return finish(summary, f"vigil ingest, partition {partition + 1} of {partitions}")
