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


@contextmanager
def quiet_prefect() -> Iterator[None]:
    for name, value in ONE_SHOT_DEFAULTS.items():
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
