"""Measuring one command as a user runs it: wall time, the peak RSS of its process tree."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from prefect_server import group_alive, stop_group

GNU_TIME = "/usr/bin/time"
SAMPLE_EVERY = 0.05  # seconds between RSS samples of a process tree


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    return found


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class TreeSampler:
    """Peak of the summed RSS of a process and all its descendants, sampled from /proc.

    GNU time's %M is the largest single process; a `vigil run` is several (the temporary
    Prefect server is a child process), so the tree's sum is what the machine has to hold.
    """

    def __init__(self, pid: int, *, skip_root: bool = False) -> None:
        self.pid, self.skip_root = pid, skip_root
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.available = Path(f"/proc/{os.getpid()}/task").is_dir()

    def __enter__(self) -> TreeSampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            pending = _children(self.pid) if self.skip_root else [self.pid]
            total = 0
            while pending:
                pid = pending.pop()
                total += _rss_bytes(pid)
                pending += _children(pid)
            self.peak = max(self.peak, total)
            self._stop.wait(SAMPLE_EVERY)

    @property
    def mib(self) -> float:
        return self.peak / 2**20 if self.available and self.peak else float("nan")


@dataclass
class Ran:
    """One measured command: wall seconds, RSS figures, exit code and its output files."""

    seconds: float
    tree_mib: float
    max_proc_mib: float
    returncode: int
    stdout: Path
    stderr: Path

    def tail(self, chars: int = 4000) -> str:
        out = self.stdout.read_text(errors="replace")[-chars:]
        err = self.stderr.read_text(errors="replace")[-chars:]
        return f"--- stdout (tail) ---\n{out}\n--- stderr (tail) ---\n{err}"


def run_measured(
    command: Sequence[str], env: dict[str, str], cwd: Path, logs: Path, timeout: float
) -> Ran:
    """Run ``command`` to completion, as a user would, under GNU time and a tree sampler."""
    logs.mkdir(parents=True, exist_ok=True)
    time_file = logs / "time.txt"
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(time_file), *command] if HAVE_TIME else command
    stdout, stderr = logs / "stdout.log", logs / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            wrapped, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        with TreeSampler(process.pid, skip_root=HAVE_TIME) as sampler:
            try:
                returncode = process.wait(timeout=timeout)
            except BaseException:  # a timeout, Ctrl-C or SIGTERM: the command goes too
                stop_group(process)
                raise
        seconds = time.perf_counter() - started
    if group_alive(process.pid):  # it exited but left something behind: not for long
        print(f"  note: {command[0]} left processes behind; stopping them", flush=True)
        stop_group(process)
    max_proc = float("nan")
    if HAVE_TIME and time_file.exists():
        # "Command exited with non-zero status N" may come first; the figure is last, in KiB.
        lines = time_file.read_text().split()
        if lines and lines[-1].isdigit():
            max_proc = int(lines[-1]) / 1024
    return Ran(seconds, sampler.mib, max_proc, returncode, stdout, stderr)


def count_messages(maildir: Path) -> int:
    """Messages in a Maildir tree: files in every new/ and cur/ below it."""
    if not maildir.exists():
        return 0
    return sum(
        1
        for sub in ("new", "cur")
        for folder in maildir.rglob(sub)
        if folder.is_dir()
        for item in folder.iterdir()
        if item.is_file()
    )


HAVE_TIME = shutil.which(GNU_TIME) is not None
