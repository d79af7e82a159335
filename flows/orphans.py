"""Runs a killed ``vigil serve`` left behind, so they cannot wedge its schedule.

Each deployment allows one run at a time (a new one is cancelled while another holds the
slot). A run whose process was killed stays Running or Pending in the Prefect database and
would hold that slot for good: every scheduled run after it would be cancelled. So each flow
run records the process that runs it (``host:pid``, as Prefect's workers do), and ``vigil
serve`` marks, as it starts, the runs of its deployments that no live process owns as Crashed,
which releases their slots. The store's run lock, which frees itself when its holder dies, is
what still keeps two live runs apart.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.runtime import deployment, flow_run
from prefect.states import Crashed

from vigil.store.locks import dead_here, this_process

# A run in one of these holds its deployment's concurrency slot.
HOLDING_A_SLOT = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]


@dataclass(frozen=True, slots=True)
class Orphan:
    id: UUID
    name: str
    state: str
    owner: str | None


def record_owner() -> None:
    """Note this process as the owner of the current deployment run (a no-op elsewhere)."""
    run_id = flow_run.get_id()
    if run_id is None or deployment.get_id() is None:
        return
    with contextlib.suppress(Exception), get_client(sync_client=True) as client:
        # Best effort: without it a later serve treats the run as orphaned only once its
        # owner is unknown, which it also is after a crash.
        client.update_flow_run(UUID(run_id), infrastructure_pid=this_process())


def orphaned(
    owner: str | None, since: datetime | None, started: datetime, *, gone: Callable[[str], bool]
) -> bool:
    """Whether a run owned by ``owner`` (``host:pid``, or None), in its state ``since``, has no
    live process behind it, as judged by a serve that started at ``started``.

    A run owned by a process of this host that has exited is dead. A run with no recorded
    owner that was in its state before this serve started was left by an earlier one (a run
    of ours records its owner within a second of starting). A run owned by a process on
    another host is left alone: only that host can tell.
    """
    if owner is not None:
        return gone(owner)
    return since is None or since < started


def crash_orphaned_runs(
    flow_names: Sequence[str], started: datetime, *, gone: Callable[[str], bool] = dead_here
) -> list[Orphan]:
    """Mark the runs of these flows' deployments that no live process owns as Crashed."""
    found: list[Orphan] = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=list(flow_names))),
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(is_null_=False),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=HOLDING_A_SLOT)),
            ),
        )
        for run in runs:
            since = run.state.timestamp if run.state else None
            if not orphaned(run.infrastructure_pid, since, started, gone=gone):
                continue
            client.set_flow_run_state(
                run.id,
                Crashed(message="its process is gone (vigil serve was killed); slot released"),
                force=True,
            )
            state = run.state_name or str(run.state_type)
            found.append(Orphan(run.id, run.name, state, run.infrastructure_pid))
    return found


def report_orphans(
    flow_names: Sequence[str], started: datetime, say: Callable[[str], None]
) -> None:
    """Crash the orphaned runs and say so, one line each; never raises (the server may be
    restarting: the next check tries again)."""
    try:
        for orphan in crash_orphaned_runs(flow_names, started):
            say(
                f"marked run {orphan.name} ({orphan.state}, owner "
                f"{orphan.owner or 'unknown'}) as crashed: its process is gone"
            )
    except Exception as exc:
        say(f"could not check for orphaned runs: {type(exc).__name__}: {exc}")


def keep_crashing_orphans(
    flow_names: Sequence[str],
    started: datetime,
    say: Callable[[str], None],
    *,
    every: float = 60.0,
    stop: threading.Event | None = None,
) -> None:
    """Check every ``every`` seconds until ``stop`` is set (a daemon thread's loop): a run
    whose process dies while serve goes on (the OOM killer, say) is freed too."""
    stop = stop or threading.Event()
    while not stop.wait(every):
        report_orphans(flow_names, started, say)
