"""What one `vigil run` costs end to end, with and without a running Prefect server.

Without PREFECT_API_URL, vigil starts (and stops) a temporary Prefect server for every run;
with it, the run only talks to an existing server. This script times both, the server start-up
itself, and the bare import of Prefect + vigil, so the README can say where a run's seconds go.

Run from the repository root:  python benchmarks/startup.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect_server import (
    REPO,
    BenchmarkError,
    base_env,
    free_port,
    start_prefect_server,
    stop_group,
)

VIGIL_RUN = [sys.executable, "-m", "vigil.cli", "run"]
VERSIONS = "import prefect, vigil; print(prefect.__version__, vigil.__version__)"
IMPORT_ONLY = [sys.executable, "-c", "import vigil.flows.monitor"]
# vigil prints "run took 1.2 s": the time from just before it imports the flow (and so Prefect)
# to the flow's return, temporary server included. The rest is interpreter, CLI and exit.
FLOW_TIME = re.compile(r"^run took ([0-9.]+) s$", re.MULTILINE)


@dataclass
class Series:
    """Wall-clock seconds of repeated runs of one thing."""

    name: str
    seconds: list[float] = field(default_factory=list)
    flow_seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def line(self) -> str:
        text = (
            f"{self.name:<44} median {self.median:6.2f} s"
            f"   min {min(self.seconds):6.2f} s   max {max(self.seconds):6.2f} s"
            f"   (n={len(self.seconds)})"
        )
        if self.flow_seconds:
            text += f"\n{'':<4}of which vigil's own 'run took' (Prefect import + flow): median "
            text += f"{statistics.median(self.flow_seconds):.2f} s"
        return text


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Time `vigil run` with a temporary Prefect server per run (no PREFECT_API_URL) "
            "and against a Prefect server started once, plus the server start-up and the "
            "import cost of Prefect + vigil. Each run ingests the bundled demo data into a "
            "fresh VIGIL_HOME and delivers a digest to its Maildir."
        )
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="timed `vigil run`s per mode, each mode after one untimed warm-up run; also how "
        "many imports and server start-ups are timed (default: 5)",
    )
    parser.add_argument(
        "--server-timeout",
        type=float,
        default=180.0,
        help="seconds to wait for the Prefect server's /api/health before giving up (default: 180)",
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=600.0,
        help="seconds one `vigil run` may take before it counts as failed (default: 600)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def vigil_run(
    env: dict[str, str], scratch: Path, label: str, timeout: float
) -> tuple[float, float]:
    """One `vigil run` in a fresh VIGIL_HOME: (wall-clock seconds, flow seconds or nan)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    run_env = {**env, "VIGIL_HOME": str(home)}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            VIGIL_RUN, env=run_env, cwd=REPO, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchmarkError(f"{label}: `vigil run` took longer than {timeout:g} s") from exc
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchmarkError(
            f"{label}: `vigil run` exited {done.returncode}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
        )
    delivered = list((home / "outbox" / "new").glob("*"))
    if not delivered:
        raise BenchmarkError(
            f"{label}: `vigil run` exited 0 but delivered no digest to {home / 'outbox'}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
        )
    flow = FLOW_TIME.search(done.stdout)
    return elapsed, float(flow.group(1)) if flow else float("nan")


def time_runs(
    series: Series, env: dict[str, str], scratch: Path, runs: int, timeout: float
) -> None:
    """One untimed warm-up run, then ``runs`` timed ones, progress on stderr."""
    print(f"  {series.name}: warm-up ...", file=sys.stderr, flush=True)
    vigil_run(env, scratch, f"{series.name} (warm-up)", timeout)
    for number in range(1, runs + 1):
        elapsed, flow = vigil_run(env, scratch, f"{series.name} (run {number})", timeout)
        series.seconds.append(elapsed)
        if flow == flow:  # not nan
            series.flow_seconds.append(flow)
        print(f"  {series.name}: run {number}/{runs} {elapsed:.2f} s", file=sys.stderr, flush=True)


def time_imports(series: Series, env: dict[str, str], runs: int) -> None:
    """One untimed warm-up import (bytecode caches, a fresh PREFECT_HOME), then ``runs``."""
    for number in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(IMPORT_ONLY, env=env, cwd=REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise BenchmarkError(f"`import vigil.flows.monitor` failed:\n{done.stderr}")
        if number:
            series.seconds.append(elapsed)


def measure(
    scratch: Path,
    args: argparse.Namespace,
    ephemeral: Series,
    server_mode: Series,
    server_start: Series,
    imports: Series,
) -> None:
    """Fill the four series; whatever happens, no Prefect server outlives this function."""
    env = base_env(scratch / "prefect-home", scratch)
    time_imports(imports, env, args.runs)
    # Mode (a) first: its warm-up migrates the shared Prefect database, so every server
    # start-up timed below starts on an existing database, as mode (a)'s timed runs do.
    time_runs(ephemeral, env, scratch, args.runs, args.run_timeout)

    process: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        print(f"  starting prefect server on 127.0.0.1:{port} ...", file=sys.stderr, flush=True)
        process, seconds = start_prefect_server(
            env, port, scratch / "server.log", args.server_timeout
        )
        server_start.seconds.append(seconds)
        api_env = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
        time_runs(server_mode, api_env, scratch, args.runs, args.run_timeout)
        stop_group(process)
        process = None
        # More start-ups for a median; each server is stopped before the next starts.
        for _ in range(args.runs - 1):
            process, seconds = start_prefect_server(
                env, free_port(), scratch / "server.log", args.server_timeout
            )
            server_start.seconds.append(seconds)
            stop_group(process)
            process = None
    finally:
        if process is not None:
            stop_group(process)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def versions() -> str:
    found = subprocess.run(
        [sys.executable, "-c", VERSIONS],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return found.stdout.strip() or "? ?"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A SIGTERM to this script unwinds like Ctrl-C, so the finally blocks stop the server.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    prefect_version, vigil_version = versions().split()
    print("vigil startup benchmark")
    print(f"  python        {platform.python_version()} ({sys.executable})")
    print(f"  prefect       {prefect_version}")
    print(f"  vigil         {vigil_version}")
    print(f"  machine       {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"  runs          {args.runs} timed per mode (+1 warm-up each)")
    print(f"  command       {' '.join(VIGIL_RUN[1:])}  (fresh VIGIL_HOME per run)")
    print("  environment   shared temporary PREFECT_HOME, PREFECT_SERVER_ANALYTICS_ENABLED=false,")
    print("                caller's PREFECT_*/VIGIL_* variables removed")
    print(flush=True)

    ephemeral = Series("(a) temporary server per run")
    server_mode = Series("(b) PREFECT_API_URL -> running server")
    server_start = Series("server start-up (launch -> /api/health 200)")
    imports = Series("import vigil.flows.monitor (Prefect + vigil)")
    try:
        with tempfile.TemporaryDirectory(prefix="vigil-bench-", ignore_cleanup_errors=True) as tmp:
            measure(Path(tmp), args, ephemeral, server_mode, server_start, imports)
    except BenchmarkError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1

    ratio = ephemeral.median / server_mode.median
    print("results (wall-clock seconds, from process launch to exit)")
    for series in (ephemeral, server_mode, server_start, imports):
        print("  " + series.line().replace("\n", "\n  "))
    print()
    print(f"  {'ratio of medians (a)/(b)':<44} {ratio:.1f}x")
    print(f"  {'difference of medians (a)-(b)':<44} {ephemeral.median - server_mode.median:.2f} s")
    print(f"  {'difference of medians (b)-import':<44} {server_mode.median - imports.median:.2f} s")
    print()
    print(
        f"summary: `vigil run` takes {ephemeral.median:.1f} s with a temporary Prefect server "
        f"vs {server_mode.median:.1f} s against a running one ({ratio:.1f}x); the server "
        f"starts in {server_start.median:.1f} s and importing Prefect + vigil takes "
        f"{imports.median:.1f} s (medians of {args.runs}, Python {platform.python_version()}, "
        f"Prefect {prefect_version}, {os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
