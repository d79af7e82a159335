"""A playground trial reads only what the word index cannot rule out, and finds what reading
everything finds: the same new and lost hits, on SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil.article import Article
from vigil.playground import compile_edit, search_items, try_edit
from vigil.rules import Matcher, RuleSet
from vigil.rules.loader import load_ruleset
from vigil.store import NewItem, Store

ROOT = Path(__file__).resolve().parents[1]
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def stored(database_url: str) -> tuple[Store, list[tuple[int, Article]]]:
    ruleset = load_ruleset(ROOT / "rules")
    articles = []
    for path in sorted((ROOT / "tests" / "data" / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                link = f"https://x.org/{len(articles)}"
                articles.append(
                    Article(title=record["title"], body=record["text"], outlet="X", link=link)
                )
    found = Matcher(ruleset, helper=False).match_many(articles)
    store = Store(database_url)
    written, _ = store.write_batch(
        [NewItem(a, str(n), f) for n, (a, f) in enumerate(zip(articles, found, strict=True))]
    )
    yield store, [(item.item_id, item.article) for item in written]
    store.close()


def _matched_by_full_scan(ruleset: RuleSet, items: list[tuple[int, Article]]) -> list[int]:
    """The reference: every item matched, reading them all."""
    found = Matcher(ruleset, helper=False).match_many([article for _, article in items])
    return [item_id for (item_id, _), matches in zip(items, found, strict=True) if matches]


@pytest.mark.parametrize(
    "edit",
    [
        "Bayraktar OR TB2 OR Baykar",  # wider in some ways, narrower in others
        "/\\bTB[23]\\b/ AND (@UKR OR @RUS)",
        "~mediate AND @TUR",
    ],
)
def test_a_trial_finds_what_a_full_scan_finds(
    stored: tuple[Store, list[tuple[int, Article]]], edit: str
) -> None:
    store, items = stored
    compiled = compile_edit(ROOT / "rules", edit, rule_id="bayraktar-tb2")
    assert compiled.ruleset is not None, compiled.problems
    trial = try_edit(store, compiled.ruleset, SINCE, keep=10_000)

    flagged = set(_matched_by_full_scan(compiled.ruleset, items))
    live = {
        item_id
        for item_id, rules in store.stored_rule_hits([i for i, _ in items]).items()
        if "bayraktar-tb2" in rules
    }
    result = trial.rules["bayraktar-tb2"]
    assert (result.would_flag, result.live) == (len(flagged), len(live))
    assert {h.item_id for h in trial.hits if h.change == "new"} == flagged - live
    assert {h.item_id for h in trial.hits if h.change == "lost"} == live - flagged
    assert trial.items == len(items)
    assert trial.read < len(items) / 2  # the index ruled most items out unread


def test_a_search_pages_back_through_the_items_holding_its_words(
    stored: tuple[Store, list[tuple[int, Article]]],
) -> None:
    store, items = stored
    compiled = compile_edit(ROOT / "rules", "Akinci", rule_id="search")
    assert compiled.ruleset is not None
    expected = _matched_by_full_scan(compiled.ruleset, items)[::-1]
    assert expected
    seen, before = [], None
    while True:
        page = search_items(store, compiled.ruleset, limit=2, before=before)
        seen += [result.item_id for result in page.results]
        assert page.scanned <= len(expected) + 2  # only holders are read
        if page.next_before is None or not page.results:
            break
        before = page.next_before
    assert seen == expected
