"""Throughput of the rule engine: N rules over M megabytes of news-like text, end to end.

End to end means what a run pays per article: normalising and folding the text, the one-pass
scan for every term of every rule, and each candidate rule's Boolean, proximity, actor and
event logic, with evidence for every match. The baseline is the naive engine the scanner
replaces: a loop of one compiled regular expression per term over the folded text.

    python benchmarks/rules_engine.py                  # 1,000 rules over 20 MB
    python benchmarks/rules_engine.py --rules 200 --megabytes 5
    python benchmarks/rules_engine.py --in-run         # also inside `vigil run`, as a user runs it
    python benchmarks/rules_engine.py --json           # the figures as JSON on stdout

``--in-run`` writes the corpus as an article folder and times whole `vigil run` processes on
it, each on a fresh state folder: once with the 1,000 rules, once with one of them. The
megabytes divided by the difference is the rule engine's speed as a run pays for it (matching,
evidence, storing and composing the extra matches), with start-up, reading, clustering and
Prefect cancelled out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vigil.article import Article  # noqa: E402
from vigil.rules import Matcher, load_ruleset  # noqa: E402
from vigil.rules.query import TermNode, walk  # noqa: E402
from vigil.sources import load_feeds_file, parse_feed, read_article_folder  # noqa: E402
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
        sources += parse_feed(Path(spec.url).read_bytes(), spec).articles
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


def write_article_folder(articles: list[Article], folder: Path) -> None:
    """The corpus in vigil's plain-text article format: ``Title / Author``, then the body."""
    folder.mkdir(parents=True)
    for index, article in enumerate(articles):
        text = f"{article.title} / Bench desk\n{article.body}\n"
        (folder / f"a{index:06d}.txt").write_text(text, encoding="utf-8")


def write_one_rule(rules: Path, folder: Path) -> None:
    """The same rule files with only the first generated rule (and the event rule) left."""
    folder.mkdir(parents=True)
    for name in ("actors.yaml", "actions.yaml"):
        shutil.copy(rules / name, folder / name)
    lines = (rules / "generated.yaml").read_text(encoding="utf-8").splitlines()
    first = lines[:4]  # "rules:", then id, title and query of r0000
    (folder / "generated.yaml").write_text("\n".join(first) + "\n", encoding="utf-8")


def timed_run(articles: Path, rules: Path, scratch: Path, label: str) -> float:
    """Wall seconds of one one-shot `vigil run` on the article folder, fresh state, no feeds."""
    home = scratch / f"home-{label}"
    feeds = scratch / "no-feeds.yaml"
    feeds.write_text("feeds: []\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIL_"))}
    env |= {
        "PREFECT_HOME": str(scratch / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "VIGIL_HOME": str(home),
        "VIGIL_CONFIG": str(scratch / "no-such-vigil.toml"),
    }
    command = [sys.executable, "-m", "vigil.cli", "run", "--articles", str(articles)]
    command += ["--feeds", str(feeds), "--rules", str(rules)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"`vigil run` ({label}) exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def in_run(articles: list[Article], rules: Path, scratch: Path, repeat: int) -> dict[str, float]:
    """Seconds of `vigil run` with every rule and with one (medians), and the MB/s between."""
    folder = scratch / "articles"
    write_article_folder(articles, folder)
    one = scratch / "one-rule"
    write_one_rule(rules, one)
    timed_run(folder, one, scratch, "warm-up")  # Prefect's first start migrates its database
    full, single = [], []
    for attempt in range(repeat):
        full.append(timed_run(folder, rules, scratch, f"all-{attempt}"))
        single.append(timed_run(folder, one, scratch, f"one-{attempt}"))
    megabytes = sum(len(a.text.encode()) for a in articles) / 1_000_000
    difference = statistics.median(full) - statistics.median(single)
    return {
        "all_rules_s": round(statistics.median(full), 2),
        "one_rule_s": round(statistics.median(single), 2),
        "megabytes": round(megabytes, 2),
        "mb_per_s": round(megabytes / difference, 1) if difference > 0 else float("inf"),
    }


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
    parser.add_argument(
        "--in-run",
        action="store_true",
        help="also time whole `vigil run`s with all the rules and with one (see above)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the figures as one JSON object on stdout (the report goes to stderr)",
    )
    args = parser.parse_args()
    if args.json:
        with contextlib.redirect_stdout(sys.stderr):
            figures = measure(args)
        print(json.dumps(figures, indent=2))
    else:
        measure(args)


def measure(args: argparse.Namespace) -> dict[str, object]:
    articles = build_corpus(args.megabytes, args.seed, args.real_share)
    with tempfile.TemporaryDirectory() as tmp:
        build_rules(args.rules, args.seed, Path(tmp), vocabulary(articles[:500]))
        started = time.perf_counter()
        ruleset = load_ruleset(Path(tmp))
        matcher = Matcher(ruleset)
        compile_seconds = time.perf_counter() - started
        inside = in_run(articles, Path(tmp), Path(tmp) / "run", args.repeat) if args.in_run else {}
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
    if inside:
        print(
            f"  in vigil run {inside['mb_per_s']:8.1f} MB/s   ({inside['all_rules_s']:.1f} s with "
            f"every rule, {inside['one_rule_s']:.1f} s with one; medians of {args.repeat})"
        )
    print()
    print(
        f"summary: {len(ruleset.rules):,} rules over {total_mb:.0f} MB: {throughput:.1f} MB/s "
        f"end to end, {throughput / naive:.0f}x the one-regex-per-term loop ({naive:.3f} MB/s); "
        f"peak RSS {peak_mib:.0f} MiB"
        + (f"; inside vigil run {inside['mb_per_s']:.1f} MB/s" if inside else "")
    )
    return {
        "rules": len(ruleset.rules),
        "terms": terms,
        "articles": len(articles),
        "megabytes": round(total_mb, 2),
        "matches": matched,
        "seconds_per_pass": round(seconds, 3),
        "mb_per_s": round(throughput, 2),
        "naive_mb_per_s": round(naive, 4),
        "peak_rss_mib": round(peak_mib),
        "in_run": inside or None,
    }


if __name__ == "__main__":
    main()
