"""Analysts' labels in the store: one per (item, rule), replaced when given again, checked
against what the rule matched, counted per rule and carried by the export's rows."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from vigil.article import Article
from vigil.errors import LabelError, UnknownItem, WrongVerdict
from vigil.match import Match
from vigil.store import LabelCounts, NewItem, Store
from vigil.store.schema import labels

from tests.conftest import FrozenClock

DAY1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _item(title: str, rules: tuple[str, ...]) -> NewItem:
    article = Article(title=title, body=f"{title} body", outlet="X", guid=title)
    found = [Match(rule, f"{title} body", ((0, 1),), ("x",), (), 1.0) for rule in rules]
    return NewItem(article, content_hash=title, matches=found)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DAY1)


@pytest.fixture
def store(database_url: str, clock: FrozenClock) -> Iterator[Store]:
    opened = Store(database_url, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def ids(store: Store, clock: FrozenClock) -> dict[str, int]:
    """Items A (matched by drones and mediation) and B (by drones) on day 1, C (none) on day 3."""
    first, _ = store.write_batch([_item("A", ("drones", "mediation")), _item("B", ("drones",))])
    clock.advance(timedelta(days=2))
    later, _ = store.write_batch([_item("C", ())])
    return {stored.article.title: stored.item_id for stored in [*first, *later]}


def test_a_label_is_stored_with_its_note_author_and_time(store: Store, ids: dict[str, int]) -> None:
    at = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    assert store.label_item(ids["A"], "drones", "relevant", "a TB2 sale", "ana", at) is None
    [label] = store.labels_for()
    assert label.item_id == ids["A"] and label.rule_id == "drones"
    assert (label.verdict, label.note, label.author, label.title) == (
        "relevant",
        "a TB2 sale",
        "ana",
        "A",
    )
    assert label.labelled_at == at and label.labelled_at.tzinfo is not None


def test_labelling_again_replaces_the_label_and_returns_the_old_one(
    store: Store, ids: dict[str, int], clock: FrozenClock
) -> None:
    store.label_item(ids["A"], "drones", "relevant", "looks right", "ana")
    clock.advance(timedelta(hours=1))
    previous = store.label_item(ids["A"], "drones", "irrelevant", None, "bo")
    assert previous is not None
    assert (previous.verdict, previous.author, previous.note) == ("relevant", "ana", "looks right")
    [label] = store.labels_for()
    assert (label.verdict, label.author, label.note) == ("irrelevant", "bo", None)
    assert label.labelled_at == clock()  # the store's clock, when no time is given


def test_a_label_of_an_unknown_item_is_refused_and_nothing_is_written(
    store: Store, ids: dict[str, int]
) -> None:
    unknown = max(ids.values()) + 100
    with pytest.raises(UnknownItem, match=f"no stored item has the id {unknown}") as raised:
        store.label_item(unknown, "drones", "missed")
    assert isinstance(raised.value, LabelError)
    assert store.labels_for() == []


def test_a_verdict_that_contradicts_the_matches_is_refused(
    store: Store, ids: dict[str, int]
) -> None:
    with pytest.raises(WrongVerdict, match="label it missed") as not_matched:
        store.label_item(ids["C"], "drones", "relevant")
    assert not_matched.value.matched is False
    with pytest.raises(WrongVerdict, match="cannot have missed it") as matched:
        store.label_item(ids["B"], "drones", "missed")
    assert matched.value.matched is True
    with pytest.raises(WrongVerdict):  # B was matched by drones, not by mediation
        store.label_item(ids["B"], "mediation", "irrelevant")
    assert store.labels_for() == []
    # What the store allows: judging a match, naming an item a rule missed.
    store.label_item(ids["B"], "drones", "irrelevant")
    store.label_item(ids["C"], "drones", "missed")
    # A refused relabel leaves the label standing.
    with pytest.raises(WrongVerdict):
        store.label_item(ids["C"], "drones", "relevant")
    verdicts = {(lab.item_id, lab.rule_id): lab.verdict for lab in store.labels_for()}
    assert verdicts == {(ids["B"], "drones"): "irrelevant", (ids["C"], "drones"): "missed"}


def test_only_the_three_verdicts_are_stored(store: Store, ids: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="not 'maybe'"):
        store.label_item(ids["A"], "drones", "maybe")  # type: ignore[arg-type]
    # The database refuses one too, whoever writes it.
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(
            insert(labels).values(
                item_id=ids["A"], rule_id="drones", verdict="maybe", labelled_at=DAY1
            )
        )
    assert store.labels_for() == []


def test_labels_for_narrows_to_rules_and_items(store: Store, ids: dict[str, int]) -> None:
    store.label_item(ids["A"], "drones", "relevant")
    store.label_item(ids["A"], "mediation", "irrelevant")
    store.label_item(ids["C"], "drones", "missed")
    assert [lab.rule_id for lab in store.labels_for(rule_ids=["mediation"])] == ["mediation"]
    assert {lab.item_id for lab in store.labels_for(rule_ids=["drones"])} == {ids["A"], ids["C"]}
    assert {lab.rule_id for lab in store.labels_for(item_ids=[ids["A"]])} == {
        "drones",
        "mediation",
    }
    assert store.labels_for(rule_ids=["nothing-labelled"]) == []


def test_label_counts_per_rule_and_verdict_in_the_window(store: Store, ids: dict[str, int]) -> None:
    store.label_item(ids["A"], "drones", "relevant")
    store.label_item(ids["B"], "drones", "irrelevant")
    store.label_item(ids["C"], "drones", "missed")
    store.label_item(ids["A"], "mediation", "relevant")
    store.label_item(ids["C"], "mediation", "missed")
    assert store.label_counts_by_rule() == {
        "drones": LabelCounts(relevant=1, irrelevant=1, missed=1),
        "mediation": LabelCounts(relevant=1, irrelevant=0, missed=1),
    }
    # The window is the items' first sighting, as for hits: C came two days after A and B.
    assert store.label_counts_by_rule(since=DAY1 + timedelta(days=1)) == {
        "drones": LabelCounts(missed=1),
        "mediation": LabelCounts(missed=1),
    }


def test_exported_rows_carry_their_label_or_none(store: Store, ids: dict[str, int]) -> None:
    store.label_item(ids["A"], "drones", "irrelevant", "about cars", "ana")
    store.label_item(ids["C"], "drones", "missed")  # no match: not an exported row
    rows = {(row.item_id, row.rule_id): row for row in store.stream_matches()}
    assert set(rows) == {(ids["A"], "drones"), (ids["A"], "mediation"), (ids["B"], "drones")}
    labelled = rows[(ids["A"], "drones")]
    assert (labelled.verdict, labelled.label_author, labelled.label_note) == (
        "irrelevant",
        "ana",
        "about cars",
    )
    assert labelled.labelled_at == DAY1 + timedelta(days=2)
    for key in [(ids["A"], "mediation"), (ids["B"], "drones")]:
        assert rows[key].verdict is None and rows[key].labelled_at is None
