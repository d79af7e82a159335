from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from vigil.article import Article
from vigil.deliver.outbox import retry_delay
from vigil.pipeline import ingest
from vigil.rules import Match
from vigil.store import Store


def _match_one(article: Article) -> list[Match]:
    if "drone" not in article.body:
        return []
    return [Match("drones", article.body, ((0, 5),), ("drone",), ("TUR",), 1.0)]


def _match(articles: list[Article]) -> list[list[Match]]:
    return [_match_one(article) for article in articles]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store(database_url)
    yield opened
    opened.close()


def _articles() -> list[Article]:
    return [
        Article(title="A", body="drone sales", outlet="X", guid="g-1"),
        Article(title="B", body="weather", outlet="X", link="https://e.org/b?utm_source=rss"),
        Article(title="C", body="drone strike", outlet="Y"),
    ]


def test_ingest_returns_only_new_articles_across_runs(store: Store) -> None:
    first = ingest(store, _articles(), _match)
    assert [a.title for _, a, _ in first] == ["A", "B", "C"]
    # The same articles again (the link now without tracking): nothing is new.
    again = [
        *_articles()[:1],
        Article(title="B", body="weather", outlet="X", link="https://e.org/b"),
        _articles()[2],
    ]
    assert ingest(store, again, _match) == []
    assert store.counts()["items"] == 3
    assert store.counts()["matches"] == 2


def test_bare_guids_are_scoped_to_their_outlet(store: Store) -> None:
    same_guid = [
        Article(title="A", body="x", outlet="One", guid="1"),
        Article(title="B", body="y", outlet="Two", guid="1"),
    ]
    assert len(ingest(store, same_guid, _match)) == 2


def test_an_article_and_its_matches_are_stored_together(store: Store) -> None:
    def broken(articles: list[Article]) -> list[list[Match]]:
        if any(article.title == "C" for article in articles):
            raise RuntimeError("matcher crashed")
        return _match(articles)

    with pytest.raises(RuntimeError):
        ingest(store, _articles(), broken)
    # Nothing of the failed batch was kept: a retry sees every article as new and matches it.
    assert store.counts()["items"] == 0
    assert len(ingest(store, _articles(), _match)) == 3


def _enqueue(store: Store, match_ids: list[int], message_id: str = "<m1@test>") -> int | None:
    return store.enqueue_message(
        message_id=message_id,
        recipients=["a@example.org"],
        subject="s",
        raw=b"Subject: s\r\n\r\nbody",
        match_ids=match_ids,
        created_at=store.clock(),
    )


def test_a_match_is_claimed_by_one_message_only(store: Store) -> None:
    ingest(store, _articles(), _match)
    ids = [m.id for m in store.undelivered_matches()]
    assert len(ids) == 2
    assert _enqueue(store, ids) is not None
    assert store.undelivered_matches() == []
    # A concurrent run that composed from the same matches loses, and stores nothing.
    assert _enqueue(store, ids, "<m2@test>") is None
    assert store.message_counts() == {"pending": 1}


def test_failed_delivery_backs_off_and_permanent_failure_stops(store: Store) -> None:
    ingest(store, _articles(), _match)
    pk = _enqueue(store, [m.id for m in store.undelivered_matches()])
    assert pk is not None
    # The store records the retry delivery's policy decides on.
    retry_at = store.clock() + retry_delay(1)
    store.mark_failed(pk, "451 try later", retry_at=retry_at)
    assert retry_at > store.clock()
    assert store.due_messages() == []
    assert [m.id for m in store.due_messages(retry_at + timedelta(seconds=1))] == [pk]
    store.mark_failed(pk, "550 no", retry_at=None)  # permanent: never retried
    assert store.due_messages(store.clock() + timedelta(days=365)) == []
    assert store.message_counts() == {"failed": 1}


def test_dates_come_back_aware_utc(store: Store) -> None:
    when = datetime(2021, 11, 29, 13, 42, tzinfo=UTC)
    ingest(store, [Article(title="T", body="drone", outlet="X", published=when)], _match)
    (match,) = store.undelivered_matches()
    assert match.published == when and match.published.tzinfo is not None
