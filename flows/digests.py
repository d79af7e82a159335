"""``vigil-digests``: compose the digests (and heartbeats) that are due, and deliver them.

Scheduled daily; each recipient's own time in their time zone decides whether their digest is
due, so run this at least as often as the earliest recipient time (hourly covers everyone).
"""

from __future__ import annotations

from prefect import State, flow

from vigil.digest import Kind
from vigil.flows.tasks import PrefectSteps, finish, open_monitor
from vigil.pipeline import RunSummary, run_once
from vigil.settings import Settings


@flow(name="vigil-digests", log_prints=False)
def digests() -> RunSummary | State[RunSummary]:
    """Compose every due digest and deliver what the outbox holds."""
    return _outbox_run("digests", Kind.DIGEST)


@flow(name="vigil-alerts", log_prints=False)
def alerts() -> RunSummary | State[RunSummary]:
    """Send alerts not sent yet and retry what the outbox still holds (between ingests)."""
    return _outbox_run("alerts", Kind.ALERT)


def _outbox_run(name: str, kind: Kind) -> RunSummary | State[RunSummary]:
    """Compose one kind of message and deliver, under the run lock ``name``; no ingest."""
    run = open_monitor(Settings())
    try:
        summary = run_once(run, lock=name, kinds=[kind], read_sources=False, steps=PrefectSteps())
    finally:
        run.close()
    return finish(summary, f"vigil {name}")
