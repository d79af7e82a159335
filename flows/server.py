"""Start and stop a Prefect server of our own: for ``vigil run`` and ``vigil serve`` when no
PREFECT_API_URL is given (schedules need a real server, and Prefect's temporary one outlives a
killed run), and for the benchmarks and the multi-worker check."""

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
from collections.abc import Iterator
from pathlib import Path

from vigil.errors import PrefectServerError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent dies, even by SIGKILL,
    so a killed ``vigil run`` never leaves its temporary server behind."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)


def start_prefect_server(
    env: dict[str, str],
    port: int,
    log: Path,
    timeout: float,
    *,
    cwd: Path | None = None,
    die_with_parent: bool = False,
) -> tuple[subprocess.Popen[bytes], float]:
    """`prefect server start` in its own process group: (process, seconds until healthy).

    ``die_with_parent``: the server ends when this process ends, however it ends (Linux).
    """
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
            preexec_fn=_die_with_parent if die_with_parent and sys.platform == "linux" else None,
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


def _configured_in_process() -> str | None:
    """The API URL of an already imported Prefect's settings context (a test harness, or a
    profile), without importing Prefect just to ask."""
    if "prefect.settings" not in sys.modules:
        return None
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextlib.contextmanager
def prefect_api(log: Path, *, port: int | None = None) -> Iterator[tuple[str, float | None]]:
    """The Prefect API to use: (URL, seconds its start took, or None when it was running).

    ``PREFECT_API_URL`` when set. Otherwise a server of our own on ``port`` (a free one by
    default), tied to this process: it is stopped on the way out, and the kernel stops it if
    this process is killed. Prefect's own temporary server would outlive a SIGKILL.
    """
    given = os.environ.get("PREFECT_API_URL") or _configured_in_process()
    if given:
        yield given, None
        return
    chosen = port or free_port()
    if port_in_use(chosen):
        raise PrefectServerError(f"port {chosen} is taken; choose another or set PREFECT_API_URL")
    server, seconds = start_prefect_server(
        dict(os.environ), chosen, log, timeout=180, die_with_parent=True
    )
    url = f"http://127.0.0.1:{chosen}/api"
    os.environ["PREFECT_API_URL"] = url
    try:
        yield url, seconds
    finally:
        _flush_prefect()
        os.environ.pop("PREFECT_API_URL", None)
        stop_group(server)


def _flush_prefect() -> None:
    """Send Prefect's queued logs and events while the server is still there to take them
    (otherwise they fail at exit with "Error logging to API")."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        with contextlib.suppress(Exception):
            worker.drain_all(timeout=5)
