"""The analyst's workbench on a large store: export, stats and backtest, timed, with peak RSS.

Builds a SQLite store of synthetic items (sentences of the bundled demo feeds mixed with filler,
fixed seed), matched by the shipped rules through the normal ingest path, plus extra synthetic
matches so that the store holds about a million match rows. Then runs each command as a user
would (`vigil matches export`, `vigil rules stats`, `vigil rules backtest`), each in a fresh
process whose peak RSS is read from the kernel, and exports a tenth of the matches as well as
all of them: a streamed export needs about the same memory for both.

Run from the repository root:  python benchmarks/workbench.py --items 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from vigil.article import Article
from vigil.pipeline import ingest
from vigil.rules import Matcher, load_ruleset
from vigil.sources import load_feeds_file, parse_feed
from vigil.store import Store
from vigil.store.schema import items, matches

REPO = Path(__file__).resolve().parent.parent
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
FILLER = (  # noqa: SIM905  (prose reads better than a list of words)
    "the council met on tuesday to discuss the budget and the new rail line while markets "
    "rose slightly after the central bank kept rates unchanged and officials said talks "
    "would continue next week on trade energy prices farming subsidies and road repairs"
).split(" ")
# Runs a command and prints its peak RSS (KiB) as the last line: one fresh process each.
MEASURE = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def sentences() -> list[str]:
    found = []
    for spec in load_feeds_file(REPO / "examples" / "feeds" / "demo.yaml"):
        for article in parse_feed(Path(spec.url).read_bytes(), spec).articles:
            found += [s for s in SENTENCE_END.split(article.body) if len(s) > 30]
    return found


def synthetic(count: int, seed: int, start: datetime) -> list[Article]:
    """Articles of three sentences; one in five carries a sentence from the demo feeds."""
    rng = random.Random(seed)
    on_topic = sentences()
    made = []
    for number in range(count):
        parts = [
            " ".join(rng.choice(FILLER) for _ in range(rng.randint(8, 16))).capitalize() + "."
            for _ in range(3)
        ]
        if rng.random() < 0.2:
            parts[rng.randrange(3)] = rng.choice(on_topic)
        made.append(
            Article(
                title=parts[0][:80],
                body=" ".join(parts),
                outlet=f"Outlet {number % 50}",
                link=f"https://news.example/{number}",
                published=start + timedelta(seconds=number * 30),
            )
        )
    return made


def build(url: str, count: int, extra_per_item: int, seed: int) -> dict[str, float]:
    store = Store(url)
    matcher = Matcher(load_ruleset(REPO / "rules"))
    start = datetime.now(UTC) - timedelta(days=30)
    articles = synthetic(count, seed, start)
    began = time.perf_counter()
    for offset in range(0, count, 2000):
        ingest(store, articles[offset : offset + 2000], matcher.match_many)
    ingest_seconds = time.perf_counter() - began
    live = store.counts()["matches"]
    # Spread the items over the month their dates cover, as if seen day by day.
    with store.engine.begin() as conn:
        conn.execute(update(items).values(first_seen=items.c.published))
    began = time.perf_counter()
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        for first in range(1, count + 1, 5000):
            rows = [
                {
                    "item_id": item_id,
                    "rule_id": f"synthetic-{n}",
                    "evidence": "A synthetic match for the export benchmark.",
                    "highlights": [[0, 1]],
                    "terms": ["synthetic"],
                    "actors": [],
                    "score": 1.0,
                    "matched_at": now,
                }
                for item_id in range(first, min(first + 5000, count + 1))
                for n in range(extra_per_item)
            ]
            conn.execute(insert(matches), rows)
    extra_seconds = time.perf_counter() - began
    total = store.counts()["matches"]
    store.close()
    return {"ingest_s": ingest_seconds, "live_matches": live, "extra_s": extra_seconds,
            "matches": total}  # fmt: skip


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of ``command`` in a fresh process."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - began
    code, rss = done.stdout.split()[-2:]
    if code != "0":
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{done.stderr}")
    return seconds, int(rss) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--extra", type=int, default=9, help="synthetic matches per item (default: 9)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="vigil-workbench-"))
    url = f"sqlite:///{scratch / 'vigil.db'}"
    print(f"building a store of {args.items:,} items in {scratch} …", flush=True)
    built = build(url, args.items, args.extra, args.seed)
    print(
        f"ingest with matching: {built['ingest_s']:.1f} s "
        f"({args.items / built['ingest_s']:,.0f} items/s), {built['live_matches']:,} matches; "
        f"plus {built['matches'] - built['live_matches']:,} synthetic matches in "
        f"{built['extra_s']:.1f} s: {built['matches']:,} match rows",
        flush=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "PREFECT_"))}
    env |= {
        "VIGIL_DATABASE_URL": url,
        "VIGIL_HOME": str(scratch),
        "VIGIL_CONFIG": str(scratch / "none.toml"),
        "VIGIL_RULES": str(REPO / "rules"),
    }
    vigil = [sys.executable, "-m", "vigil.cli"]
    tenth = datetime.now(UTC) - timedelta(days=30) + timedelta(seconds=30 * args.items / 10)
    edited = scratch / "edited-rules"
    shutil.copytree(REPO / "rules", edited)
    (edited / "drones.yaml").unlink()
    since = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%d")
    runs = {
        "matches export, a tenth (jsonl)": [
            *vigil, "matches", "export", "--until", tenth.strftime("%Y-%m-%dT%H:%M"),
            "--out", str(scratch / "tenth.jsonl"),
        ],
        "matches export, all (jsonl)": [
            *vigil, "matches", "export", "--out", str(scratch / "all.jsonl")
        ],
        "matches export, all (csv)": [
            *vigil, "matches", "export", "--format", "csv", "--out", str(scratch / "all.csv")
        ],
        "rules stats": [*vigil, "rules", "stats", "--format", "json"],
        "rules backtest (drones.yaml removed)": [
            *vigil, "rules", "backtest", "--rules", str(edited), "--since", since,
            "--format", "jsonl", "--out", str(scratch / "backtest.jsonl"),
        ],
    }  # fmt: skip
    results = {}
    for name, command in runs.items():
        seconds, rss = measure(command, env)
        results[name] = (seconds, rss)
        print(f"{name:42} {seconds:7.1f} s  peak RSS {rss:6.0f} MiB", flush=True)
    exported = sum(1 for _ in (scratch / "all.jsonl").open(encoding="utf-8"))
    part = sum(1 for _ in (scratch / "tenth.jsonl").open(encoding="utf-8"))
    print(f"exported {exported:,} records in all, {part:,} in the tenth")
    print(
        json.dumps(
            {
                "items": args.items,
                "match_rows": built["matches"],
                "exported": exported,
                "results": {
                    k: {"seconds": round(s, 1), "rss_mib": round(r)}
                    for k, (s, r) in results.items()
                },
            },
        )
    )
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
