"""Run locks: a run that starts while the previous one still works skips instead of doing the
same work twice (Prefect's deployment concurrency limit covers scheduled runs; this covers
everything, ``vigil run`` from cron included).

A lock is a row in ``run_locks``. It frees itself when its ``expires_at`` passes, or at once
when its holder was a process on this host that no longer exists (a killed run).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from vigil.clock import MINUTE_FORMAT
from vigil.store.schema import run_locks


@dataclass(frozen=True, slots=True)
class LockHolder:
    holder: str
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        return f"held by {self.holder} since {self.acquired_at:{MINUTE_FORMAT}:%S} UTC"


def this_process() -> str:
    """``host:pid``: who holds a lock or runs a flow, checkable by :func:`dead_here`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_here(holder: str) -> bool:
    """True when ``holder`` (``host:pid[:…]``) names a process of this host that is gone."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class RunLock:
    """``with RunLock(engine, "ingest") as lock: if lock.acquired: ...``"""

    def __init__(self, engine: Engine, name: str, ttl: timedelta = timedelta(hours=1)) -> None:
        self.engine = engine
        self.name = name
        self.ttl = ttl
        self.holder = f"{this_process()}:{uuid.uuid4().hex[:8]}"
        self.acquired = False
        self.blocked_by: LockHolder | None = None

    def acquire(self) -> bool:
        now = datetime.now(UTC)
        row = {
            "name": self.name,
            "holder": self.holder,
            "acquired_at": now,
            "expires_at": now + self.ttl,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(run_locks.insert().values(**row))
            self.acquired = True
            return True
        except IntegrityError:
            pass
        current = self.current()
        if current is None:  # released in between: try once more
            return self.acquire()
        if current.expires_at > now and not dead_here(current.holder):
            self.blocked_by = current
            return False
        # Take over a stale lock, only if nobody else took it over first.
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(run_locks)
                .where(run_locks.c.name == self.name, run_locks.c.holder == current.holder)
                .values(**row)
            ).rowcount
        self.acquired = taken == 1
        if not self.acquired:
            self.blocked_by = self.current()
        return self.acquired

    def current(self) -> LockHolder | None:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(run_locks.c.holder, run_locks.c.acquired_at, run_locks.c.expires_at).where(
                    run_locks.c.name == self.name
                )
            ).first()
        return LockHolder(*found) if found else None

    def release(self) -> None:
        if not self.acquired:
            return
        with self.engine.begin() as conn:
            conn.execute(
                delete(run_locks).where(
                    run_locks.c.name == self.name, run_locks.c.holder == self.holder
                )
            )
        self.acquired = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
