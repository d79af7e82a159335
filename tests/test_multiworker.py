"""The scale-out path end to end: deployments/multiworker.py on this machine's PostgreSQL.

Slow (about 40 s) and needs PostgreSQL: `make test` leaves it out, `.ci/run` runs it.
"""

import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_two_workers_on_a_postgres_backed_server_deliver_one_digest() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "deployments" / "multiworker.py")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "ok    each feed fetched exactly once in the cycle" in report
    assert "ok    exactly one digest arrived (1)" in report
    assert "multi-worker check passed" in report
