"""Parsing speed in-process: vigil's parse_feed against feedparser alone."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from prefect_server import BenchmarkError


@dataclass
class ParseSpeed:
    """Entries parsed and the median seconds each parser took for all of them."""

    entries: int
    seconds: dict[str, float]

    def rate(self, label: str) -> float:
        return self.entries / self.seconds[label]


PARSE_PASSES = 5  # timed passes over every feed; the median is reported
VIGIL_PARSE = "vigil.sources.parse_feed"
VIGIL_PARSE_REFERENCE = "vigil.sources.parse_feed(fast=False)"
FEEDPARSER_PARSE = "feedparser.parse alone"


def parse_speed(paths: Sequence[Path], runs: int) -> ParseSpeed:
    """In-process, from bytes in memory: vigil's parse_feed, then feedparser.parse alone.

    parse_feed takes a fast parser where it can; when it offers ``fast=False`` (feedparser
    only) that is timed too, so the table separates the parser from vigil's own work. After a
    warm-up on 20 feeds, each parser reads every feed PARSE_PASSES times (or --runs times,
    if more); the median pass is reported.
    """
    import inspect

    import feedparser

    from vigil.sources import FeedSpec, parse_feed

    documents = [(path.read_bytes(), FeedSpec(name=path.stem, url=str(path))) for path in paths]
    parsers: dict[str, Callable[[bytes, object], int]] = {
        VIGIL_PARSE: lambda data, spec: len(parse_feed(data, spec).articles),
        FEEDPARSER_PARSE: lambda data, spec: len(feedparser.parse(data).entries),
    }
    if "fast" in inspect.signature(parse_feed).parameters:
        parsers[VIGIL_PARSE_REFERENCE] = lambda data, spec: len(
            parse_feed(data, spec, fast=False).articles
        )
    times: dict[str, list[float]] = {label: [] for label in parsers}
    counts: dict[str, int] = {}
    for parse in parsers.values():  # a warm-up pass: imports, caches, parsers made
        sum(parse(data, spec) for data, spec in documents[:20])
    # In-process passes are cheap: at least PARSE_PASSES of them, whatever --runs says.
    for _ in range(max(runs, PARSE_PASSES)):
        for label, parse in parsers.items():
            started = time.perf_counter()
            counts[label] = sum(parse(data, spec) for data, spec in documents)
            times[label].append(time.perf_counter() - started)
    if len(set(counts.values())) != 1:
        raise BenchmarkError(f"the parsers disagree on the number of entries: {counts}")
    return ParseSpeed(
        counts[VIGIL_PARSE], {label: statistics.median(t) for label, t in times.items()}
    )
