"""Pages of the match stream filtered by the items' first sighting: the same matches, in the
same order, as filtering every match would give, also when a clock set back put an item's
sighting out of step with its id."""

from datetime import UTC, datetime, timedelta

import pytest

from vigil.article import Article
from vigil.match import Match
from vigil.store import MatchFilter, NewItem, Store

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = [*range(30), 5, 12]  # the last two arrive after day 29, with a clock set back


@pytest.fixture
def store(database_url: str) -> Store:
    now = {"at": START}
    opened = Store(database_url, clock=lambda: now["at"])
    for n, day in enumerate(DAYS):
        now["at"] = START + timedelta(days=day, hours=1)
        rules = ["a", "b"] if n % 3 == 0 else ["a"] if n % 3 == 1 else ["b"]
        found = [Match(rule, "TB2", ((0, 3),), ("TB2",), (), 1.0) for rule in rules]
        article = Article(title=f"Story {n}", body="TB2", outlet=f"Outlet {n % 2}",
                          link=f"https://x.org/{n}")  # fmt: skip
        opened.write_batch([NewItem(article, str(n), found)])
    yield opened
    opened.close()


def _expected(store: Store, where: MatchFilter) -> list[int]:
    every = store.match_page(MatchFilter(), limit=10_000)
    assert len(every) == 43  # 32 stories, every third with two rules
    kept = []
    for match in every:
        at = START + timedelta(days=DAYS[int(match.title.split()[1])], hours=1)
        if where.since is not None and at < where.since:
            continue
        if where.until is not None and at >= where.until:
            continue
        if where.rule_ids is not None and match.rule_id not in where.rule_ids:
            continue
        if where.outlet and match.outlet != where.outlet:
            continue
        kept.append(match.id)
    return kept


def _paged(store: Store, where: MatchFilter, size: int) -> list[int]:
    ids: list[int] = []
    before = None
    while True:
        page = store.match_page(where, before=before, limit=size)
        ids += [match.id for match in page]
        if len(page) < size:
            return ids
        before = page[-1].id


@pytest.mark.parametrize(
    "where",
    [
        MatchFilter(since=START + timedelta(days=10), until=START + timedelta(days=20)),
        MatchFilter(since=START + timedelta(days=4), until=START + timedelta(days=6)),
        MatchFilter(since=START + timedelta(days=25)),
        MatchFilter(until=START + timedelta(days=13), rule_ids=["b"]),
        MatchFilter(since=START + timedelta(days=3), outlet="Outlet 1", rule_ids=["a"]),
        MatchFilter(since=START + timedelta(days=40)),
    ],
)
def test_a_dated_page_is_what_filtering_every_match_gives(store: Store, where: MatchFilter) -> None:
    expected = _expected(store, where)
    assert [m.id for m in store.match_page(where, limit=1000)] == expected
    assert _paged(store, where, 2) == expected
    assert _paged(store, where, 7) == expected


def test_the_set_back_items_are_found_in_their_days(store: Store) -> None:
    where = MatchFilter(since=START + timedelta(days=5), until=START + timedelta(days=6))
    titles = {m.title for m in store.match_page(where, limit=100)}
    assert titles == {"Story 5", "Story 30"}
