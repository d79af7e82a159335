"""Timing the web page in-process for ``benchmarks/web.py``: a client, medians, the statements
a page runs and their query plans, a profile of what misses."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import html
import io
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from vigil.store import Store


class Client:
    """The app in this thread, over httpx's ASGI transport: what is timed is the server's work
    (routing, middleware, queries, matching, templates), and cProfile sees all of it."""

    def __init__(self, app: Any) -> None:
        self.runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://vigil.bench")

    def get(self, url: str) -> httpx.Response:
        return self.runner.run(self.http.get(url))

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.runner.run(self.http.post(url, data=data))

    def close(self) -> None:
        self.runner.run(self.http.aclose())
        self.runner.close()


@dataclass
class Figure:
    name: str
    what: str  # the request, or the call
    target_s: float | None
    seconds: list[float]
    note: str = ""

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def met(self) -> bool | None:
        return None if self.target_s is None else self.median_s < self.target_s


def timed(
    call: Callable[[], Any], repeat: int, check: Callable[[Any], str]
) -> tuple[list[float], str]:
    """Warm once, then ``repeat`` timed calls; ``check`` turns a result into a note, or raises."""
    note = check(call())
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - began)
        check(result)
    return seconds, note


def ok_page(response: httpx.Response) -> str:
    if response.status_code != 200:
        raise SystemExit(
            f"{response.request.url}: HTTP {response.status_code}\n{response.text[:500]}"
        )
    return f"{len(response.content) / 1024:.0f} KiB"


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF field on the playground page")
    return html.unescape(found.group(1))


@contextlib.contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the store sends meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def query_plans(store: Store, seen: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """(the statement's tables, its plan lines) for each SELECT: EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN on PostgreSQL."""
    sqlite_ = store.engine.dialect.name == "sqlite"
    plans = []
    with store.engine.connect() as conn:
        for statement, parameters in seen:
            if not re.match(r"\s*SELECT\b.*\bFROM\b", statement, re.DOTALL | re.IGNORECASE):
                continue
            prefix = "EXPLAIN QUERY PLAN " if sqlite_ else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            lines = [str(row[-1]) for row in rows] if sqlite_ else [str(row[0]) for row in rows]
            tables = re.search(r"\bFROM\s+(.+?)(?:\s+WHERE|\s+ORDER|\s+GROUP|\s+LIMIT|$)",
                               " ".join(statement.split()))  # fmt: skip
            plans.append(((tables.group(1) if tables else "?")[:70], lines))
    return plans


def profiled(call: Callable[[], Any], lines: int = 16) -> str:
    """Where one call spends its time: vigil's functions (and the database driver's) of most
    cumulative time, then the functions of most time of their own."""
    profile = cProfile.Profile()
    profile.enable()
    call()
    profile.disable()
    parts = []
    for order, restriction in (("cumulative", r"/vigil/|sqlite3|psycopg"), ("tottime", "")):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(order)
        stats.print_stats(*([restriction] if restriction else []), lines)
        body = out.getvalue()
        body = body[body.find("   ncalls") :].rstrip()
        parts.append(f"  by {order} time:\n" + re.sub(r"\S*/(vigil|site-packages)/", "", body))
    return "\n".join(parts)


# -- the whole benchmark ----------------------------------------------------------------------


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The store's URL: as given with --reuse; a fresh PostgreSQL schema; a temporary SQLite."""
    if args.reuse:
        yield args.database_url
        return
    if args.database_url and make_url(args.database_url).get_backend_name() == "postgresql":
        schema = f"vigil_bench_{uuid.uuid4().hex[:12]}"
        server = make_url(args.database_url).set(drivername="postgresql+psycopg")
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = server.update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            if args.keep:
                print(f"kept schema {schema}", file=sys.stderr)
            else:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        return
    if args.database_url:
        yield args.database_url
        return
    scratch = Path(tempfile.mkdtemp(prefix="vigil-web-bench-"))
    try:
        yield f"sqlite:///{scratch / 'vigil.db'}"
    finally:
        if args.keep:
            print(f"kept {scratch / 'vigil.db'}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
