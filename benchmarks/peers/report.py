"""The results: the table, the ratios, the one-line summary and the JSON figures."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from peers.measure import SAMPLE_EVERY, Ran
from peers.parsing import FEEDPARSER_PARSE, VIGIL_PARSE, ParseSpeed


@dataclass
class Row:
    """One line of the table: medians over ``--runs`` repeats."""

    name: str
    seconds: list[float] = field(default_factory=list)
    tree_mib: list[float] = field(default_factory=list)
    max_proc_mib: list[float] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    http: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: str | None = None

    def add(self, ran: Ran, messages: int, http: str, note: str = "") -> None:
        self.seconds.append(ran.seconds)
        self.tree_mib.append(ran.tree_mib)
        self.max_proc_mib.append(ran.max_proc_mib)
        self.messages.append(messages)
        self.http.append(http)
        if note:
            self.notes.append(note)

    @property
    def ok(self) -> bool:
        return self.failed is None and bool(self.seconds)

    @property
    def wall(self) -> float:
        return statistics.median(self.seconds) if self.ok else float("nan")

    @property
    def rss(self) -> float:
        return _median(self.tree_mib) if self.ok else float("nan")

    def line(self) -> str:
        if not self.ok:
            return f"  {self.name:<30} {'failed: ' + (self.failed or 'not run')}"
        messages = "/".join(str(n) for n in sorted(set(self.messages)))
        note = self.notes[-1] if self.notes else ""
        return (
            f"  {self.name:<30} {self.wall:8.2f} {self.rss:10.0f} "
            f"{_median(self.max_proc_mib):10.0f} {messages:>9} {self.http[-1]:>11}  {note}"
        )


def _median(values: Sequence[float]) -> float:
    real = [v for v in values if v == v]  # without nan
    return statistics.median(real) if real else float("nan")


def _ratio(top: Row, bottom: Row, attr: str = "wall") -> str:
    a, b = getattr(top, attr), getattr(bottom, attr)
    return f"{a / b:.2f}x" if a == a and b == b and b > 0 else "n/a"


@dataclass
class Results:
    rows: dict[str, Row]
    peers: dict[str, str] = field(default_factory=dict)
    speed: ParseSpeed | None = None
    server_mib: float = float("nan")


def report(results: Results, args: argparse.Namespace) -> None:
    rows = results.rows
    print()
    print(f"results (medians of {args.runs} run(s) each)")
    print(
        f"  {'':<30} {'wall s':>8} {'tree MiB':>10} {'max proc':>10} {'messages':>9} "
        f"{'HTTP 200/304':>11}  note"
    )
    for row in rows.values():
        print(row.line())
    print(
        "  wall: launch to exit of the command. tree MiB: peak of the summed RSS of the "
        f"command's process tree, sampled every {SAMPLE_EVERY * 1000:.0f} ms."
    )
    print(
        "  max proc MiB: GNU time's %M, the largest single process. messages: files added to "
        "the Maildir by that run."
    )
    print(
        "  vigil delivers one digest of the matches per run; the peers deliver one mail per "
        "new item."
    )
    if results.server_mib == results.server_mib:
        print(
            f"  the running Prefect server's own tree peaked at {results.server_mib:.0f} MiB "
            "during the server runs (not in their rows)."
        )
    print()
    a_cold, a_warm, b_cold, b_warm = (rows[k] for k in ("a_cold", "a_warm", "b_cold", "b_warm"))
    print("vigil warm / cold (wall time)")
    print(f"  {'on a running server':<50} {_ratio(b_warm, b_cold):>8}")
    print(f"  {'one-shot':<50} {_ratio(a_warm, a_cold):>8}")
    ratios: list[tuple[str, str]] = []
    for peer in args.peers:
        cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
        ratios += [
            (f"{peer} cold / vigil-on-server cold", _ratio(cold, b_cold)),
            (f"{peer} cold / vigil one-shot cold", _ratio(cold, a_cold)),
            (f"{peer} warm / vigil-on-server warm", _ratio(warm, b_warm)),
            (f"{peer} warm / vigil one-shot warm", _ratio(warm, a_warm)),
            (f"{peer} cold / vigil one-shot cold, tree RSS", _ratio(cold, a_cold, "rss")),
            (f"{peer} cold / vigil-on-server cold, tree RSS", _ratio(cold, b_cold, "rss")),
        ]
    if ratios:
        print("peer / vigil (> 1x: vigil is faster or smaller)")
    for label, value in ratios:
        print(f"  {label:<50} {value:>8}")
    if results.speed:
        speed = results.speed
        print()
        print(f"parsing, in-process ({speed.entries:,} entries from memory)")
        for label in speed.seconds:
            print(f"  {label:<40} {speed.rate(label):10,.0f} entries/s")
    print()
    print("summary: " + summary(results, args))


def summary(results: Results, args: argparse.Namespace) -> str:
    rows = results.rows
    a_cold, a_warm, b_cold, b_warm = (rows[k] for k in ("a_cold", "a_warm", "b_cold", "b_warm"))
    parts = [
        f"{args.feeds} feeds x {args.items} items from loopback: vigil takes "
        f"{b_cold.wall:.1f} s cold / {b_warm.wall:.1f} s warm on a running Prefect server and "
        f"{a_cold.wall:.1f} s / {a_warm.wall:.1f} s one-shot (peak RSS {b_cold.rss:.0f} MiB "
        f"on a server, {a_cold.rss:.0f} MiB one-shot with its temporary server)"
    ]
    for peer in args.peers:
        cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
        if not cold.ok:
            parts.append(f"{peer} failed")
            continue
        parts.append(
            f"{peer} {cold.wall:.1f} s / {warm.wall:.1f} s, {cold.rss:.0f} MiB (its time / "
            f"vigil's: {_ratio(cold, b_cold)} cold and {_ratio(warm, b_warm)} warm against "
            f"vigil on a server, {_ratio(cold, a_cold)} cold against one-shot)"
        )
    if results.speed:
        speed = results.speed
        parts.append(
            f"parse_feed {speed.rate(VIGIL_PARSE):,.0f} entries/s vs feedparser "
            f"{speed.rate(FEEDPARSER_PARSE):,.0f}"
        )
    return "; ".join(parts) + (
        f" (medians of {args.runs}, Python {platform.python_version()}, {os.cpu_count()} CPUs)"
    )


def figures(results: Results, args: argparse.Namespace) -> dict[str, object]:
    """The results for scripts: every row, the ratios the issue's targets name, parse speed."""
    rows = results.rows

    def number(value: float) -> float | None:
        return None if value != value else round(value, 3)

    def ratio(top: Row, bottom: Row) -> float | None:
        return number(top.wall / bottom.wall) if top.ok and bottom.ok else None

    out: dict[str, object] = {
        "feeds": args.feeds,
        "items": args.items,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "rows": {
            key: {
                "name": row.name,
                "wall_s": number(row.wall),
                "tree_mib": number(row.rss),
                "messages": sorted(set(row.messages)),
                "failed": row.failed,
            }
            for key, row in rows.items()
        },
        "server_mib": number(results.server_mib),
        "peers": results.peers,
        "ratios": {},
    }
    ratios: dict[str, float | None] = {}
    for peer in args.peers:
        cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
        ratios[f"{peer}_cold_over_vigil_server_cold"] = ratio(cold, rows["b_cold"])
        ratios[f"{peer}_cold_over_vigil_oneshot_cold"] = ratio(cold, rows["a_cold"])
        ratios[f"{peer}_warm_over_vigil_server_warm"] = ratio(warm, rows["b_warm"])
        ratios[f"{peer}_warm_over_vigil_oneshot_warm"] = ratio(warm, rows["a_warm"])
    out["ratios"] = ratios
    if results.speed:
        out["parse_entries_per_s"] = {
            label: round(results.speed.rate(label)) for label in results.speed.seconds
        }
    return out
