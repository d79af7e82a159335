"""What the benchmarks share: a clean environment and a Prefect server they start and stop.

Imported by the scripts beside it (run as ``python benchmarks/NAME.py``); not a benchmark.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class BenchmarkError(RuntimeError):
    """A measurement could not be taken; the message says why (with the command's output)."""


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_prefect_server(
    env: dict[str, str], port: int, log: Path, timeout: float
) -> tuple[subprocess.Popen[bytes], float]:
    """`prefect server start` in its own process group: (process, seconds until healthy)."""
    command = [
        sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
        "--port", str(port),
    ]  # fmt: skip
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        while not healthy(f"http://127.0.0.1:{port}/api/health"):
            if process.poll() is not None:
                raise BenchmarkError(
                    f"the Prefect server exited {process.returncode} before it was healthy:\n"
                    + log.read_text(errors="replace")[-4000:]
                )
            if time.perf_counter() - started > timeout:
                raise BenchmarkError(
                    f"the Prefect server was not healthy after {timeout:g} s:\n"
                    + log.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.1)
    except BaseException:
        stop_group(process)
        raise
    return process, time.perf_counter() - started


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we created, SIGKILL to whatever is left after 10 s.

    The whole group, even when its leader has exited: a server's workers outlive it otherwise.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
