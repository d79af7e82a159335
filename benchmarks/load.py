"""Load: one run with 10,000 new items against 1,000 rules; a run against a 1,000,000-item store.

Part 1 serves N feeds of 100 items each (news-like text from benchmarks/rules_engine.py) from
loopback and times one `vigil run` against a running Prefect server, with the generated 1,000
rules, delivering to a Maildir; the run's peak RSS is read from the kernel. It is repeated with a
fifth of the items, to show how memory grows with the size of a run.

Part 2 fills a SQLite store with 1,000,000 items (spread over a year) and 300,000 matches, all
but the last 1,000 already delivered, then times the digest query, and one `vigil run` of 500
feeds of 20 items (half of them already in the store) against it.

Run from the repository root:  python benchmarks/load.py [--items 10000] [--store-items 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigstore import deliver, finish, insert_rows
from prefect_server import REPO, base_env, free_port, start_prefect_server, stop_group
from rules_engine import build_corpus, build_rules, vocabulary

from vigil.rules import load_ruleset
from vigil.store import Store
from vigil.store.schema import items, matches
from vigil.words import item_words

from tests.support.loopback_http import LoopbackHTTP

MEASURE = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def rss_of(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, exit code) of ``command`` in a fresh process."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], env=env, capture_output=True, text=True
    )
    code, rss = done.stdout.split()[-2:]
    return time.perf_counter() - began, int(rss) / 1024, int(code)


def write_feeds(root: Path, articles: list, per_feed: int, prefix: str) -> list[str]:
    names = []
    for start in range(0, len(articles), per_feed):
        name = f"{prefix}-{start // per_feed:04d}.xml"
        entries = "".join(
            f"<item><title>{escape(a.title)}</title>"
            f"<link>https://load.example/{prefix}/{start + n}</link>"
            f"<description>{escape(a.body)}</description></item>"
            for n, a in enumerate(articles[start : start + per_feed])
        )
        (root / name).write_text(
            f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{prefix}</title>{entries}</channel></rss>",
            encoding="utf-8",
        )
        names.append(name)
    return names


def feeds_file(path: Path, base_url: str, names: list[str]) -> Path:
    path.write_text(
        "feeds:\n" + "".join(f"  - {{name: '{n}', url: '{base_url}/{n}'}}\n" for n in names),
        encoding="utf-8",
    )
    return path


def part_one(scratch: Path, env: dict[str, str], count: int, rules: int) -> None:
    corpus = build_corpus(count * 0.0034 + 1, seed=7)[:count]
    rules_dir = scratch / "rules"
    rules_dir.mkdir()
    build_rules(rules, seed=3, folder=rules_dir, words=vocabulary(corpus))
    print(
        f"part 1: {len(corpus):,} items, {len(load_ruleset(rules_dir).rules):,} rules", flush=True
    )
    www = scratch / "www"
    www.mkdir()
    server = LoopbackHTTP(directory=www).start()
    base_url = server.base_url
    try:
        for label, share in (("a fifth", 5), ("all", 1)):
            chosen = corpus[: len(corpus) // share]
            names = write_feeds(www, chosen, 100, f"load{share}")
            home = scratch / f"home-{share}"
            run_env = env | {
                "VIGIL_HOME": str(home),
                "VIGIL_RULES": str(rules_dir),
                "VIGIL_FEEDS": str(feeds_file(scratch / f"feeds-{share}.yaml", base_url, names)),
                "VIGIL_ARTICLES": "",
            }
            seconds, rss, code = rss_of([sys.executable, "-m", "vigil.cli", "run"], run_env)
            store = Store(f"sqlite:///{home / 'vigil.db'}")
            counts = store.counts()
            store.close()
            print(
                f"  {label:8} {len(chosen):6,} items in {len(names)} feeds: {seconds:6.1f} s, "
                f"peak RSS {rss:5.0f} MiB, {counts['items']:,} items and {counts['matches']:,} "
                f"matches stored, exit {code}",
                flush=True,
            )
    finally:
        server.stop()


def fill_store(url: str, count: int, matched: int, undelivered: int) -> None:
    store = Store(url)
    now = datetime.now(UTC)
    rng = random.Random(11)
    rule_ids = [rule.id for rule in load_ruleset(REPO / "rules").rules]
    filler_words = item_words("Old story", "about the budget, the weather and the roads.").split()
    began = time.perf_counter()
    insert_rows(
        store,
        items,
        (
            {
                "id": n + 1,
                "canonical_id": f"link:https://old.example/{n}",
                "outlet": f"Outlet {n % 500}",
                "title": f"Old story {n}",
                "body": f"Old story {n} about the budget, the weather and the roads.",
                "link": f"https://old.example/{n}",
                "published": now - timedelta(minutes=(count - n) // 2),
                "date_missing": False,
                "tags": [],
                "first_seen": now - timedelta(minutes=(count - n) // 2),
                # What the ingest path stores for the word index (these words and the number).
                "words": " ".join(sorted({*filler_words, str(n)})),
            }
            for n in range(count)
        ),
    )
    chosen = sorted(rng.sample(range(1, count + 1), matched))
    insert_rows(
        store,
        matches,
        (
            {"id": number + 1, "item_id": item_id, "rule_id": rng.choice(rule_ids),
             "evidence": "Old.", "highlights": [[0, 3]], "terms": ["old"], "actors": [],
             "score": 1.0, "matched_at": now - timedelta(minutes=(count - item_id) // 2)}
            for number, item_id in enumerate(chosen)
        ),
    )  # fmt: skip
    deliver(store, upto=matched - undelivered, per_message=matched, sent_at=lambda _: now)
    finish(store)
    print(f"  filled in {time.perf_counter() - began:.1f} s", flush=True)
    store.close()


def part_two(scratch: Path, env: dict[str, str], count: int, feeds: int) -> None:
    home = scratch / "big"
    url = f"sqlite:///{home / 'vigil.db'}"
    matched, undelivered = min(300_000, count * 3 // 10), 1_000
    print(f"part 2: a store of {count:,} items, {matched:,} matches ({undelivered:,} undelivered)")
    fill_store(url, count, matched, undelivered)
    store = Store(url)
    rule_ids = [rule.id for rule in load_ruleset(REPO / "rules").rules]
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        pending = store.undelivered_matches(
            "default", rule_ids=rule_ids, since=datetime.now(UTC) - timedelta(days=2)
        )
        timings.append(time.perf_counter() - began)
    timings.sort()
    print(
        f"  digest query: {len(pending):,} undelivered of {matched:,} matches in "
        f"{timings[2] * 1000:.0f} ms (median of 5)",
        flush=True,
    )
    with store.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT matches.id FROM matches JOIN items ON items.id = "
            "matches.item_id WHERE matches.id NOT IN (SELECT match_id FROM deliveries WHERE "
            "recipient = 'default') AND matches.matched_at >= '2026-01-01'"
        ).all()
    print("  plan: " + "; ".join(row[-1] for row in plan))
    store.close()
    # 500 feeds of 20 items: half known to the store already (same links), half new.
    www = scratch / "www-big"
    www.mkdir()
    names = []
    for feed in range(feeds):
        entries = []
        for n in range(20):
            number = feed * 20 + n
            link = (
                f"https://old.example/{count - 1 - number}"
                if n % 2
                else f"https://new.example/{hashlib.sha1(str(number).encode()).hexdigest()}"
            )
            entries.append(
                f"<item><title>Story {number}</title><link>{link}</link><description>Turkey"
                f" offered to mediate between Russia and Ukraine, report {number}.</description>"
                "</item>"
            )
        (www / f"f{feed}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
            + "".join(entries) + "</channel></rss>", encoding="utf-8",
        )  # fmt: skip
        names.append(f"f{feed}.xml")
    server = LoopbackHTTP(directory=www).start()
    base_url = server.base_url
    try:
        run_env = env | {
            "VIGIL_HOME": str(home),
            "VIGIL_DATABASE_URL": url,
            "VIGIL_FEEDS": str(feeds_file(scratch / "feeds-big.yaml", base_url, names)),
            "VIGIL_ARTICLES": "",
        }
        for label in ("first", "again (all unchanged)"):
            seconds, rss, code = rss_of([sys.executable, "-m", "vigil.cli", "run"], run_env)
            print(
                f"  vigil run, {feeds} feeds, {label}: {seconds:.1f} s, peak RSS {rss:.0f} MiB, "
                f"exit {code}",
                flush=True,
            )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=1_000)
    parser.add_argument("--store-items", type=int, default=1_000_000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--part", choices=["1", "2", "both"], default="both")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="vigil-load-"))
    env = base_env(scratch / "prefect-home", scratch)
    port = free_port()
    server, seconds = start_prefect_server(env, port, scratch / "server.log", timeout=180)
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    print(f"Prefect server up in {seconds:.1f} s; scratch {scratch}", flush=True)
    try:
        if args.part in {"1", "both"}:
            part_one(scratch, env, args.items, args.rules)
        if args.part in {"2", "both"}:
            part_two(scratch, env, args.store_items, args.feeds)
    finally:
        stop_group(server)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
