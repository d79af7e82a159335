"""Serve every vigil deployment from one process (Prefect's ``serve``): ``vigil serve``.

The simplest way to run vigil for real: this process polls the Prefect server for scheduled
runs of its deployments and runs them in subprocesses. ``deployments/prefect.yaml`` describes
the same deployments for work pools and workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments import run_deployment
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from vigil.flows.digests import alerts, digests
from vigil.flows.ingest import ingest
from vigil.flows.orphans import keep_crashing_orphans, report_orphans

# A scheduled run that finds the previous one still at work is cancelled, not queued: the next
# tick picks up whatever it would have done. (The store's run lock covers manual runs too.)
ONE_AT_A_TIME = ConcurrencyLimitConfig(
    limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
)


@dataclass(frozen=True)
class Schedules:
    ingest_every: timedelta = timedelta(minutes=15)
    digests_cron: str = "0 7 * * *"
    timezone: str = "UTC"
    alerts_every: timedelta = timedelta(minutes=5)
    partitions: int = 1


def deployments(schedules: Schedules) -> list[RunnerDeployment]:
    """The ingest deployment(s), one per partition of the feeds; digests; alerts."""
    made = []
    for partition in range(schedules.partitions):
        name = "ingest" if schedules.partitions == 1 else f"ingest-{partition + 1}"
        made.append(
            ingest.to_deployment(
                name=name,
                schedules=[Interval(schedules.ingest_every, timezone=schedules.timezone)],
                parameters={"partition": partition, "partitions": schedules.partitions},
                concurrency_limit=ONE_AT_A_TIME,
                description=(
                    "Read the feeds (this partition) and the article folder; send alerts and "
                    "the digests that are due."
                ),
            )
        )
    made.append(
        digests.to_deployment(
            name="digests",
            schedules=[Cron(schedules.digests_cron, timezone=schedules.timezone)],
            concurrency_limit=ONE_AT_A_TIME,
            description="Compose and send the digests that are due.",
        )
    )
    made.append(
        alerts.to_deployment(
            name="alerts",
            schedules=[Interval(schedules.alerts_every, timezone=schedules.timezone)],
            concurrency_limit=ONE_AT_A_TIME,
            description="Send pending alerts and retry the outbox between ingests.",
        )
    )
    # to_deployment is sync-compatible: called from synchronous code it returns the deployment.
    return cast(list[RunnerDeployment], made)


def serve_all(
    schedules: Schedules, *, run_now: bool = False, say: Callable[[str], None] = print
) -> None:
    """Register the deployments and run their schedules until interrupted.

    First, runs that a killed serve left Running or Pending are marked Crashed: they would
    hold their deployment's one slot and every scheduled run after them would be cancelled.
    """
    started = datetime.now(UTC)
    served = deployments(schedules)
    flows = [ingest.name, digests.name, alerts.name]
    report_orphans(flows, started, say)  # before the first poll
    threading.Thread(target=keep_crashing_orphans, args=(flows, started, say), daemon=True).start()
    if run_now:
        ingests = [f"{ingest.name}/{d.name}" for d in served if d.name.startswith("ingest")]
        threading.Thread(target=_run_now, args=(ingests,), daemon=True).start()
    serve(*served, print_starting_message=True)


def _run_now(ingests: list[str]) -> None:
    """One cycle at once: every ingest partition, then the digests (which then are due for
    recipients on "every run", and for scheduled ones whose time has passed)."""
    for name in [*ingests, f"{digests.name}/digests"]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:  # waits for the run to end, so the digests see everything ingested
                run_deployment(name, timeout=600)
                break
            except Exception:  # the deployment is not registered yet
                time.sleep(1)
