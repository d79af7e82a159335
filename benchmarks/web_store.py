"""The synthetic store of ``benchmarks/web.py``: a million items drawn from a pool of texts
matched once, the newest week as the playground's window, clusters, digests and labels."""

from __future__ import annotations

import json
import random
import re
import sys
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigstore import deliver, finish, insert_rows
from sqlalchemy import func, select, text
from workbench import sentences

from vigil.article import Article
from vigil.rules import Matcher, RuleSet
from vigil.store import Store
from vigil.store.schema import items, labels, matches
from vigil.words import item_words

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
    words: list[str]  # what the word index holds for each (as the ingest path writes it)

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
    texts = [(a.title, a.body) for a in articles]
    return Pool(texts, rows, [item_words(title, body) for title, body in texts])


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
                "words": pool.words[layout.doc[n]],
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
