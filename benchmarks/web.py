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
import asyncio
import contextlib
import cProfile
import html
import io
import json
import os
import platform
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bigstore import deliver, finish, insert_rows
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from workbench import sentences

from vigil.article import Article
from vigil.playground import compile_edit, rule_yaml, try_edit
from vigil.rules import Matcher, RuleSet, load_ruleset
from vigil.settings import Settings
from vigil.store import Store, shown_url
from vigil.store.schema import items, labels, matches
from vigil.web import create_app

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO / "tests" / "data" / "eval"
PAGE_TARGET_S = 0.200
PLAYGROUND_TARGET_S = 5.0
PLAYGROUND_RULE = "bayraktar-tb2"
BARE_QUERY = "Bayraktar OR TB2 OR Baykar"
WINDOW_DAYS = 7  # the playground's window: the seven days up to yesterday
HISTORY_DAYS = 358  # the older items: the year before it
POOL = 8_000  # documents matched once, half of them about the monitored topics
CLUSTER_SHARE = 0.04  # stories that arrive as 2 to 5 copies from other outlets
UNDELIVERED = 1_000  # the newest matches, not yet in a digest
PER_DIGEST = 100  # matches per digest message
LABEL_SHARE = 1 / 40  # matches an analyst labelled
# Neutral news prose: the words of the items that are about nothing the rules watch.
PROSE = """the council met on tuesday to discuss the budget and the new rail line while markets
rose slightly after the central bank kept rates unchanged and officials said the review
would continue next week on trade energy prices farming subsidies and road repairs in
the region a spokesman for the city said residents could expect delays on the bridge
during the summer months as engineers replace the old cables schools will reopen early
in september after the holiday teachers welcomed the plan to hire more staff for the
new term the weather service warned of heavy rain and strong winds along the coast with
flooding possible in low lying areas farmers reported a good harvest of wheat barley and
sunflowers despite the dry spring the local football club signed a young striker from a
second division team for an undisclosed fee the museum opened an exhibition of paintings
by artists of the last century and the festival of music and film drew record crowds
to the old town square the company announced quarterly results above expectations and
plans to open a factory creating hundreds of jobs unions said wages must rise with the
cost of living consumers paid more for bread milk and fuel this month than last year
the airport expects more passengers this season as airlines add routes to the islands
a court in the capital adjourned the hearing until next month the mayor said the park
would be renovated with a playground a library and a cycling path"""
VOCABULARY = sorted(set(PROSE.split()))


# -- the synthetic documents ------------------------------------------------------------------


@dataclass
class Topical:
    """Text about the monitored topics: whole labelled articles, and loose sentences."""

    articles: list[tuple[str, str]]  # (title, text)
    sentences: list[str]


def topical(ruleset: RuleSet) -> Topical:
    articles = []
    for path in sorted(EVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                articles.append((record["title"], record["text"]))
    loose = [
        example
        for rule in ruleset.rules
        for example in (*rule.examples.match, *rule.examples.no_match)
    ]
    return Topical(articles, loose + sentences())


class Writer:
    """Titles and bodies: neutral sentences (Zipf-distributed words), paragraphs of 2 to 4."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = VOCABULARY[:]
        rng.shuffle(self.words)
        self.weights = [1 / (rank + 1) ** 0.8 for rank in range(len(self.words))]

    def sentence(self) -> str:
        drawn = self.rng.choices(self.words, self.weights, k=self.rng.randint(8, 22))
        return " ".join(drawn).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 4)))

    def document(self, source: Topical, about_topics: bool) -> tuple[str, str]:
        """(title, body): 300 to ~2,000 characters; about the topics, or neutral with now and
        then one topical sentence (a near miss, or a hit the rules find on their own)."""
        rng = self.rng
        block = None
        if about_topics and rng.random() < 0.7:
            title, block = rng.choice(source.articles)
        elif about_topics:
            picked = rng.sample(source.sentences, rng.randint(1, 3))
            title, block = picked[0].rstrip("."), " ".join(picked)
        else:
            title = self.sentence()[:80].rsplit(" ", 1)[0]
            if rng.random() < 0.15:
                block = rng.choice(source.sentences)
        length = rng.randint(300, 2000) - len(block or "")
        paragraphs = [self.paragraph()]
        while sum(len(p) + 2 for p in paragraphs) < length:
            paragraphs.append(self.paragraph())
        if block is not None:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), block)
        return title, "\n\n".join(paragraphs)


@dataclass
class Pool:
    """Documents, and the match rows (without ids) the shipped rules make of each."""

    texts: list[tuple[str, str]]
    found: list[list[dict[str, Any]]]

    @property
    def matched(self) -> list[int]:
        return [n for n, found in enumerate(self.found) if found]

    @property
    def quiet(self) -> list[int]:
        return [n for n, found in enumerate(self.found) if not found]


def build_pool(ruleset: RuleSet, size: int, seed: int) -> Pool:
    rng = random.Random(seed)
    writer = Writer(rng)
    source = topical(ruleset)
    articles = [
        Article(*writer.document(source, about_topics=n % 2 == 0), outlet="bench")
        for n in range(size)
    ]
    found = Matcher(ruleset).match_many(articles)
    rows = [
        [
            {"rule_id": m.rule_id, "evidence": m.evidence,
             "highlights": [list(span) for span in m.highlights], "terms": list(m.terms),
             "actors": list(m.actors), "score": m.score, "source": m.source,
             "target": m.target}
            for m in matched
        ]
        for matched in found
    ]  # fmt: skip
    return Pool([(a.title, a.body) for a in articles], rows)


# -- the store --------------------------------------------------------------------------------


@dataclass
class Layout:
    """What each item is: its pool document, its story cluster, when it was first seen."""

    count: int
    window: int  # the newest ``window`` items: first seen in the playground's days
    window_start: datetime
    doc: array = field(default_factory=lambda: array("i"))
    cluster: array = field(default_factory=lambda: array("i"))  # 0: a story of one
    kept: dict[int, int] = field(default_factory=dict)  # item -> its doc's matches stored

    def first_seen(self, n: int) -> datetime:
        old = self.count - self.window
        if n >= old:
            step = WINDOW_DAYS * 86400 / self.window
            return self.window_start + timedelta(seconds=(n - old + 0.5) * step)
        step = HISTORY_DAYS * 86400 / old
        return self.window_start - timedelta(seconds=(old - n) * step)


def plan_items(pool: Pool, count: int, matched: int, window: int, seed: int) -> Layout:
    """Stories (most of one item, some of 2 to 5 copies) in random order take documents that
    match until the matches add up to ``matched`` exactly (the last story keeps fewer); the
    rest take documents no rule matches."""
    rng = random.Random(seed)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    layout = Layout(count, min(window, count), today - timedelta(days=WINDOW_DAYS))
    starts, sizes = array("i"), array("b")
    n = 0
    while n < count:
        size = min(rng.randint(2, 5) if rng.random() < CLUSTER_SHARE else 1, count - n)
        starts.append(n)
        sizes.append(size)
        n += size
    quiet, hits = pool.quiet, pool.matched
    story_doc = array("i", (rng.choice(quiet) for _ in starts))
    order = list(range(len(starts)))
    rng.shuffle(order)
    total = 0
    for story in order:
        if total >= matched:
            break
        doc = rng.choice(hits)
        per_item = len(pool.found[doc])
        story_doc[story] = doc
        for k in range(sizes[story]):
            keep = min(per_item, matched - total)
            if keep < per_item:
                layout.kept[starts[story] + k] = keep
            total += keep
    for story, start in enumerate(starts):
        for _ in range(sizes[story]):
            layout.doc.append(story_doc[story])
            layout.cluster.append(start + 1 if sizes[story] > 1 else 0)
    return layout


def outlets() -> list[str]:
    named = set()
    for path in sorted(EVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (outlet := json.loads(line).get("outlet")):
                named.add(outlet)
    return sorted(named) + [f"Regional Daily {n}" for n in range(100)]


def fill(url: str, pool: Pool, layout: Layout, seed: int) -> dict[str, float]:
    """Write the layout into the store at ``url``; seconds of each part."""
    rng = random.Random(seed)
    names = outlets()
    seconds: dict[str, float] = {}
    store = Store(url)  # runs the migrations: the indexes are vigil's own
    began = time.perf_counter()

    def item_rows() -> Iterator[dict[str, Any]]:
        for n in range(layout.count):
            title, body = pool.texts[layout.doc[n]]
            outlet = names[(n * 7919) % len(names)]
            seen = layout.first_seen(n)
            slug = re.sub(r"\W+", "-", outlet.lower())
            yield {
                "id": n + 1,
                "canonical_id": f"link:https://{slug}.example/news/{n}",
                "outlet": outlet,
                "title": title,
                "body": body,
                "link": f"https://{slug}.example/news/{n}",
                "published": seen - timedelta(minutes=(n * 37) % 180),
                "date_missing": False,
                "tags": [],
                "first_seen": seen,
                "cluster_id": layout.cluster[n] or None,
            }

    insert_rows(store, items, item_rows())
    seconds["items_s"] = time.perf_counter() - began
    labelled: list[dict[str, Any]] = []
    match_items = array("i")

    def match_rows() -> Iterator[dict[str, Any]]:
        for n in range(layout.count):
            found = pool.found[layout.doc[n]]
            if not found:
                continue
            at = layout.first_seen(n) + timedelta(seconds=20)
            for row in found[: layout.kept.get(n, len(found))]:
                match_items.append(n + 1)
                if rng.random() < LABEL_SHARE:
                    verdict = "relevant" if rng.random() < 0.8 else "irrelevant"
                    labelled.append({"item_id": n + 1, "rule_id": row["rule_id"],
                                     "verdict": verdict, "author": "analyst",
                                     "labelled_at": at + timedelta(hours=2)})  # fmt: skip
                yield row | {"id": len(match_items), "item_id": n + 1, "matched_at": at}

    began = time.perf_counter()
    insert_rows(store, matches, match_rows())
    seconds["matches_s"] = time.perf_counter() - began
    began = time.perf_counter()
    upto = max(0, len(match_items) - UNDELIVERED)

    def sent_at(k: int) -> datetime:
        last = match_items[min((k + 1) * PER_DIGEST, upto) - 1]
        return layout.first_seen(last - 1) + timedelta(hours=1)

    deliver(store, upto=upto, per_message=PER_DIGEST, sent_at=sent_at)
    insert_rows(store, labels, labelled)
    finish(store)
    seconds["deliveries_labels_s"] = time.perf_counter() - began
    store.close()
    return seconds


# -- what to request --------------------------------------------------------------------------


@dataclass
class Picks:
    """Ids and days the requests name, read back from the store (so --reuse works too)."""

    items: int
    matches: int
    window_items: int
    since: date
    until: date
    middle_match: int
    rarest_rule: str
    rarest_count: int
    rule_count: int
    matched_item: int
    matched_item_rules: int
    cluster_item: int
    cluster_size: int
    delivered: int
    labels: int


def picks(store: Store, window: int) -> Picks:
    with store.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(items)).scalar_one()
        total = conn.execute(select(func.count()).select_from(matches)).scalar_one()
        last = conn.execute(select(func.max(matches.c.id))).scalar_one() or 0
        per_rule = dict(
            conn.execute(select(matches.c.rule_id, func.count()).group_by(matches.c.rule_id)).all()
        )
        newest = conn.execute(
            select(items.c.first_seen).order_by(items.c.id.desc()).limit(window)
        ).scalars()
        seen = list(newest)
        since, until = seen[-1].date(), seen[0].date()
        in_window = conn.execute(
            select(func.count())
            .select_from(items)
            .where(
                items.c.first_seen >= datetime.combine(since, datetime.min.time(), UTC),
                items.c.first_seen
                < datetime.combine(until, datetime.min.time(), UTC) + timedelta(days=1),
            )
        ).scalar_one()
        middle_item = count // 2
        rich = conn.execute(
            select(matches.c.item_id, func.count().label("n"))
            .where(matches.c.item_id.between(middle_item, middle_item + 20_000))
            .group_by(matches.c.item_id)
            .order_by(text("n DESC"), matches.c.item_id)
            .limit(1)
        ).one()
        cluster = conn.execute(
            select(items.c.id, items.c.cluster_id)
            .join(matches, matches.c.item_id == items.c.id)
            .where(items.c.id > middle_item, items.c.cluster_id.is_not(None),
                   items.c.cluster_id != items.c.id)
            .order_by(items.c.id)
            .limit(1)
        ).one()  # fmt: skip
        size = conn.execute(
            select(func.count()).select_from(items).where(items.c.cluster_id == cluster.cluster_id)
        ).scalar_one()
        delivered = conn.exec_driver_sql("SELECT count(*) FROM deliveries").scalar_one()
        labelled = conn.execute(select(func.count()).select_from(labels)).scalar_one()
    rarest = min(per_rule, key=lambda rule_id: (per_rule[rule_id], rule_id))
    return Picks(count, total, in_window, since, until, last // 2, rarest, per_rule[rarest],
                 per_rule.get(PLAYGROUND_RULE, 0), rich.item_id, rich.n, cluster.id, size,
                 delivered, labelled)  # fmt: skip


# -- timing -----------------------------------------------------------------------------------


class Client:
    """The app in this thread, over httpx's ASGI transport: what is timed is the server's work
    (routing, middleware, queries, matching, templates), and cProfile sees all of it."""

    def __init__(self, app: Any) -> None:
        self.runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://vigil.bench")

    def get(self, url: str) -> httpx.Response:
        return self.runner.run(self.http.get(url))

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.runner.run(self.http.post(url, data=data))

    def close(self) -> None:
        self.runner.run(self.http.aclose())
        self.runner.close()


@dataclass
class Figure:
    name: str
    what: str  # the request, or the call
    target_s: float | None
    seconds: list[float]
    note: str = ""

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def met(self) -> bool | None:
        return None if self.target_s is None else self.median_s < self.target_s


def timed(
    call: Callable[[], Any], repeat: int, check: Callable[[Any], str]
) -> tuple[list[float], str]:
    """Warm once, then ``repeat`` timed calls; ``check`` turns a result into a note, or raises."""
    note = check(call())
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - began)
        check(result)
    return seconds, note


def ok_page(response: httpx.Response) -> str:
    if response.status_code != 200:
        raise SystemExit(
            f"{response.request.url}: HTTP {response.status_code}\n{response.text[:500]}"
        )
    return f"{len(response.content) / 1024:.0f} KiB"


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    if found is None:
        raise SystemExit("no CSRF field on the playground page")
    return html.unescape(found.group(1))


@contextlib.contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the store sends meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def query_plans(store: Store, seen: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """(the statement's tables, its plan lines) for each SELECT: EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN on PostgreSQL."""
    sqlite_ = store.engine.dialect.name == "sqlite"
    plans = []
    with store.engine.connect() as conn:
        for statement, parameters in seen:
            if not re.match(r"\s*SELECT\b.*\bFROM\b", statement, re.DOTALL | re.IGNORECASE):
                continue
            prefix = "EXPLAIN QUERY PLAN " if sqlite_ else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            lines = [str(row[-1]) for row in rows] if sqlite_ else [str(row[0]) for row in rows]
            tables = re.search(r"\bFROM\s+(.+?)(?:\s+WHERE|\s+ORDER|\s+GROUP|\s+LIMIT|$)",
                               " ".join(statement.split()))  # fmt: skip
            plans.append(((tables.group(1) if tables else "?")[:70], lines))
    return plans


def profiled(call: Callable[[], Any], lines: int = 16) -> str:
    """Where one call spends its time: vigil's functions (and the database driver's) of most
    cumulative time, then the functions of most time of their own."""
    profile = cProfile.Profile()
    profile.enable()
    call()
    profile.disable()
    parts = []
    for order, restriction in (("cumulative", r"/vigil/|sqlite3|psycopg"), ("tottime", "")):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(order)
        stats.print_stats(*([restriction] if restriction else []), lines)
        body = out.getvalue()
        body = body[body.find("   ncalls") :].rstrip()
        parts.append(f"  by {order} time:\n" + re.sub(r"\S*/(vigil|site-packages)/", "", body))
    return "\n".join(parts)


# -- the whole benchmark ----------------------------------------------------------------------


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
                    "would_flag": entry.would_flag,
                    "live": entry.live,
                    "new": entry.new,
                    "lost": entry.lost,
                }
                return (f"{found.items:,} items: flags {entry.would_flag:,}, live "
                        f"{entry.live:,}, new {entry.new:,}, lost {entry.lost:,}")  # fmt: skip

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
            # A match page: its page query (the others look rows up by key); an item page: all.
            if args.all_plans or not what.startswith("GET /matches") or "JOIN items" in tables:
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


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The store's URL: as given with --reuse; a fresh PostgreSQL schema; a temporary SQLite."""
    if args.reuse:
        yield args.database_url
        return
    if args.database_url and make_url(args.database_url).get_backend_name() == "postgresql":
        schema = f"vigil_bench_{uuid.uuid4().hex[:12]}"
        server = make_url(args.database_url).set(drivername="postgresql+psycopg")
        admin = create_engine(server)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = server.update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            if args.keep:
                print(f"kept schema {schema}", file=sys.stderr)
            else:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        return
    if args.database_url:
        yield args.database_url
        return
    scratch = Path(tempfile.mkdtemp(prefix="vigil-web-bench-"))
    try:
        yield f"sqlite:///{scratch / 'vigil.db'}"
    finally:
        if args.keep:
            print(f"kept {scratch / 'vigil.db'}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


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
