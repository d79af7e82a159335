"""The store's schema comes from alembic migrations, on SQLite and PostgreSQL alike."""

import multiprocessing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from vigil.pipeline import ingest
from vigil.store import Store
from vigil.store.migrate import current_revision, head_revision
from vigil.store.schema import metadata


def test_the_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    store = Store(database_url)
    try:
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _declared})
            differences = compare_metadata(context, metadata)
        assert differences == []
        tables = set(inspect(store.engine).get_table_names())
        assert tables >= {
            "items", "matches", "messages", "deliveries", "feeds", "run_locks", "labels"
        }  # fmt: skip
    finally:
        store.close()


def _declared(name: str | None, kind: str, _parent: object) -> bool:
    """What the tables declare: not the word index, which migration 0006 makes outside the
    declared schema (an FTS5 table and its shadow tables on SQLite, a GIN index on an
    expression on PostgreSQL); tests/store/test_word_index.py holds it."""
    if kind == "table" and name is not None and name.startswith("item_words"):
        return False
    return not (kind == "index" and name == "ix_items_words")


def _open(url: str) -> str | None:
    store = Store(url)
    try:
        return current_revision(store.engine)
    finally:
        store.close()


def test_processes_opening_a_new_store_at_once_both_succeed(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        revisions = pool.map(_open, [database_url] * 4)
    assert revisions == [head_revision()] * 4


def test_opening_a_current_store_changes_nothing(database_url: str) -> None:
    Store(database_url).close()
    engine = create_engine(Store(database_url).engine.url)
    with engine.connect() as conn:
        (version,) = conn.exec_driver_sql("SELECT version_num FROM alembic_version").one()
    assert version == head_revision()
    engine.dispose()


def _downgrade(conn, revision: str) -> None:
    """Take the store on ``conn`` back to ``revision``, as an older vigil left it."""
    from alembic import command

    from vigil.store.migrate import _config

    config = _config()
    config.attributes["connection"] = conn
    command.downgrade(config, revision)
    config.attributes.pop("connection")


def test_a_store_at_an_older_revision_is_upgraded_in_place(database_url: str) -> None:
    store = Store(database_url)
    with store.engine.begin() as conn:
        _downgrade(conn, "0001")
    assert current_revision(store.engine) == "0001"
    indexes = {index["name"] for index in inspect(store.engine).get_indexes("matches")}
    assert "ix_matches_matched_at" not in indexes
    store.close()
    reopened = Store(database_url)
    assert current_revision(reopened.engine) == head_revision() == "0006"
    indexes = {index["name"] for index in inspect(reopened.engine).get_indexes("matches")}
    assert "ix_matches_matched_at" in indexes
    assert "origin" in {column["name"] for column in inspect(reopened.engine).get_columns("items")}
    reopened.close()


def test_stored_identities_are_scoped_to_their_feed_on_upgrade(database_url: str) -> None:
    """Items stored before 0003 keep being recognised: nothing is ingested or sent twice."""
    from sqlalchemy import text

    from vigil.article import Article

    store = Store(database_url)
    with store.engine.begin() as conn:
        _downgrade(conn, "0002")
        conn.execute(
            text(
                "INSERT INTO items (canonical_id, outlet, title, body, date_missing, tags, "
                "first_seen) VALUES ('link:https://e.org/a', 'Daily Sabah', 'A', 'a', false, "
                "'[]', '2026-11-30 10:00:00')"
            )
        )
    store.close()
    upgraded = Store(database_url)
    seen = Article(title="A", body="a", outlet="Daily Sabah", link="https://e.org/a")
    assert seen.canonical_id == "feed:Daily Sabah|link:https://e.org/a"
    assert upgraded.known([seen.canonical_id]) == {seen.canonical_id}
    assert ingest(upgraded, [seen], lambda found: [[] for _ in found]) == []
    upgraded.close()


def test_the_labels_table_comes_with_0004_and_goes_with_its_downgrade(database_url: str) -> None:
    """A store of an older vigil gets the labels table on opening, its items labellable; taking
    0004 back removes the table and leaves the items and matches as they were."""
    from vigil.article import Article
    from vigil.match import Match
    from vigil.store import NewItem

    store = Store(database_url)
    found = [Match("drones", "TB2", ((0, 3),), ("TB2",), (), 1.0)]
    [stored], _ = store.write_batch(
        [NewItem(Article(title="A", body="TB2", outlet="X"), "h", found)]
    )
    store.label_item(stored.item_id, "drones", "relevant", "right", "ana")
    with store.engine.begin() as conn:
        _downgrade(conn, "0003")
    assert "labels" not in inspect(store.engine).get_table_names()
    assert store.counts()["matches"] == 1
    store.close()
    reopened = Store(database_url)
    assert current_revision(reopened.engine) == head_revision()
    assert reopened.labels_for() == []  # the labels went with the table; the items stayed
    columns = {column["name"] for column in inspect(reopened.engine).get_columns("labels")}
    assert columns == {"item_id", "rule_id", "verdict", "note", "author", "labelled_at"}
    assert reopened.label_item(stored.item_id, "drones", "irrelevant") is None
    assert [label.verdict for label in reopened.labels_for()] == ["irrelevant"]
    reopened.close()


def _released_revisions() -> list[str]:
    """Every revision before head, oldest first: what stores of older vigils are at."""
    from alembic.script import ScriptDirectory

    from vigil.store.migrate import _config

    walked = [script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()]
    return [revision for revision in reversed(walked) if revision != head_revision()]


@pytest.mark.parametrize("revision", _released_revisions())
def test_a_store_at_every_released_revision_upgrades_and_sends_its_digest(
    settings, revision: str
) -> None:
    """Built at ``revision``, filled as that vigil would (columns every revision has), opened
    by this vigil: upgraded to head, the waiting match goes out once in a digest."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from tests.conftest import maildir_messages

    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    store = Store(settings.store_url)
    with store.engine.begin() as conn:
        _downgrade(conn, revision)
        conn.execute(
            text(
                "INSERT INTO items (canonical_id, outlet, title, body, date_missing, tags, "
                "first_seen) VALUES ('link:https://e.org/tb2', 'Daily Sabah', "
                "'Kyiv receives Bayraktar TB2 drones', 'Ukraine got more Bayraktar TB2 drones.', "
                "false, '[]', '2026-12-02 08:00:00')"
            )
        )
        item_id = conn.execute(text("SELECT id FROM items")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO matches (item_id, rule_id, evidence, highlights, terms, actors, "
                "score, matched_at) VALUES (:item, 'bayraktar-tb2', "
                "'Ukraine got more Bayraktar TB2 drones.', '[[17, 30]]', '[\"Bayraktar TB2\"]', "
                "'[]', 1.0, '2026-12-02 08:00:00')"
            ),
            {"item": item_id},
        )
    assert current_revision(store.engine) == revision
    store.close()
    from vigil.monitor import Monitor
    from vigil.pipeline import run_once

    monitor = Monitor(settings, clock=lambda: now)
    try:
        assert current_revision(monitor.store.engine) == head_revision()
        summary = run_once(monitor, read_sources=False)
        again = run_once(monitor, read_sources=False)
    finally:
        monitor.close()
    assert summary.ok and [m.kind for m in summary.composed] == ["digest"]
    assert again.composed == []  # sent once
    [message] = maildir_messages(settings.home / "outbox")
    assert "Kyiv receives Bayraktar TB2 drones" in message.get_body(("plain",)).get_content()
