"""Throughput of the rule engine: N rules over M megabytes of news-like text, end to end.

End to end means what a run pays per article: normalising and folding the text, the one-pass
scan for every term of every rule, and each candidate rule's Boolean, proximity, actor and
event logic, with evidence for every match. The baseline is the naive engine the scanner
replaces: a loop of one compiled regular expression per term over the folded text.

    python benchmarks/rules_engine.py                  # 1,000 rules over 20 MB
    python benchmarks/rules_engine.py --rules 200 --megabytes 5
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vigil.article import Article  # noqa: E402
from vigil.rules import Matcher, load_ruleset  # noqa: E402
from vigil.rules.query import TermNode, walk  # noqa: E402
from vigil.sources import fetch_feed, load_feeds_file, parse_feed, read_article_folder  # noqa: E402
from vigil.text import fold, sentence_spans  # noqa: E402

ACTOR_CODES = ["TUR", "RUS", "UKR"]
_WORD = re.compile(r"[^\W\d_]{4,}")


def vocabulary(articles: list[Article]) -> list[str]:
    """The distinct words of the corpus: drawn uniformly, most are as rare as real rule terms."""
    return sorted({w.lower() for a in articles for w in _WORD.findall(a.text)})


def build_rules(count: int, seed: int, folder: Path, words: list[str]) -> None:
    """Write ``count`` generated rules (plus the shipped actors and actions) into ``folder``.

    Five shapes, in turn: a phrase or a word; NEAR; a sentence with an actor; a title word or a
    conjunction with an exclusion; an OR-group with an actor. One event rule is added.
    """
    rng = random.Random(seed)
    for name in ("actors.yaml", "actions.yaml"):
        shutil.copy(ROOT / "rules" / name, folder / name)
    lines = ["rules:"]
    for index in range(count):
        w = rng.sample(words, 6)
        actor = rng.choice(ACTOR_CODES)
        query = [
            f'"{w[0]} {w[1]}" OR {w[2][:5]}* OR {w[3]}',
            f"{w[0]} NEAR/5 ({w[1]} OR {w[2]})",
            f"sentence:(@{actor} AND ({w[0]} OR {w[1]}))",
            f"title:{w[0]} OR ({w[1]} AND {w[2]} AND NOT {w[3]})",
            f"({w[0]} OR {w[1]}) AND {w[2]} AND @{actor}",
        ][index % 5]
        lines += [f"  - id: r{index:04d}", f"    title: Rule {index}", f"    query: '{query}'"]
    lines += [
        "  - id: russia-rejects-turkey",
        "    title: Russia rejects Turkish mediation",
        "    event: {source: RUS, action: reject, target: TUR, object: mediat* OR offer*}",
    ]
    (folder / "generated.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_corpus(megabytes: float, seed: int, real_share: float = 0.05) -> list[Article]:
    """News-like articles: real sentences from the bundled seed and demo feeds (one in twenty),
    mixed with sentences drawn from a Zipf-distributed vocabulary of 30,000 words, so that word
    frequencies (and so how often a rule's words occur) look like a newswire's rather than a
    dozen articles'.
    """
    rng = random.Random(seed)
    sources = list(read_article_folder(ROOT / "examples" / "articles"))
    for spec in load_feeds_file(ROOT / "examples" / "feeds" / "demo.yaml"):
        sources += parse_feed(fetch_feed(spec), spec).articles
    real = [a.body[s:e] for a in sources for s, e in sentence_spans(a.body)]
    titles = [a.title for a in sources]
    syllables = [
        c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ar", "en", "ov")
    ]
    words = list(
        dict.fromkeys(
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(40_000)
        )
    )[:30_000]
    weights = [1 / (rank + 1) for rank in range(len(words))]

    def sentence() -> str:
        if rng.random() < real_share:
            return rng.choice(real)
        drawn = rng.choices(words, weights, k=rng.randint(8, 25))
        return " ".join(drawn).capitalize() + "."

    articles, size, target = [], 0, int(megabytes * 1_000_000)
    while size < target:
        body = " ".join(sentence() for _ in range(rng.randint(8, 40)))
        article = Article(
            title=rng.choice(titles), body=body, outlet="bench", guid=f"b{len(articles)}"
        )
        articles.append(article)
        size += len(article.text.encode())
    return articles


def naive_megabytes_per_second(
    matcher: Matcher, articles: list[Article], sample_mb: float
) -> float:
    """One compiled regex per term, each run over the folded text: the engine being replaced."""
    terms = {
        n.term for r in matcher.ruleset.rules for n in walk(r.condition) if isinstance(n, TermNode)
    }
    patterns = []
    for term in terms:
        alternatives = "|".join(re.escape(p) for p in term.patterns())
        tail = r"\w*" if term.wildcard or term.stem else ""
        patterns.append(re.compile(rf"(?<!\w)(?:{alternatives}){tail}(?!\w)"))
    sample, size = [], 0
    for article in articles:
        if size >= sample_mb * 1_000_000:
            break
        sample.append(article)
        size += len(article.text.encode())
    started = time.perf_counter()
    for article in sample:
        folded = fold(article.text).folded
        for pattern in patterns:
            for _ in pattern.finditer(folded):
                pass
    return size / 1_000_000 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rules", type=int, default=1000, help="generated rules (default 1000)")
    parser.add_argument("--megabytes", type=float, default=20, help="text to match (default 20 MB)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed passes; the median is reported"
    )
    parser.add_argument(
        "--naive-megabytes", type=float, default=0.5, help="sample for the naive baseline"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for rules and corpus")
    parser.add_argument(
        "--real-share",
        type=float,
        default=0.05,
        help="share of sentences taken from the bundled on-topic articles (default 0.05)",
    )
    args = parser.parse_args()

    articles = build_corpus(args.megabytes, args.seed, args.real_share)
    with tempfile.TemporaryDirectory() as tmp:
        build_rules(args.rules, args.seed, Path(tmp), vocabulary(articles[:500]))
        started = time.perf_counter()
        ruleset = load_ruleset(Path(tmp))
        matcher = Matcher(ruleset)
        compile_seconds = time.perf_counter() - started
    total_mb = sum(len(a.text.encode()) for a in articles) / 1_000_000
    terms = len(matcher.scanner.terms)

    timings, matched = [], 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        matched = sum(len(found) for found in matcher.match_many(articles))
        timings.append(time.perf_counter() - started)
    seconds = statistics.median(timings)
    throughput = total_mb / seconds
    naive = naive_megabytes_per_second(matcher, articles, args.naive_megabytes)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print("vigil rule engine benchmark")
    print(f"  python       {sys.version.split()[0]}")
    print(
        f"  rules        {len(ruleset.rules):,} ({terms:,} distinct terms and names), "
        f"compiled in {compile_seconds:.2f} s"
    )
    print(
        f"  corpus       {len(articles):,} articles, {total_mb:.1f} MB, seed {args.seed}, "
        f"{args.real_share:.0%} on-topic sentences"
    )
    print(f"  passes       {args.repeat} (median reported)")
    print()
    print(
        f"  end to end   {throughput:8.1f} MB/s   ({seconds:.2f} s per pass, {matched:,} matches, "
        f"{matched / len(articles):.1f} per article)"
    )
    print(f"  naive loop   {naive:8.3f} MB/s   (one regex per term, on {args.naive_megabytes} MB)")
    print(f"  ratio        {throughput / naive:8.0f}x")
    print(f"  peak RSS     {peak_mib:8.0f} MiB")
    print()
    print(
        f"summary: {len(ruleset.rules):,} rules over {total_mb:.0f} MB: {throughput:.1f} MB/s "
        f"end to end, {throughput / naive:.0f}x the one-regex-per-term loop ({naive:.3f} MB/s); "
        f"peak RSS {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()
