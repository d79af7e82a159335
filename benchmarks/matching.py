"""Throughput of vigil's core without Prefect: rule matching and ingest into SQLite.

The demo data is a few dozen articles, far too few to time; this script recombines their
sentences into a large synthetic corpus (fixed seed, so every run sees the same text) and times
`Matcher.match_many`, a first `Store.ingest` into a fresh SQLite file and a second,
all-duplicate one.

Run from the repository root:  python benchmarks/matching.py --articles 10000
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlalchemy

from vigil.article import Article
from vigil.pipeline import ingest
from vigil.rules import Match, Matcher, load_ruleset
from vigil.sources import load_feeds_file, parse_feed, read_article_folder
from vigil.store import Store

REPO = Path(__file__).resolve().parent.parent
# Good enough to cut news prose into sentences to shuffle; not vigil's own sentence splitter.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’»)]*\s+|\n+")
T = TypeVar("T")
P = ParamSpec("P")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Time vigil's rule matching and SQLite ingest, without Prefect, on a synthetic "
            "corpus built from the sentences of the bundled seed article and demo feeds."
        )
    )
    parser.add_argument(
        "--articles", type=int, default=10_000, help="synthetic articles (default: 10000)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed passes of each measurement; the median is reported (default: 3)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed of the corpus (default: 1)"
    )
    parser.add_argument(
        "--min-sentences",
        type=int,
        default=3,
        help="fewest sentences in a synthetic body (default: 3)",
    )
    parser.add_argument(
        "--max-sentences",
        type=int,
        default=30,
        help="most sentences in a synthetic body (default: 30)",
    )
    parser.add_argument(
        "--rules", type=Path, default=REPO / "rules", help="rules folder (default: rules/)"
    )
    parser.add_argument(
        "--feeds",
        type=Path,
        default=REPO / "examples" / "feeds" / "demo.yaml",
        help="feeds file whose (local) feeds give sentences (default: examples/feeds/demo.yaml)",
    )
    parser.add_argument(
        "--seed-articles",
        type=Path,
        default=REPO / "examples" / "articles",
        help="folder of plain-text articles that give sentences (default: examples/articles/)",
    )
    args = parser.parse_args(argv)
    if args.articles < 1 or args.repeat < 1:
        parser.error("--articles and --repeat must be at least 1")
    if not 1 <= args.min_sentences <= args.max_sentences:
        parser.error("need 1 <= --min-sentences <= --max-sentences")
    return args


def source_articles(feeds_file: Path, seed_folder: Path) -> list[Article]:
    """The real articles the corpus is made from: the seed article(s) and every demo feed item."""
    articles = list(read_article_folder(seed_folder))
    for spec in load_feeds_file(feeds_file):
        articles.extend(parse_feed(Path(spec.url).read_bytes(), spec).articles)
    if not articles:
        raise SystemExit(f"no articles in {seed_folder} or {feeds_file}")
    return articles


def sentences_of(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if len(part.strip()) > 20]


def build_corpus(sources: Sequence[Article], args: argparse.Namespace) -> list[Article]:
    """``args.articles`` articles of shuffled real sentences, each with its own GUID."""
    rng = random.Random(args.seed)
    titles = sorted({a.title for a in sources if a.title})
    outlets = sorted({a.outlet for a in sources})
    pool = sorted({s for a in sources for s in sentences_of(a.body)})
    if not pool:
        raise SystemExit("the source articles have no sentences to recombine")
    corpus = []
    for i in range(args.articles):
        count = rng.randint(args.min_sentences, args.max_sentences)
        corpus.append(
            Article(
                title=rng.choice(titles),
                body=" ".join(rng.choices(pool, k=count)),
                outlet=rng.choice(outlets),
                guid=f"bench-{i}",
            )
        )
    return corpus


def timed(action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> tuple[float, T]:
    """(seconds, result) of one call, with the garbage collector's timing noise settled first."""
    gc.collect()
    started = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - started, result


def rate_line(label: str, count: int, seconds: list[float], unit: str) -> str:
    rates = sorted(count / s for s in seconds)
    median_s = statistics.median(seconds)
    return (
        f"  {label:<40} median {count / median_s:>9,.0f} {unit}/s"
        f"   min {rates[0]:>9,.0f}   max {rates[-1]:>9,.0f}"
        f"   ({median_s:.2f} s per pass, n={len(seconds)})"
    )


def time_matching(
    matcher: Matcher, corpus: Sequence[Article], repeat: int
) -> tuple[list[float], list[list[Match]]]:
    """Seconds per pass of matching the whole corpus, and the matches of the last pass."""
    seconds, found = [], []
    for _ in range(repeat):
        elapsed, found = timed(matcher.match_many, corpus)
        seconds.append(elapsed)
    return seconds, found


def time_ingest(
    corpus: Sequence[Article],
    match: Callable[[list[Article]], Sequence[Sequence[Match]]],
    repeat: int,
) -> tuple[list[float], list[float]]:
    """Seconds per pass of a first ingest into a fresh SQLite file, and of a second one.

    Each pass gets its own database, so every first ingest inserts the whole corpus and every
    second one finds only duplicates. A wrong count stops the benchmark.
    """
    first, second = [], []
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        for number in range(repeat):
            store = Store(f"sqlite:///{tmp}/bench-{number}.db")
            try:
                elapsed, new = timed(ingest, store, corpus, match)
                if len(new) != len(corpus):
                    raise SystemExit(f"ingest stored {len(new)} of {len(corpus)} articles")
                first.append(elapsed)
                elapsed, again = timed(ingest, store, corpus, match)
                if again:
                    raise SystemExit(f"a duplicate ingest stored {len(again)} articles")
                second.append(elapsed)
            finally:
                store.close()
    return first, second


def peak_rss_mib() -> float | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sources = source_articles(args.feeds, args.seed_articles)
    corpus = build_corpus(sources, args)
    ruleset = load_ruleset(args.rules)
    matcher = Matcher(ruleset)
    chars = [len(a.text) for a in corpus]

    print("vigil matching benchmark (no Prefect)")
    print(f"  python        {platform.python_version()} ({sys.executable})")
    print(f"  sqlalchemy    {sqlalchemy.__version__}, SQLite {_sqlite_version()}")
    print(f"  machine       {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print(
        f"  corpus        {len(corpus):,} articles, seed {args.seed}, "
        f"{args.min_sentences}-{args.max_sentences} sentences each, "
        f"median {statistics.median(chars):,.0f} chars (total {sum(chars) / 1e6:.1f} M)"
    )
    print(
        f"  made from     {len(sources)} real articles ({args.seed_articles.name}/ + "
        f"{args.feeds.name})"
    )
    print(
        f"  rules         {len(ruleset.rules)} rules, {len(ruleset.actors)} actors "
        f"from {args.rules}"
    )
    print(f"  repeat        {args.repeat} timed passes per measurement (median reported)")
    print(flush=True)

    match_seconds, found = time_matching(matcher, corpus, args.repeat)
    per_rule = Counter(m.rule_id for matches in found for m in matches)
    matched_articles = sum(1 for matches in found if matches)
    precomputed = {a.guid: m for a, m in zip(corpus, found, strict=True)}
    new_seconds, dup_seconds = time_ingest(corpus, matcher.match_many, args.repeat)
    store_only_seconds, _ = time_ingest(
        corpus, lambda articles: [precomputed[a.guid] for a in articles], args.repeat
    )

    n = len(corpus)
    match_rate = n / statistics.median(match_seconds)
    new_rate = n / statistics.median(new_seconds)
    dup_rate = n / statistics.median(dup_seconds)
    rss = peak_rss_mib()
    print("results")
    print(rate_line("Matcher.match_many", n, match_seconds, "articles"))
    print(rate_line("Store.ingest, new (matching included)", n, new_seconds, "items"))
    print(rate_line("Store.ingest, new (matches precomputed)", n, store_only_seconds, "items"))
    print(rate_line("Store.ingest, all duplicates", n, dup_seconds, "items"))
    # Ratios of median times: how much of a new ingest is matching, and what a duplicate saves.
    print(f"  {'time ratio new ingest / match alone':<40} {match_rate / new_rate:.2f}")
    print(f"  {'time ratio new / duplicate ingest':<40} {dup_rate / new_rate:.1f}")
    print(f"  {'peak RSS':<40} {'n/a' if rss is None else f'{rss:,.0f} MiB'}")
    print()
    print(
        f"matches per rule ({sum(per_rule.values()):,} matches in {matched_articles:,} of "
        f"{n:,} articles)"
    )
    for rule in ruleset.rules:
        print(f"  {rule.id:<40} {per_rule.get(rule.id, 0):>8,}")
    print()
    print(
        f"summary: on {n:,} synthetic articles, Matcher.match_many runs at {match_rate:,.0f} "
        f"articles/s; ingest into SQLite at {new_rate:,.0f} new items/s (matching included) "
        f"and {dup_rate:,.0f} duplicates/s; peak RSS "
        f"{'n/a' if rss is None else f'{rss:,.0f} MiB'} (medians of {args.repeat}, "
        f"Python {platform.python_version()}, {len(ruleset.rules)} rules)"
    )
    return 0


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    sys.exit(main())
