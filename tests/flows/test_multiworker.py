"""The scale-out path end to end: deployments/multiworker.py on this machine's PostgreSQL.

Slow (about 40 s) and needs PostgreSQL: `make test` leaves it out, `.ci/run` runs it.
"""

import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_two_workers_on_a_postgres_backed_server_deliver_each_story_once() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "deployments" / "multiworker.py")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "ok    each feed fetched exactly once in the cycle" in report
    # Each ingest partition delivers the every-run digest of what is waiting when it ends; the
    # digests deployment then has nothing left to send, and no story goes out twice.
    assert "ok    the ingest runs delivered the every-run digests" in report
    assert "ok    the digests runs sent nothing more" in report
    assert "ok    the digests hold stories from the feeds of both partitions" in report
    assert "ok    no story in two digests" in report
    assert "multi-worker check passed" in report
