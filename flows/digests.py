"""``vigil-digests``: compose the digests (and heartbeats) that are due, and deliver them.

Scheduled daily; each recipient's own time in their time zone decides whether their digest is
due, so run this at least as often as the earliest recipient time (hourly covers everyone).
"""

from __future__ import annotations

from prefect import flow
from prefect.states import State

from flows.tasks import compose_and_deliver, finish, open_monitor, skipped
from vigil.digest import Kind
from vigil.monitor import RunSummary
from vigil.settings import Settings


@flow(name="vigil-digests", log_prints=False)
def digests() -> RunSummary | State:
    """Compose every due digest and deliver what the outbox holds."""
    run = open_monitor(Settings())
    summary = RunSummary()
    try:
        if not skipped(run, summary, "digests"):
            compose_and_deliver(run, summary, [Kind.DIGEST])
    finally:
        run.close()
    return finish(summary, "vigil digests")


@flow(name="vigil-alerts", log_prints=False)
def alerts() -> RunSummary | State:
    """Send alerts not sent yet and retry what the outbox still holds (between ingests)."""
    run = open_monitor(Settings())
    summary = RunSummary()
    try:
        if not skipped(run, summary, "alerts"):
            compose_and_deliver(run, summary, [Kind.ALERT])
    finally:
        run.close()
    return finish(summary, "vigil alerts")
