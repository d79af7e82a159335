"""The Prefect layer: the monitor flow and ``vigil run``, on one test server for the module."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from vigil.cli import app
from vigil.flows.monitor import monitor
from vigil.pipeline import run_once

from tests.conftest import (
    EXAMPLES,
    RULES,
    SEED,
    SMTP_PASSWORD,
    SMTP_USER,
    TEMPLATES,
    FeedServer,
    maildir_messages,
    write_feeds_file,
    write_recipients,
)
from tests.support.smtp import SmtpServer, TlsMaterial

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=None):
        yield


@pytest.fixture
def vigil_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("VIGIL_HOME", str(home))
    monkeypatch.setenv("VIGIL_DATABASE_URL", database_url)
    monkeypatch.setenv("VIGIL_TEMPLATES", str(TEMPLATES))
    monkeypatch.setenv("VIGIL_RULES", str(RULES))
    return home


def test_monitor_flow_delivers_one_digest_then_nothing(
    prefect_server: None, vigil_env: Path
) -> None:
    summary = monitor(feeds=str(EXAMPLES / "feeds" / "demo.yaml"), articles=str(SEED))
    assert summary.ok
    assert summary.new_items == 19
    assert set(summary.matches_per_rule) >= {
        "turkish-mediation",
        "mediation-rejected",
        "bayraktar-tb2",
        "minsk-normandy",
    }
    (message,) = maildir_messages(vigil_env / "outbox")
    text = message.get_body(("plain",)).get_content()
    assert "Why Putin rejected Erdogan's offer to mediate over Ukraine" in text
    again = monitor(feeds=str(EXAMPLES / "feeds" / "demo.yaml"), articles=str(SEED))
    assert again.new_items == 0 and again.composed == []
    assert len(maildir_messages(vigil_env / "outbox")) == 1


def test_vigil_run_reports_and_exits_zero(prefect_server: None, vigil_env: Path) -> None:
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    assert "sources: 4 read, 0 unchanged, 0 failed" in result.output
    assert "new items: 19" in result.output
    assert f"delivered to Maildir {vigil_env / 'outbox'}" in result.output
    assert "Traceback" not in result.output


def test_vigil_run_says_its_summary_as_one_json_document(
    prefect_server: None, vigil_env: Path
) -> None:
    import json

    result = CliRunner().invoke(app, ["run", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["new_items"] == 19
    assert {source["status"] for source in summary["sources"]} == {"read"}
    assert sum(summary["new_matches"].values()) > 0
    [digest] = summary["composed"]
    assert digest["kind"] == "digest" and digest["message_id"]
    assert digest["subject"] in summary["delivery"]["sent"]
    assert summary["seconds"] > 0
    # Progress off a terminal: plain lines on standard error, the JSON alone on standard out.
    assert "reading sources: 4/4, 19 new items" in result.stderr


def test_vigil_run_exits_one_when_a_feed_fails(
    prefect_server: None, vigil_env: Path, feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", feed_server.url("meduza.rss.xml")), ("Gone", feed_server.url("gone.xml"))],
    )
    result = CliRunner().invoke(app, ["run", "--feeds", str(feeds_file), "--no-articles"])
    assert result.exit_code == 1, result.output
    assert "FAILED Gone: HTTP 404" in result.output
    assert "delivered to Maildir" in result.output


def test_a_failing_feed_names_the_flow_state_partial(
    prefect_server: None, vigil_env: Path, feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.yaml",
        [("Meduza", feed_server.url("meduza.rss.xml")), ("Gone", feed_server.url("gone.xml"))],
    )
    state = monitor(feeds=str(feeds_file), articles="", return_state=True)
    assert state.is_completed() and state.name == "Partial"
    assert "Gone" in (state.message or "")
    summary = state.result()
    assert [source.name for source in summary.failed_sources] == ["Gone"]


def _authenticated_smtp_env(
    monkeypatch: pytest.MonkeyPatch, server: SmtpServer, tls: TlsMaterial
) -> None:
    """VIGIL_SMTP_* for the STARTTLS+AUTH test server; the password is the test's to set."""
    monkeypatch.setenv("VIGIL_SMTP_HOST", server.host)
    monkeypatch.setenv("VIGIL_SMTP_PORT", str(server.port))
    monkeypatch.setenv("VIGIL_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("VIGIL_SMTP_CA_FILE", str(tls.ca_file))


def test_smtp_password_from_a_secret_block_never_shows_in_logs_or_artifacts(
    prefect_server: None,
    vigil_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    starttls_smtp_server: SmtpServer,
    tls_material: TlsMaterial,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from prefect.blocks.system import Secret
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.logging.handlers import APILogHandler

    Secret(value=SMTP_PASSWORD).save("vigil-smtp-password", overwrite=True)
    recipients = write_recipients(
        tmp_path / "recipients.yaml",
        "recipients:\n  - id: ankara_desk\n    email: desk@example.org\n"
        "    timezone: Europe/Istanbul\n    digest: every run\n",
    )
    _authenticated_smtp_env(monkeypatch, starttls_smtp_server, tls_material)
    monkeypatch.setenv("VIGIL_SMTP_PASSWORD_BLOCK", "vigil-smtp-password")
    monkeypatch.setenv("VIGIL_RECIPIENTS", str(recipients))
    caplog.set_level("DEBUG")
    state = monitor(
        articles=str(SEED), feeds=str(EXAMPLES / "feeds" / "demo.yaml"), return_state=True
    )
    summary = state.result()
    assert summary.ok, summary.lines()
    kinds = sorted(received.message["X-Vigil-Kind"] for received in starttls_smtp_server.received)
    assert kinds == ["alert", "digest"]  # high severity at once, the rest in the run's digest

    APILogHandler().flush()  # logs are shipped to the API in the background
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["vigil-alert-ankara-desk", "vigil-digest-ankara-desk"])
            )
        )
        logs = client.read_logs(
            log_filter=LogFilter(
                flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    assert {artifact.key for artifact in artifacts} == {
        "vigil-alert-ankara-desk",
        "vigil-digest-ankara-desk",
    }
    digest = next(a for a in artifacts if a.key == "vigil-digest-ankara-desk")
    assert "To **ankara\\_desk** (desk@example.org), digest, times in Europe/Istanbul." in (
        digest.data
    )
    assert "| rule | severity | stories |" in digest.data
    everything = "\n".join(
        [caplog.text, *(a.data or "" for a in artifacts), *(log.message for log in logs)]
    )
    assert logs and SMTP_PASSWORD not in everything


def test_a_missing_secret_block_is_named_in_a_one_line_error(
    prefect_server: None, vigil_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VIGIL_SMTP_PASSWORD_BLOCK", "no-such-block")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1
    assert "Prefect Secret block 'no-such-block' not found" in result.output
    assert "Traceback" not in result.output


def test_two_vigil_runs_started_at_once_on_one_server_send_one_digest(
    prefect_server: None, vigil_env: Path, slow_feed_server: FeedServer, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    from prefect.settings import PREFECT_API_URL

    feeds = write_feeds_file(
        tmp_path / "feeds.yaml", [("Meduza", slow_feed_server.url("meduza.rss.xml"))]
    )
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "VIGIL_FEEDS": str(feeds)}
    command = [sys.executable, "-m", "vigil.cli", "run"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in "ab"]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("skipped: another run is at work" in output for output in outputs) == 1, outputs
    assert sum("new items: " in output for output in outputs) == 1
    assert len(maildir_messages(vigil_env / "outbox")) == 1


def test_vigil_serve_starts_its_own_server_runs_a_cycle_and_stops_cleanly(
    tmp_path: Path, database_url: str
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from vigil.flows.server import free_port, port_in_use

    port = free_port()
    home = tmp_path / "serve-home"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_API")}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "VIGIL_HOME": str(home),
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_RULES": str(RULES),
        "VIGIL_TEMPLATES": str(TEMPLATES),
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    command = [sys.executable, "-m", "vigil.cli", "serve", "--run-now", "--port", str(port)]
    serving = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 240
        while not maildir_messages(home / "outbox") and time.monotonic() < deadline:
            assert serving.poll() is None, serving.stdout.read()
            time.sleep(1)
        (digest,) = maildir_messages(home / "outbox")
        assert digest["X-Vigil-Kind"] == "digest"
    finally:
        serving.send_signal(signal.SIGTERM)
        output = serving.communicate(timeout=120)[0]
    assert serving.returncode == 0, output
    assert f"started a Prefect server on port {port}" in output
    assert "stopped the Prefect server" in output
    assert not port_in_use(port)


def test_backfill_flow_on_a_dask_task_runner_matches_in_worker_processes(
    prefect_server: None, vigil_env: Path, tmp_path: Path, database_url: str
) -> None:
    import shutil
    from datetime import UTC, datetime, timedelta

    from prefect_dask import DaskTaskRunner

    from vigil.flows.backfill import backfill
    from vigil.monitor import Monitor
    from vigil.settings import Settings

    before = tmp_path / "rules-before"
    shutil.copytree(RULES, before)
    (before / "drones.yaml").unlink()
    run_once(Monitor(Settings(rules=before)))
    runner = DaskTaskRunner(
        cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True}
    )
    # wall clock: the flow's Monitor stores by the wall clock; a day back covers any hour.
    yesterday = datetime.now(UTC) - timedelta(days=1)
    on_dask = backfill.with_options(task_runner=runner)
    # The rules it is given, not the settings': the set the items were matched with finds nothing.
    assert on_dask(since=yesterday, batch_size=4, rules=str(before)).new_matches == {}
    report = on_dask(since=yesterday, batch_size=4)
    assert report.items == 19
    assert report.new_matches == {"bayraktar-tb2": 3, "armed-drones-ukraine": 2}


def test_no_password_reaches_output_logs_artifacts_or_errors(
    prefect_server: None,
    vigil_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    starttls_smtp_server: SmtpServer,
    tls_material: TlsMaterial,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The SMTP and database passwords, searched for in everything vigil and Prefect show."""
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogHandler
    from sqlalchemy import create_engine, text

    from tests.conftest import POSTGRES_URL

    db_password = "db-Pa55-s3cret-never-shown"
    schema = f"vigil_secret_{uuid.uuid4().hex[:8]}"
    base = (POSTGRES_URL or "postgresql://postgres@127.0.0.1:5432/test").replace(
        "postgresql+psycopg://", "postgresql://"
    )
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Trust authentication ignores the password, so the URL can carry one and still connect.
    with_password = base.replace("postgres@", f"postgres:{db_password}@")
    monkeypatch.setenv("VIGIL_DATABASE_URL", f"{with_password}?options=-csearch_path%3D{schema}")
    _authenticated_smtp_env(monkeypatch, starttls_smtp_server, tls_material)
    caplog.set_level("DEBUG")
    outputs = []
    try:
        monkeypatch.setenv("VIGIL_SMTP_PASSWORD", SMTP_PASSWORD)
        outputs.append(CliRunner().invoke(app, ["run"]))
        # New matches, and the wrong password: AUTH fails, and says so without either secret.
        later = tmp_path / "later"
        later.mkdir()
        (later / "a.txt").write_text(
            "Erdogan offers to mediate again / Desk\nTurkey offered on Friday to mediate "
            "between Russia and Ukraine, Erdogan said in Ankara.\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("VIGIL_SMTP_PASSWORD", SMTP_PASSWORD + "-wrong")
        outputs.append(CliRunner().invoke(app, ["run", "--articles", str(later)]))
        for command in (
            ["digest", "outbox"], ["feeds"], ["digest", "recipients"], ["digest", "preview"],
            ["matches", "export"], ["rules", "stats"], ["rules", "test", "1"],
            ["rules", "test", "99999"],
        ):  # fmt: skip
            outputs.append(CliRunner().invoke(app, command))
        # A store that cannot be reached: the error names the host, never the password.
        monkeypatch.setenv(
            "VIGIL_DATABASE_URL", with_password.replace("127.0.0.1:5432", "127.0.0.1:1")
        )
        monkeypatch.setenv("VIGIL_DATABASE_TIMEOUT", "2")
        outputs.append(CliRunner().invoke(app, ["digest", "outbox"]))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    assert outputs[0].exit_code == 0, outputs[0].output
    assert outputs[1].exit_code == 1 and "authentication failed" in outputs[1].output
    assert len(starttls_smtp_server.received) == 1
    assert outputs[-1].exit_code != 0
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs()
        artifacts = client.read_artifacts()
    everything = "\n".join(
        [
            caplog.text,
            *(result.output for result in outputs),
            *(repr(result.exception) for result in outputs),
            *(log.message for log in logs),
            *(str(artifact.data) for artifact in artifacts),
        ]
    )
    assert len(logs) > 10 and artifacts
    for secret in (SMTP_PASSWORD, db_password):
        assert secret not in everything


def test_a_refused_smtp_connection_is_one_line_per_message_without_a_traceback(
    tmp_path: Path, database_url: str
) -> None:
    """`vigil run` as a user runs it (its own process and temporary Prefect server), with the
    mail server down: every summary line once, one line for the message, no traceback."""
    import os
    import subprocess
    import sys

    from vigil.flows.server import free_port

    port = free_port()  # nothing listens there: the connection is refused
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "VIGIL_"))}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "VIGIL_HOME": str(tmp_path / "home"),
        "VIGIL_CONFIG": str(tmp_path / "none.toml"),
        "VIGIL_DATABASE_URL": database_url,
        "VIGIL_RULES": str(RULES),
        "VIGIL_TEMPLATES": str(TEMPLATES),
        "VIGIL_SMTP_HOST": "127.0.0.1",
        "VIGIL_SMTP_PORT": str(port),
        "VIGIL_SMTP_TLS": "none",
    }
    run = subprocess.run(
        [sys.executable, "-m", "vigil.cli", "run"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "Traceback" not in output and "DeliveryIncomplete" not in output
    assert output.count("new items: 19") == 1, output  # not once as a log line and once plainly
    (failed,) = [line for line in output.splitlines() if "delivery will be retried" in line]
    assert f"digest for default via SMTP 127.0.0.1:{port} (none): " in failed
    assert "; next try 20" in failed and " UTC" in failed
    assert "outbox: 1 pending (vigil digest outbox)" in output
    table = subprocess.run(
        [sys.executable, "-m", "vigil.cli", "digest", "outbox"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert table.returncode == 1, table.stdout + table.stderr
    assert "next try" in table.stdout
    error = failed.split("(none): ", 1)[1].split("; next try")[0]
    assert " ".join(error.split()) in " ".join(table.stdout.replace("│", " ").split())
