"""The analyst's web page on a large store: match-stream pages, item pages and a playground run,
in server time, against the issue's targets.

Targets: on a store of 1,000,000 items and 300,000 matches, a page of the match stream and an
item page each in under 200 ms of server time (indexes, keyset paging, no full scans); a
playground run of one rule over 100,000 stored items in under 5 s.

The store is filled in bulk (benchmarks/bigstore.py) with synthetic news: titles and bodies of
a few hundred characters to about 2 kB, sentences drawn from a neutral vocabulary, and in a
share of the items text about the monitored topics (the labelled evaluation articles of
tests/data/eval, the shipped rules' examples to match and not to match, the demo feeds'
sentences). A pool of such documents is matched once with the shipped rules, so the stored
matches carry the real evidence, highlights, terms and actors of the rules that match them;
items reuse the pool's documents. Some items are copies of one story in a cluster, all but the
newest 1,000 matches went out in digests, and some matches carry an analyst's label. The newest
--playground-items items were first seen in the seven days up to yesterday, the others over the
year before.

Each page is requested in-process through the Starlette app that `vigil web` serves
(`vigil.web.create_app`, over httpx's ASGI transport: no network, no server process): warmed
once, then timed --repeat times; the table gives medians. The playground is posted as a
browser posts it (the CSRF token from the page's form), and `vigil.playground.try_edit` is also
timed alone. A target that is missed gets a profile of where the time goes.

Run from the repository root:

    python benchmarks/web.py                        # 1,000,000 items on SQLite in a temp dir
    python benchmarks/web.py --items 100000 --matches 30000 --playground-items 10000
    python benchmarks/web.py --database-url postgresql://postgres@127.0.0.1:5432/test
    python benchmarks/web.py --json                 # the figures as JSON on stdout

On PostgreSQL the store lives in a schema of its own, dropped at the end (--keep keeps it, or
the SQLite file, and prints the URL to measure again with --reuse).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy.engine import make_url
from web_store import (
    BARE_QUERY,
    CLUSTER_SHARE,
    LABEL_SHARE,
    PAGE_TARGET_S,
    PER_DIGEST,
    PLAYGROUND_RULE,
    PLAYGROUND_TARGET_S,
    POOL,
    REPO,
    UNDELIVERED,
    WINDOW_DAYS,
    Picks,
    build_pool,
    fill,
    picks,
    plan_items,
)
from web_timing import (
    Client,
    Figure,
    csrf_of,
    database,
    ok_page,
    profiled,
    query_plans,
    statements,
    timed,
)

from vigil.playground import compile_edit, rule_yaml, try_edit
from vigil.rules import load_ruleset
from vigil.settings import Settings
from vigil.store import Store, shown_url
from vigil.web import create_app


@dataclass
class Results:
    build: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    plans: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    trial: dict[str, dict[str, int]] = field(default_factory=dict)


def measure(store: Store, settings: Settings, chosen: Picks, args: argparse.Namespace) -> Results:
    results = Results()
    app = create_app(settings, store=store)
    client = Client(app)
    ruleset = load_ruleset(settings.rules)
    try:
        pages = [
            ("baseline: /healthz", "/healthz", None),
            ("match stream, first page", "/matches", PAGE_TARGET_S),
            ("match stream, deep page", f"/matches?before={chosen.middle_match}", PAGE_TARGET_S),
            (f"matches of rule {PLAYGROUND_RULE}", f"/matches?rule={PLAYGROUND_RULE}",
             PAGE_TARGET_S),
            (f"matches of the rarest rule ({chosen.rarest_rule})",
             f"/matches?rule={chosen.rarest_rule}", PAGE_TARGET_S),
            ("matches tagged mediation", "/matches?tag=mediation", PAGE_TARGET_S),
            ("matches tagged mediation, deep page",
             f"/matches?tag=mediation&before={chosen.middle_match}", PAGE_TARGET_S),
            ("matches tagged mediation, playground's days",
             f"/matches?tag=mediation&since={chosen.since}&until={chosen.until}", PAGE_TARGET_S),
            (f"item page ({chosen.matched_item_rules} matches)",
             f"/items/{chosen.matched_item}", PAGE_TARGET_S),
            (f"item page (a copy in a cluster of {chosen.cluster_size})",
             f"/items/{chosen.cluster_item}", PAGE_TARGET_S),
        ]  # fmt: skip
        for name, url, target in pages:
            seconds, note = timed(lambda url=url: client.get(url), args.repeat, ok_page)
            figure = Figure(name, f"GET {url}", target, seconds, note)
            results.figures.append(figure)
            progress(figure)
            if url.startswith(("/matches", "/items")):
                with statements(store) as seen:
                    client.get(url)
                results.plans[figure.what] = query_plans(store, seen)
        since, until = str(chosen.since), str(chosen.until)
        base = ruleset.rule(PLAYGROUND_RULE)
        for label, edit_text in (
            ("the rule's YAML", rule_yaml(base)),
            ("a bare query", BARE_QUERY),
        ):
            page = client.get(f"/playground?rule={PLAYGROUND_RULE}")
            ok_page(page)
            form = {"csrf": csrf_of(page.text), "rule": PLAYGROUND_RULE, "text": edit_text,
                    "since": since, "until": until}  # fmt: skip

            def posted(response: httpx.Response) -> str:
                ok_page(response)
                shown = re.search(r"On (\d+) stored items", response.text)
                if shown is None:
                    raise SystemExit(f"the playground ran no trial:\n{response.text[:2000]}")
                return f"{int(shown.group(1)):,} items"

            seconds, note = timed(lambda form=form: client.post("/playground", form), args.repeat,
                                  posted)  # fmt: skip
            what = f"POST /playground rule={PLAYGROUND_RULE}, {label}, {since}..{until}"
            figure = Figure(f"playground, {label}", what, PLAYGROUND_TARGET_S, seconds, note)
            results.figures.append(figure)
            progress(figure)
            edit = compile_edit(settings.rules, edit_text, rule_id=base.id, title=base.title)
            assert edit.ruleset is not None, edit.problems
            start = datetime.combine(chosen.since, datetime.min.time(), UTC)
            end = datetime.combine(chosen.until, datetime.min.time(), UTC) + timedelta(days=1)

            def trial(edit: Any = edit, start: datetime = start, end: datetime = end) -> Any:
                return try_edit(store, edit.ruleset, start, end)

            def counted(found: Any, label: str = label) -> str:
                entry = found.rules[PLAYGROUND_RULE]
                results.trial[label] = {
                    "items": found.items,
                    "read": found.read,
                    "would_flag": entry.would_flag,
                    "live": entry.live,
                    "new": entry.new,
                    "lost": entry.lost,
                }
                return (f"{found.items:,} items, {found.read:,} read: flags "
                        f"{entry.would_flag:,}, live {entry.live:,}, new {entry.new:,}, "
                        f"lost {entry.lost:,}")  # fmt: skip

            seconds, note = timed(trial, args.repeat, counted)
            figure = Figure(f"try_edit alone, {label}", "vigil.playground.try_edit",
                            PLAYGROUND_TARGET_S, seconds, note)  # fmt: skip
            results.figures.append(figure)
            progress(figure)
            if args.profile or not figure.met:
                results.profiles[figure.name] = profiled(trial)
        for name, url, _target in pages:
            figure = next(f for f in results.figures if f.name == name)
            if figure.met is False or (args.profile and figure.target_s is not None):
                results.profiles[name] = profiled(lambda url=url: client.get(url))
    finally:
        client.close()
    return results


def progress(figure: Figure) -> None:
    print(f"  {figure.name:56} {figure.median_s * 1000:9.1f} ms  {figure.note}", flush=True)


def report(results: Results, chosen: Picks, args: argparse.Namespace) -> None:
    print()
    print(f"{'measurement':58} {'median':>10} {'min':>10} {'max':>10}  target   met")
    for f in results.figures:
        target = "" if f.target_s is None else f"< {f.target_s * 1000:,.0f} ms"
        met = {None: "", True: "yes", False: "NO"}[f.met]
        print(f"{f.name:58} {f.median_s * 1000:7.1f} ms {min(f.seconds) * 1000:7.1f} ms "
              f"{max(f.seconds) * 1000:7.1f} ms  {target:10} {met}")  # fmt: skip
    print(f"(medians of {args.repeat} after one warm-up; server time in-process)")
    print()
    print("Query plans (EXPLAIN QUERY PLAN on SQLite; EXPLAIN on PostgreSQL):")
    for what, plans in results.plans.items():
        print(f"  {what}")
        for tables, lines in plans:
            # A match page: how it picks its ids (from matches; a period's id range from items)
            # and reads their rows (the others look rows up by key); an item page: all.
            page_query = tables in ("matches", "items") or "JOIN items" in tables
            if args.all_plans or not what.startswith("GET /matches") or page_query:
                print(f"    {tables}")
                for line in lines:
                    print(f"      {line}")
    for name, profile in results.profiles.items():
        print()
        print(f"Profile of {name} (one more run, under cProfile):")
        print(profile)
    print()
    missed = [f.name for f in results.figures if f.met is False]
    verdict = "every target met" if not missed else "missed: " + "; ".join(missed)
    print(f"Targets (page < {PAGE_TARGET_S * 1000:.0f} ms, playground < {PLAYGROUND_TARGET_S:g} s"
          f" on {chosen.window_items:,} items): {verdict}")  # fmt: skip


def figures(results: Results, chosen: Picks, args: argparse.Namespace, url: str) -> dict[str, Any]:
    return {
        "parameters": {"items": args.items, "matches": args.matches,
                       "playground_items": args.playground_items, "repeat": args.repeat,
                       "database": shown_url(url), "reused": args.reuse},
        "store": {k: str(v) if isinstance(v, date) else v for k, v in vars(chosen).items()},
        "build_s": {k: round(v, 2) for k, v in results.build.items()},
        "figures": [
            {"name": f.name, "what": f.what, "median_ms": round(f.median_s * 1000, 1),
             "min_ms": round(min(f.seconds) * 1000, 1), "max_ms": round(max(f.seconds) * 1000, 1),
             "target_ms": None if f.target_s is None else f.target_s * 1000, "met": f.met,
             "note": f.note}
            for f in results.figures
        ],
        "playground_trial": results.trial,
        "plans": {what: [{"tables": t, "plan": lines} for t, lines in plans]
                  for what, plans in results.plans.items()},
        "targets_met": all(f.met is not False for f in results.figures),
    }  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="items (default: 1,000,000)")
    parser.add_argument("--matches", type=int, default=300_000, help="matches (default: 300,000)")
    parser.add_argument(
        "--playground-items",
        type=int,
        default=100_000,
        help="items in the playground's window, the newest by first sighting (default: 100,000)",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs of each measurement; medians (default: 5)"
    )
    parser.add_argument(
        "--database-url",
        help="the store: default a SQLite file in a temporary folder; a postgresql:// URL gets "
        "a schema of its own there, dropped at the end",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the store, and print how to measure it again"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="--database-url names a store this benchmark built (--keep): measure, build nothing",
    )
    parser.add_argument("--seed", type=int, default=5, help="random seed (default: 5)")
    parser.add_argument(
        "--profile", action="store_true", help="profile every measurement, not only missed ones"
    )
    parser.add_argument(
        "--all-plans", action="store_true", help="print the plan of every query of every page"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the figures as one JSON object on stdout (progress and the table to stderr)",
    )
    args = parser.parse_args(argv)
    for name in ("items", "playground_items", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.matches < 1:
        parser.error("--matches must be at least 1")
    if args.reuse and not args.database_url:
        parser.error("--reuse needs the --database-url of a kept store")
    return args


def _main(args: argparse.Namespace) -> tuple[Results, Picks, str]:
    for name in [name for name in os.environ if name.startswith("VIGIL_")]:
        del os.environ[name]
    print("vigil web page benchmark")
    print(
        f"  store          {args.items:,} items, {args.matches:,} matches "
        f"({UNDELIVERED:,} newest undelivered, {PER_DIGEST} to a digest), "
        f"{LABEL_SHARE:.1%} of matches labelled, {CLUSTER_SHARE:.0%} of stories in clusters"
    )
    print(
        f"  playground     rule {PLAYGROUND_RULE} over the newest {args.playground_items:,} "
        f"items ({WINDOW_DAYS} days up to yesterday)"
    )
    print(
        f"  targets        page < {PAGE_TARGET_S * 1000:.0f} ms, playground "
        f"< {PLAYGROUND_TARGET_S:g} s"
    )
    print(f"  repeat         {args.repeat} timed runs after one warm-up (medians)")
    print(f"  python         {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")  # fmt: skip
    print(flush=True)
    ruleset = load_ruleset(REPO / "rules")
    with database(args) as url, tempfile.TemporaryDirectory(prefix="vigil-web-home-") as home:
        print(f"  database       {shown_url(url)}", flush=True)
        results = Results()
        if not args.reuse:
            began = time.perf_counter()
            pool = build_pool(ruleset, POOL, args.seed)
            results.build["pool_s"] = time.perf_counter() - began
            print(f"  pool: {len(pool.texts):,} documents, {len(pool.matched):,} matched by the "
                  f"shipped rules, in {results.build['pool_s']:.1f} s", flush=True)  # fmt: skip
            layout = plan_items(pool, args.items, args.matches, args.playground_items, args.seed)
            results.build |= fill(url, pool, layout, args.seed)
            results.build["build_s"] = time.perf_counter() - began
            print("  filled: " + ", ".join(f"{k} {v:.1f}" for k, v in results.build.items()),
                  flush=True)  # fmt: skip
            if make_url(url).get_backend_name() == "sqlite":
                size = Path(make_url(url).database or "").stat().st_size
                print(f"  database file: {size / 2**20:,.0f} MiB", flush=True)
        os.environ["VIGIL_CONFIG"] = str(Path(home) / "no-such-vigil.toml")
        settings = Settings(home=Path(home), database_url=url, rules=REPO / "rules")
        store = Store(url)
        try:
            chosen = picks(store, args.playground_items)
            print(f"  store: {chosen.items:,} items, {chosen.matches:,} matches "
                  f"({chosen.rule_count:,} of {PLAYGROUND_RULE}), {chosen.delivered:,} "
                  f"delivered, {chosen.labels:,} labels; playground window {chosen.since}.."
                  f"{chosen.until}: {chosen.window_items:,} items", flush=True)  # fmt: skip
            print(flush=True)
            build, results = results.build, measure(store, settings, chosen, args)
            results.build = build
        finally:
            store.close()
        if args.keep:
            print(f"measure again: python benchmarks/web.py --reuse --database-url '{url}'",
                  file=sys.stderr)  # fmt: skip
    report(results, chosen, args)
    return results, chosen, url


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.json:
        with contextlib.redirect_stdout(sys.stderr):
            results, chosen, url = _main(args)
        print(json.dumps(figures(results, chosen, args, url), indent=2))
    else:
        results, chosen, _ = _main(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
