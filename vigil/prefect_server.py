"""Start and stop a Prefect server of our own: for ``vigil serve`` when no PREFECT_API_URL is
given (schedules need a real server, not the temporary one), and for the benchmarks and the
multi-worker check."""

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

from vigil.errors import VigilError


class PrefectServerError(VigilError):
    """The server did not come up; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_prefect_server(
    env: dict[str, str], port: int, log: Path, timeout: float, *, cwd: Path | None = None
) -> tuple[subprocess.Popen[bytes], float]:
    """`prefect server start` in its own process group: (process, seconds until healthy)."""
    command = [
        sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
        "--port", str(port),
    ]  # fmt: skip
    started = time.perf_counter()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        while not healthy(f"http://127.0.0.1:{port}/api/health"):
            if process.poll() is not None:
                raise PrefectServerError(
                    f"the Prefect server exited {process.returncode} before it was healthy:\n"
                    + log.read_text(errors="replace")[-4000:]
                )
            if time.perf_counter() - started > timeout:
                raise PrefectServerError(
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
