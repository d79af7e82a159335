"""Prefect settings for one-shot CLI runs, applied before Prefect is imported.

Prefect reads its settings from the environment at import time. Values the user set win.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

ONE_SHOT_DEFAULTS = {
    # No telemetry calls to a host these machines cannot reach (each one logs an error).
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # The first temporary server migrates its database, which takes longer than the default 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}


# Only for the temporary server Prefect starts when PREFECT_API_URL is unset: stopping it at the
# end of the run cancels its event recorders mid-flush, and each prints a CancelledError
# traceback that says nothing about the run. Its own errors stay in its logs at CRITICAL.
TEMPORARY_SERVER_DEFAULTS = {"PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL"}


@contextmanager
def quiet_prefect() -> Iterator[None]:
    defaults = dict(ONE_SHOT_DEFAULTS)
    if not os.environ.get("PREFECT_API_URL"):
        defaults |= TEMPORARY_SERVER_DEFAULTS
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    yield


def unreachable_api() -> str | None:
    """Why the server PREFECT_API_URL names cannot be used, or None (also when it is unset)."""
    url = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    if not url:
        return None
    try:
        response = httpx.get(f"{url}/health", timeout=10)
    except httpx.HTTPError as exc:
        return f"PREFECT_API_URL={url}: {type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return f"PREFECT_API_URL={url}: /health answered HTTP {response.status_code}"
    return None
