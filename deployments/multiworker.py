"""Scale-out check: a Prefect server on PostgreSQL, a process work pool, two workers.

    python deployments/multiworker.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

On this machine, it creates two scratch PostgreSQL databases (Prefect's and vigil's store),
starts a Prefect server on the first, creates a process work pool, deploys
``deployments/prefect.yaml`` with ``prefect deploy``, and starts two workers (one flow run at a
time each). It serves the demo feeds over HTTP and runs an SMTP server, both on loopback, then:

1. runs the two ingest partitions at once and checks each feed was fetched exactly once, and
   that the reader's "every run" digests arrived from the ingest runs themselves (one or two:
   each partition composes what is waiting when it ends), together holding stories from the
   feeds of both partitions, no story twice;
2. runs the digests deployment twice and checks it sends nothing more.

Exit 0 when every check holds; the scratch databases are dropped either way. Run by
``tests/flows/test_multiworker.py`` (marked slow) and by ``.ci/run``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vigil.flows.server import free_port, start_prefect_server, stop_group  # noqa: E402

from tests.support.loopback_http import LoopbackHTTP  # noqa: E402
from tests.support.smtp import running_smtp  # noqa: E402

POOL = "vigil"
MAIL_TO = "desk@example.org"


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    print(("ok    " if condition else "FAIL  ") + message, flush=True)
    if not condition:
        raise CheckFailed(message)


@contextlib.contextmanager
def scratch_databases(admin_url: str, names: list[str]) -> Iterator[None]:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(admin_url: str, name: str, driver: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername=f"postgresql+{driver}", database=name)
    return url.render_as_string(hide_password=False)


# -- Prefect -------------------------------------------------------------------------------


def prefect(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise CheckFailed(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", name,
        "--type", "process", "--limit", "1",
    ]  # fmt: skip
    with log.open("wb") as sink:
        return subprocess.Popen(
            command, env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def wait_for_runs(run_ids: list[uuid.UUID], timeout: float) -> list[object]:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            runs = [client.read_flow_run(run_id) for run_id in run_ids]
            if all(run.state is not None and run.state.is_final() for run in runs):
                return runs
            if time.monotonic() > deadline:
                states = [run.state.name if run.state else "?" for run in runs]
                raise CheckFailed(f"flow runs not finished after {timeout:g} s: {states}")
            time.sleep(1)


def trigger(names: list[str]) -> list[uuid.UUID]:
    from prefect.deployments import run_deployment

    return [run_deployment(name, timeout=0).id for name in names]


# -- the check -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "VIGIL_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="A PostgreSQL URL allowed to create databases (default: %(default)s).",
    )
    parser.add_argument("--timeout", type=float, default=300, help="Seconds per step.")
    args = parser.parse_args()

    token = uuid.uuid4().hex[:8]
    prefect_db, store_db = f"vigil_prefect_{token}", f"vigil_store_{token}"
    scratch = Path(tempfile.mkdtemp(prefix="vigil-multiworker-"))
    print(f"scratch folder {scratch}; databases {prefect_db}, {store_db}", flush=True)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with (
            scratch_databases(args.postgres, [prefect_db, store_db]),
            LoopbackHTTP(directory=REPO / "examples" / "feeds") as feeds,
            running_smtp() as smtp,
        ):
            feeds_url, fetches, smtp_port = feeds.base_url, feeds.hits, smtp.port
            feeds_file = scratch / "feeds.yaml"
            feeds_file.write_text(
                "feeds:\n"
                f"  - {{name: Daily Sabah, url: '{feeds_url}/daily-sabah.rss.xml'}}\n"
                "  - {name: The Kyiv Independent,"
                f" url: '{feeds_url}/kyiv-independent.atom.xml'}}\n"
                f"  - {{name: Meduza, url: '{feeds_url}/meduza.rss.xml'}}\n",
                encoding="utf-8",
            )
            port = free_port()
            api = f"http://127.0.0.1:{port}/api"
            base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIL_"))}
            base |= {
                "PREFECT_HOME": str(scratch / "prefect-home"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PYTHONUNBUFFERED": "1",
            }
            server_env = base | {
                "PREFECT_API_DATABASE_CONNECTION_URL": database_url(
                    args.postgres, prefect_db, "asyncpg"
                )
            }
            server, seconds = start_prefect_server(
                server_env, port, scratch / "server.log", timeout=args.timeout
            )
            processes.append(server)
            print(f"Prefect server on PostgreSQL ({prefect_db}) healthy in {seconds:.1f} s")
            client_env = base | {
                "PREFECT_API_URL": api,
                "VIGIL_REPO": str(REPO),
                "VIGIL_DIGEST_TIMEZONE": "Europe/Istanbul",
            }
            prefect(client_env, "work-pool", "create", POOL, "--type", "process")
            prefect(
                client_env, "--no-prompt", "deploy", "--all",
                "--prefect-file", str(REPO / "deployments" / "prefect.yaml"),
            )  # fmt: skip
            worker_env = client_env | {
                "PREFECT_WORKER_QUERY_SECONDS": "2",
                "VIGIL_HOME": str(scratch / "vigil-home"),
                "VIGIL_CONFIG": str(scratch / "no-vigil.toml"),
                "VIGIL_DATABASE_URL": database_url(args.postgres, store_db, "psycopg"),
                "VIGIL_FEEDS": str(feeds_file),
                "VIGIL_ARTICLES": "",
                "VIGIL_SMTP_HOST": "127.0.0.1",
                "VIGIL_SMTP_PORT": str(smtp_port),
                "VIGIL_SMTP_TLS": "none",
                "VIGIL_MAIL_TO": MAIL_TO,
            }
            for name in ("worker-1", "worker-2"):
                processes.append(start_worker(worker_env, name, scratch / f"{name}.log"))
            os.environ.update({"PREFECT_API_URL": api, "PREFECT_HOME": base["PREFECT_HOME"]})

            started = time.perf_counter()
            parts = ["vigil-ingest/ingest-part-1", "vigil-ingest/ingest-part-2"]
            runs = wait_for_runs(trigger(parts), args.timeout)
            check(
                all(run.state.is_completed() for run in runs),
                f"both ingest partitions completed ({time.perf_counter() - started:.1f} s): "
                + ", ".join(f"{run.name} {run.state.name}" for run in runs),
            )
            paths = ["/daily-sabah.rss.xml", "/kyiv-independent.atom.xml", "/meduza.rss.xml"]
            check(
                [fetches[path] for path in paths] == [1, 1, 1],
                f"each feed fetched exactly once in the cycle: {dict(fetches)}",
            )
            workers = {
                name: (scratch / f"{name}.log")
                .read_text(errors="replace")
                .count("submitted to infrastructure")
                for name in ("worker-1", "worker-2")
            }
            # One flow run at a time each: the partitions started together ran side by side.
            check(workers == {"worker-1": 1, "worker-2": 1}, f"one partition per worker: {workers}")

            delivered = smtp.received  # grows as the server accepts messages
            from_ingests = len(delivered)
            check(
                1 <= from_ingests <= 2,
                f"the ingest runs delivered the every-run digests ({from_ingests})",
            )
            for round_ in (1, 2):
                (digest_run,) = wait_for_runs(trigger(["vigil-digests/digests"]), args.timeout)
                check(digest_run.state.is_completed(), f"digests run {round_} completed")
            check(
                len(delivered) == from_ingests,
                f"the digests runs sent nothing more ({len(delivered)} in all)",
            )
            texts = [r.message.get_body(("plain",)).get_content() for r in delivered]
            check(
                all(
                    any(outlet in text for text in texts)
                    for outlet in ("Daily Sabah", "Kyiv Independent", "Meduza")
                ),
                "the digests hold stories from the feeds of both partitions",
            )
            links = [link for text in texts for link in set(re.findall(r"https?://\S+", text))]
            check(len(links) == len(set(links)), "no story in two digests")
            check(all(r.message["To"] == MAIL_TO for r in delivered), f"addressed to {MAIL_TO}")
    except CheckFailed as exc:
        print(f"multi-worker check failed: {exc}", file=sys.stderr)
        for log in sorted(scratch.glob("*.log")):
            print(
                f"--- {log.name} (end) ---\n{log.read_text(errors='replace')[-3000:]}",
                file=sys.stderr,
            )
        return 1
    finally:
        for process in reversed(processes):
            stop_group(process)
    print("multi-worker check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
