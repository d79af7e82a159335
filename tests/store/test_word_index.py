"""The word index answers on SQLite (FTS5) and PostgreSQL (GIN) as the Python reference does,
stays in step when items change or go, and never leaves out an item it does not know."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from vigil.article import Article
from vigil.store import ItemUpdate, NewItem, Store
from vigil.words import AllOf, AnyOf, Word, WordQuery, holds, item_words

TEXTS = [
    ("Bayraktar TB2 drones for Kyiv", "Ukraine's navy got TB-2s."),
    ("Ankara hosts talks", "Turkey offered to mediate between Moscow and Kyiv."),
    ("Weather", "Sunny in İzmir, a ward of the TB2 hospital reopened."),
    ("Akıncı", "The Bayraktar Akıncı flew over Çorlu."),
    ("Grain deal", "The Black Sea grain initiative was extended."),
]
QUERIES: list[WordQuery] = [
    Word("tb", prefix=True),
    Word("akinci"),
    AllOf((Word("bayraktar"), Word("drone", prefix=True))),
    AnyOf((Word("mediat", prefix=True), AllOf((Word("grain"), Word("sea"))))),
    AllOf((Word("tb"), Word("2"), AnyOf((Word("ward"), Word("navy"))))),
    Word("izmir"),
    Word("nothing"),
]
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Store:
    opened = Store(database_url, clock=lambda: NOW)
    yield opened
    opened.close()


def _write(store: Store, texts: list[tuple[str, str]]) -> list[int]:
    stored, _ = store.write_batch(
        [
            NewItem(Article(title=t, body=b, outlet="X", link=f"https://x.org/{n}"), str(n), [])
            for n, (t, b) in enumerate(texts)
        ]
    )
    return [item.item_id for item in stored]


def test_the_index_answers_as_the_reference_does(store: Store) -> None:
    ids = _write(store, TEXTS)
    for query in QUERIES:
        expected = [
            i for i, (t, b) in zip(ids, TEXTS, strict=True) if holds(query, item_words(t, b))
        ]
        assert store.item_ids_holding(query, SINCE) == expected, query
    assert store.item_ids_holding(Word("akinci"), SINCE) == [ids[3]]
    assert store.item_ids_holding(None, SINCE) == ids


def test_a_period_bounds_the_answer(store: Store) -> None:
    ids = _write(store, TEXTS)
    later = NOW + timedelta(days=1)
    assert store.item_ids_holding(Word("tb", prefix=True), later) == []
    assert store.item_ids_holding(Word("tb", prefix=True), SINCE, later) == [ids[0], ids[2]]
    assert store.count_items_since(SINCE, later) == len(TEXTS)


def test_a_changed_item_is_found_by_its_new_words_and_a_deleted_one_not_at_all(
    store: Store,
) -> None:
    ids = _write(store, TEXTS)
    changed = Article(
        title="Grain deal", body="Kargu drones now.", outlet="X", link="https://x.org/4"
    )
    store.write_batch([], [ItemUpdate(ids[4], changed, "new", [])])
    assert store.item_ids_holding(Word("kargu"), SINCE) == [ids[4]]
    assert store.item_ids_holding(Word("grain"), SINCE) == [ids[4]]  # the title kept it
    assert store.item_ids_holding(Word("initiative"), SINCE) == []
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM items WHERE id = :id"), {"id": ids[0]})
    assert store.item_ids_holding(Word("bayraktar"), SINCE) == [ids[3]]


def test_an_item_the_index_does_not_know_is_always_an_answer(store: Store) -> None:
    ids = _write(store, TEXTS)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE items SET words = NULL WHERE id = :id"), {"id": ids[4]})
    assert store.item_ids_holding(Word("akinci"), SINCE) == [ids[3], ids[4]]
    newest = store.newest_item_ids(holding=Word("akinci"), limit=5)
    assert newest == [ids[4], ids[3]]


def test_newest_item_ids_pages_through_the_holders(store: Store) -> None:
    ids = _write(store, TEXTS * 3)  # the same texts thrice, under new links
    holders = [i for n, i in enumerate(ids) if "drone" in TEXTS[n % len(TEXTS)][0].lower()]
    first = store.newest_item_ids(holding=Word("drone", prefix=True), limit=2)
    assert first == holders[::-1][:2]
    rest = store.newest_item_ids(holding=Word("drone", prefix=True), before=first[-1], limit=9)
    assert first + rest == holders[::-1]


def test_items_stored_before_the_index_get_their_words_on_upgrade(store: Store) -> None:
    from tests.store.test_migrations import _downgrade

    ids = _write(store, TEXTS[:2])
    with store.engine.begin() as conn:
        _downgrade(conn, "0005")
        conn.execute(
            text(
                "INSERT INTO items (canonical_id, outlet, title, body, date_missing, tags, "
                "first_seen) VALUES ('feed:X|old', 'X', 'Old news', 'Bayraktar TB3 at sea', "
                "false, '[]', '2026-11-30 10:00:00')"
            )
        )
    url = store.url
    store.close()
    upgraded = Store(url)
    try:
        found = upgraded.item_ids_holding(Word("tb", prefix=True), SINCE)
        assert found[0] == ids[0] and len(found) == 2  # the new-old item is indexed too
        with upgraded.engine.connect() as conn:
            unindexed = conn.execute(text("SELECT count(*) FROM items WHERE words IS NULL"))
            assert unindexed.scalar_one() == 0
    finally:
        upgraded.close()
