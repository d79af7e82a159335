"""Timing `vigil run`, cold (a fresh VIGIL_HOME) and warm (the same, every feed a 304)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from prefect_server import REPO, BenchmarkError

from peers.feedserver import FeedServer
from peers.measure import Ran, count_messages, run_measured
from peers.report import Row

NEW_ITEMS = re.compile(r"^new items: (\d+)$", re.MULTILINE)
NEW_MATCHES = re.compile(r"^new matches: (\d+)", re.MULTILINE)


def write_feeds_yaml(path: Path, server: FeedServer, feeds: Sequence[Path]) -> Path:
    lines = ["feeds:"]
    for index, feed in enumerate(feeds):
        lines += [f'  - name: "Outlet {index:03d}"', f'    url: "{server.url(feed)}"']
    path.write_text("\n".join(lines) + "\n")
    return path


def vigil_once(
    feeds_yaml: Path, home: Path, env: dict[str, str], logs: Path, timeout: float
) -> tuple[Ran, int, str]:
    """One `vigil run`: (measurement, digests delivered by it, its 'new items/matches')."""
    command = [sys.executable, "-m", "vigil.cli", "run", "--feeds", str(feeds_yaml)]
    command.append("--no-articles")
    before = count_messages(home / "outbox")
    try:
        ran = run_measured(command, {**env, "VIGIL_HOME": str(home)}, REPO, logs, timeout)
    except subprocess.TimeoutExpired as exc:
        raise BenchmarkError(f"`vigil run` took longer than {timeout:g} s ({logs})") from exc
    if ran.returncode not in (0, 1):
        raise BenchmarkError(f"`vigil run` exited {ran.returncode}\n{ran.tail()}")
    output = ran.stdout.read_text(errors="replace")
    items, matches = NEW_ITEMS.search(output), NEW_MATCHES.search(output)
    note = (
        f"{items.group(1) if items else '?'} new items, {matches.group(1) if matches else '?'} "
        "new matches"
    )
    if ran.returncode == 1:
        failed = [line for line in output.splitlines() if "FAILED" in line][:5]
        note += "; exit 1: " + ("; ".join(failed) or "see " + str(ran.stdout))
        print(f"  warning: `vigil run` exited 1 (a feed or delivery failed): {note}", flush=True)
    return ran, count_messages(home / "outbox") - before, note


def vigil_series(
    cold: Row,
    warm: Row,
    feeds_yaml: Path,
    env: dict[str, str],
    scratch: Path,
    server: FeedServer,
    args: argparse.Namespace,
) -> None:
    """``--runs`` times: a cold run into a fresh VIGIL_HOME, then a warm run on the same."""
    for number in range(1, args.runs + 1):
        home = Path(tempfile.mkdtemp(prefix="vigil-home-", dir=scratch))
        for row, label in ((cold, "cold"), (warm, "warm")):
            server.take_hits()
            logs = scratch / "logs" / f"{row.name.replace(' ', '_')}-{number}"
            ran, delivered, note = vigil_once(feeds_yaml, home, env, logs, args.run_timeout)
            if label == "cold" and delivered < 1:
                raise BenchmarkError(
                    f"{row.name}: cold run delivered no digest to {home / 'outbox'}\n{ran.tail()}"
                )
            row.add(ran, delivered, server.take_hits(), note)
            print(
                f"  {row.name} ({number}/{args.runs}): {ran.seconds:.2f} s, "
                f"{delivered} message(s), {note}",
                flush=True,
            )
