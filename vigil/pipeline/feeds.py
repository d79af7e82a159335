"""Reading sources into the store: feeds a chunk at a time (fetched concurrently, parsed
feed by feed, matched and stored as one batch), and the article folder.

Whatever goes wrong with one feed is that feed's outcome, never its neighbours'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from vigil.article import Article
from vigil.clock import MINUTE_FORMAT
from vigil.errors import SourceError, StoreError
from vigil.pipeline.ingest import ingest
from vigil.pipeline.outcome import Ingested, SourceOutcome, SourceStatus
from vigil.sources import FeedSpec, parse_feed, read_article_folder
from vigil.sources.feed_state import FetchRecord, feed_states, fetch_record, record_fetches
from vigil.sources.fetch import Fetched, FetchStatus, Validators, fetch_many
from vigil.sources.fulltext import PagePolicy, with_full_text
from vigil.store import StoredItem

if TYPE_CHECKING:
    from vigil.monitor import Monitor

FETCH_CHUNK = 25  # feeds fetched at once within one call of read_feeds


@dataclass(frozen=True)
class _ParsedFeed:
    """A fetched feed's articles, waiting to be stored with its chunk's."""

    spec: FeedSpec
    fetched: Fetched
    articles: list[Article]
    warning: str | None
    items_read: int  # entries in the feed, before full text dropped the known ones


def _failure(spec: FeedSpec, fetched: Fetched, error: str) -> tuple[SourceOutcome, Fetched]:
    """A feed that failed after its fetch: its outcome, and the fetch to record as failed."""
    recorded = replace(fetched, status=FetchStatus.FAILED, error=error)
    return SourceOutcome(spec.name, status=SourceStatus.FAILED, error=error), recorded


def _stored(
    feed: _ParsedFeed, outcome: SourceOutcome, per_rule: Counter[str]
) -> tuple[SourceOutcome, Counter[str], Fetched]:
    """A stored feed's outcome with its parser's warnings, and the fetch to record."""
    outcome.warning = "; ".join(w for w in (feed.warning, outcome.warning) if w) or None
    if feed.fetched.moved_to:
        outcome.warning = f"moved permanently to {feed.fetched.moved_to}; following it from now on"
    return outcome, per_rule, feed.fetched


def read_feeds(run: Monitor, specs: Sequence[FeedSpec]) -> Ingested:
    """Fetch every due feed concurrently, then parse and store what changed.

    Never raises for a feed's sake: each outcome says what happened, and the store keeps
    each feed's health (validators for conditional GET, failures, backoff, disabled).
    """
    outcomes: list[SourceOutcome] = []
    per_rule: Counter[str] = Counter()
    states = feed_states(run.store, specs, run.clock())
    due = []
    for spec, state in zip(specs, states, strict=True):
        if state.disabled:
            outcomes.append(
                SourceOutcome(
                    spec.name,
                    status=SourceStatus.DISABLED,
                    warning="disabled after 410 Gone; edit its URL to retry",
                )
            )
        elif not state.due:
            when = f"{state.next_attempt:{MINUTE_FORMAT}} UTC" if state.next_attempt else "later"
            outcomes.append(
                SourceOutcome(
                    spec.name,
                    status=SourceStatus.WAITING,
                    warning=f"{state.failures} failure(s); next try {when}",
                )
            )
        else:
            due.append((spec, state))
    # A chunk at a time: its feeds are fetched concurrently, parsed and stored before the
    # next chunk is fetched, so memory follows the chunk, not the feeds list.
    for start in range(0, len(due), FETCH_CHUNK):
        chunk = due[start : start + FETCH_CHUNK]
        fetched = fetch_many(
            [(state.url, Validators(state.etag, state.last_modified)) for _, state in chunk],
            run.limits,
        )
        # Fetching overlaps freely across concurrent batches; parsing and matching, which
        # is where memory goes, runs for at most INGESTS_AT_ONCE batches at a time.
        with run.ingest_gate:
            for outcome, found in _ingest_chunk(
                run, [(spec, result) for (spec, _), result in zip(chunk, fetched, strict=True)]
            ):
                outcomes.append(outcome)
                per_rule.update(found)
    order = {spec.name: index for index, spec in enumerate(specs)}
    outcomes.sort(key=lambda outcome: order[outcome.name])
    return outcomes, per_rule


def _ingest_chunk(
    run: Monitor, chunk: Sequence[tuple[FeedSpec, Fetched]]
) -> list[tuple[SourceOutcome, Counter[str]]]:
    """A chunk of fetched feeds in bulk: each parsed on its own, then all their articles
    matched and stored in one batch, and every feed's health in one transaction.

    Whatever goes wrong with one feed is that feed's failure, recorded in its health,
    never its chunk-mates' (they would show as "not fetched yet"): a batch that fails to
    store is stored again feed by feed, so the failure lands on the feed that caused it.
    """
    health: list[FetchRecord] = []
    done: dict[str, tuple[SourceOutcome, Counter[str]]] = {}
    ready: list[_ParsedFeed] = []
    for spec, fetched in chunk:
        try:
            parsed = _parse_fetched(run, spec, fetched)
        except (StoreError, DBAPIError, OSError):
            raise  # the store itself is down: the run fails, and says so
        except Exception as exc:
            parsed = _failure(spec, fetched, f"{type(exc).__name__}: {exc}"[:500])
        if isinstance(parsed, _ParsedFeed):
            ready.append(parsed)
        else:
            outcome, recorded = parsed
            done[spec.name] = (outcome, Counter())
            health.append(fetch_record(spec, recorded))
    try:
        stored = _store_together(run, ready)
    except (StoreError, DBAPIError, OSError):
        raise
    except Exception:
        stored = [_store_alone(run, feed) for feed in ready]
    for feed, (outcome, per_rule, recorded) in zip(ready, stored, strict=True):
        done[feed.spec.name] = (outcome, per_rule)
        health.append(fetch_record(feed.spec, recorded, feed.items_read))
    record_fetches(run.store, health, run.clock())
    return [done[spec.name] for spec, _ in chunk]


def _parse_fetched(
    run: Monitor, spec: FeedSpec, fetched: Fetched
) -> _ParsedFeed | tuple[SourceOutcome, Fetched]:
    """A fetched feed's articles (full text added where the feed asks for it); or, when
    there is nothing to store, its outcome and the fetch to record in its health."""
    if fetched.status is FetchStatus.NOT_MODIFIED:
        return SourceOutcome(spec.name, status=SourceStatus.UNCHANGED), fetched
    if fetched.status is not FetchStatus.OK:
        status = (
            SourceStatus.DISABLED if fetched.status is FetchStatus.GONE else SourceStatus.FAILED
        )
        return SourceOutcome(spec.name, status=status, error=fetched.error), fetched
    try:
        parsed = parse_feed(
            fetched.body or b"", spec, now=run.clock(), max_items=run.settings.feed_max_items
        )
    except SourceError as exc:
        # The summary line names the feed already: "FAILED Meduza: not a feed (…)".
        outcome, recorded = _failure(spec, fetched, str(exc))
        outcome.error = str(exc).removeprefix(f"{spec.name}: ")
        return outcome, recorded
    articles = parsed.articles
    warning = parsed.warning
    if spec.full_text:
        known = run.store.known(a.canonical_id for a in articles)
        fresh = [a for a in articles if a.canonical_id not in known]
        policy = PagePolicy(spec.url, spec.full_text_hosts, run.settings.full_text_private)
        fresh, failed_pages, refused = with_full_text(fresh, run.limits, policy)
        articles = fresh
        notes = []
        if failed_pages:
            notes.append(f"{failed_pages} article page(s) could not be fetched")
        if refused:
            notes.append(
                f"{refused} link(s) not fetched (not the feed's host, a private address, or "
                f"past {policy.max_pages} pages a run)"
            )
        if notes:
            warning = "; ".join(notes) + "; summaries kept"
    return _ParsedFeed(spec, fetched, articles, warning, len(parsed.articles))


def _store_together(
    run: Monitor, ready: Sequence[_ParsedFeed]
) -> list[tuple[SourceOutcome, Counter[str], Fetched]]:
    """Every parsed feed's articles matched and stored in one batch."""
    articles = [article for feed in ready for article in feed.articles]
    if not articles:
        return [_stored(feed, SourceOutcome(feed.spec.name), Counter()) for feed in ready]
    changed: list[StoredItem] = []
    warned = len(run.matcher.warnings)
    new = ingest(run.store, articles, run.matcher.match_many, run.clusterer, changed=changed)
    warnings = run.matcher.warnings[warned:]
    new_by_feed = Counter(article.outlet for _, article, _ in new)
    changed_by_feed = Counter(article.outlet for _, article, _ in changed)
    per_rule: dict[str, Counter[str]] = {feed.spec.name: Counter() for feed in ready}
    for _, article, found in [*new, *changed]:
        per_rule[article.outlet].update(match.rule_id for match in found)
    results = []
    for feed in ready:
        name = feed.spec.name
        titles = {repr(article.title[:60]) for article in feed.articles}
        outcome = SourceOutcome(
            name,
            articles=len(feed.articles),
            new_items=new_by_feed[name],
            changed_items=changed_by_feed[name],
            # Articles whose rules ran past the matching budget: named, never silent.
            warning="; ".join(w for w in warnings if any(t in w for t in titles)) or None,
        )
        results.append(_stored(feed, outcome, per_rule[name]))
    return results


def _store_alone(run: Monitor, feed: _ParsedFeed) -> tuple[SourceOutcome, Counter[str], Fetched]:
    """One feed's articles stored on their own, its failure its own."""
    try:
        outcome, per_rule = ingest_articles(run, feed.spec.name, feed.articles)
    except (StoreError, DBAPIError, OSError):
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        outcome, recorded = _failure(feed.spec, feed.fetched, error)
        return outcome, Counter(), recorded
    return _stored(feed, outcome, per_rule)


def ingest_articles(
    run: Monitor, name: str, articles: Sequence[Article]
) -> tuple[SourceOutcome, Counter[str]]:
    """Store new articles and their matches; already-seen articles are skipped entirely."""
    if not articles:
        return SourceOutcome(name), Counter()
    changed: list[StoredItem] = []
    warned = len(run.matcher.warnings)
    new = ingest(run.store, articles, run.matcher.match_many, run.clusterer, changed=changed)
    per_rule = Counter(match.rule_id for _, _, found in [*new, *changed] for match in found)
    outcome = SourceOutcome(
        name,
        articles=len(articles),
        new_items=len(new),
        changed_items=len(changed),
        # Articles whose rules ran past the matching budget: named, never silent.
        warning="; ".join(run.matcher.warnings[warned:]) or None,
    )
    return outcome, per_rule


def ingest_folder(run: Monitor, folder: Path) -> Ingested:
    """The article folder, and each file in it that could not be read as its own failed
    source (named, the rest read), as bad feeds are."""
    problems: list[tuple[Path, str]] = []
    try:
        articles = read_article_folder(folder, problems=problems)
    except SourceError as exc:
        return [SourceOutcome(folder.name, status=SourceStatus.FAILED, error=str(exc))], Counter()
    outcome, per_rule = ingest_articles(run, folder.name, articles)
    bad = [
        SourceOutcome(f"{folder.name}/{path.name}", status=SourceStatus.FAILED, error=problem)
        for path, problem in problems
    ]
    return [outcome, *bad], per_rule
