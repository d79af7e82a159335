"""Shared fixtures: real servers on loopback (HTTP for feeds, SMTP for mail) and settings."""

from __future__ import annotations

import os
import tempfile

# Prefect reads its settings at import: keep its home (database, profiles) out of ~/.prefect,
# and give the first server time to migrate its database on a slow machine.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="vigil-tests-prefect-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.pop("PREFECT_API_URL", None)

import contextlib
import email
import email.policy
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from vigil.settings import Settings

from tests.support.loopback_http import LoopbackHTTP
from tests.support.smtp import (
    SmtpServer,
    TlsMaterial,
    make_tls_material,
    running_smtp,
    silent_port,
)

# In CI the property tests draw the same examples every time (a red build must be reproducible);
# locally they draw new ones, and the example database replays any failure found.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RULES = ROOT / "rules"
TEMPLATES = ROOT / "templates"
SEED = EXAMPLES / "articles"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's VIGIL_* variables or ./vigil.toml."""
    for name in list(os.environ):
        if name.startswith("VIGIL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VIGIL_CONFIG", str(tmp_path / "no-such-vigil.toml"))


# The suite runs on SQLite by default; with VIGIL_TEST_DATABASE_URL set to a PostgreSQL URL
# (`make test` does both), every test gets a schema of its own on that server.
POSTGRES_URL = os.environ.get("VIGIL_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL for one test: SQLite in tmp_path, or a PostgreSQL schema."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'home' / 'vigil.db'}"
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"vigil_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a fresh state folder, with the shipped rules, templates, seed and demo feeds."""
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        rules=RULES,
        templates=TEMPLATES,
        articles=SEED,
        feeds=EXAMPLES / "feeds" / "demo.yaml",
        mail_from="vigil@example.org",
        mail_to=["analyst@example.org"],
        smtp_timeout=10,
    )


def changed(settings: Settings, **changes: object) -> Settings:
    """A validated copy of ``settings`` with ``changes`` (model_copy would skip validation)."""
    return Settings(**{**settings.model_dump(), **changes})


# -- the clock ----------------------------------------------------------------------------

# The instants every time-sensitive test runs at: the suite must pass whatever the wall clock
# says. Four times of one ordinary day (before and after each recipient's local 08:00 in
# Istanbul, Kyiv and New York), and the half hour before each of New York's 2026 clock changes
# (01:30 local: the hour that repeats in November, the hour that is skipped in March).
INSTANTS = {
    "00:30Z": datetime(2026, 11, 25, 0, 30, tzinfo=UTC),
    "06:10Z": datetime(2026, 11, 25, 6, 10, tzinfo=UTC),
    "12:45Z": datetime(2026, 11, 25, 12, 45, tzinfo=UTC),
    "19:20Z": datetime(2026, 11, 25, 19, 20, tzinfo=UTC),
    "dst-fall": datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    "dst-spring": datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
}


class FrozenClock:
    """A clock that says one instant until the test moves it (vigil.clock.Clock)."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def __call__(self) -> datetime:
        return self.instant

    def set(self, instant: datetime) -> datetime:
        self.instant = instant
        return instant

    def advance(self, by: timedelta) -> datetime:
        return self.set(self.instant + by)


@pytest.fixture(params=list(INSTANTS.values()), ids=list(INSTANTS))
def clock(request: pytest.FixtureRequest) -> FrozenClock:
    """A pinned clock; a test that takes it runs once at each of INSTANTS."""
    return FrozenClock(request.param)


# -- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def loopback_http() -> Iterator[Callable[..., LoopbackHTTP]]:
    """Starts LoopbackHTTP servers (same arguments) for one test; each stops after it."""
    with contextlib.ExitStack() as servers:

        def start(*args: Any, **kwargs: Any) -> LoopbackHTTP:
            return servers.enter_context(LoopbackHTTP(*args, **kwargs))

        yield start


@dataclass
class FeedServer:
    root: Path
    base_url: str

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


@contextlib.contextmanager
def _serving_demo_feeds(root: Path, delay: float = 0.0) -> Iterator[FeedServer]:
    shutil.copytree(EXAMPLES / "feeds", root)
    with LoopbackHTTP(directory=root, delay=delay) as server:
        yield FeedServer(root, server.base_url)


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    """A real HTTP server on loopback serving a copy of the demo feed snapshots."""
    with _serving_demo_feeds(tmp_path / "www") as server:
        yield server


@pytest.fixture
def slow_feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    """Like feed_server, but every response takes five seconds: runs started together overlap."""
    with _serving_demo_feeds(tmp_path / "slow-www", delay=5) as server:
        yield server


def write_feeds_file(path: Path, feeds: list[tuple[str, str]]) -> Path:
    lines = ["feeds:"]
    for name, url in feeds:
        lines += [f"  - name: {name}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- SMTP ---------------------------------------------------------------------------------


SMTP_USER, SMTP_PASSWORD = "vigil", "s3cret-Pa55word-do-not-log"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback (no TLS, no AUTH)."""
    with running_smtp() as server:
        yield server


@pytest.fixture
def dropping_smtp_server() -> Iterator[SmtpServer]:
    """Drops the connection in the middle of the first DATA, then behaves."""
    with running_smtp(drops=1) as server:
        yield server


@pytest.fixture
def silent_smtp_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with silent_port() as port:
        yield port


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    return make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_smtp_server(tls_material: TlsMaterial) -> Iterator[SmtpServer]:
    """STARTTLS required, AUTH required (only over TLS), a certificate from a test CA."""
    with running_smtp(starttls=tls_material, auth=(SMTP_USER, SMTP_PASSWORD)) as server:
        yield server


@pytest.fixture
def implicit_tls_smtp_server(tls_material: TlsMaterial) -> Iterator[SmtpServer]:
    """TLS from the first byte (port 465 style), AUTH required."""
    with running_smtp(implicit_tls=tls_material, auth=(SMTP_USER, SMTP_PASSWORD)) as server:
        yield server


def unstyled(html: str) -> str:
    """HTML without the style attributes css-inline added, to assert on structure and text."""
    import re

    return re.sub(r' style="[^"]*"', "", html)


def maildir_messages(folder: Path) -> list[EmailMessage]:
    """Every message delivered to a Maildir, parsed."""
    import mailbox

    if not (folder / "new").exists():
        return []
    box = mailbox.Maildir(folder, create=False)
    return [
        email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        for key in box.iterkeys()
    ]


def write_recipients(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
