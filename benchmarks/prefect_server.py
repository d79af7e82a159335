"""What the benchmarks share: a clean environment and a Prefect server they start and stop.

Imported by the scripts beside it (run as ``python benchmarks/NAME.py``); not a benchmark.
Importing it also makes the repository root importable, for the loopback servers the
benchmarks share with the tests (``tests.support``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# `python benchmarks/NAME.py` puts benchmarks/ on sys.path, not the root (an editable install
# adds it; a plain one does not).
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from vigil.flows.server import (  # noqa: E402, F401  (re-exported for the benchmark scripts)
    PrefectServerError,
    free_port,
    group_alive,
    healthy,
    start_prefect_server,
    stop_group,
)

# A measurement that could not be taken: the same error vigil raises when a server it starts
# does not come up, so one ``except`` covers both; the message says why.
BenchmarkError = PrefectServerError


def base_env(prefect_home: Path, scratch: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without PREFECT_*/VIGIL_*, plus the benchmark's settings.

    Dropping the caller's settings keeps a developer's profile, API URL or database URL from
    changing what is measured; no ./vigil.toml either.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "VIGIL_"))
    }
    env["PREFECT_HOME"] = str(prefect_home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["VIGIL_CONFIG"] = str(scratch / "no-such-vigil.toml")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env
