"""The pages on the demo store, through the ASGI app: what each shows, filters, paging, the
search box, the item's explanations, the rules table, the playground and labelling."""

import hashlib
import html
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from vigil.settings import Settings
from vigil.store import MatchFilter, Store
from vigil.web.views import matches as matches_view

from tests.web.conftest import csrf_of


def story_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<li class="story" data-item="(\d+)">', page)]


def badges(page: str) -> list[str]:
    return re.findall(r'<span class="badge">([^<]+)</span>', page)


def rule_row(page: str, rule_id: str) -> str:
    start = page.index(f'<tr id="rule-{rule_id}"')
    return page[start : page.index("</tr>", start)]


def test_the_stream_shows_every_match_newest_first_with_its_evidence(
    client: TestClient, store: Store
) -> None:
    response = client.get("/matches")
    assert response.status_code == 200
    stored = store.match_page(MatchFilter(), limit=1000)
    assert stored, "the demo run stored matches"
    newest_items = list(dict.fromkeys(match.item_id for match in stored))
    assert story_ids(response.text) == newest_items
    assert sorted(badges(response.text)) == sorted(match.rule_id for match in stored)
    assert "<mark>" in response.text
    with_direction = [match for match in stored if match.direction]
    assert with_direction, "the demo has event matches"
    assert html.escape(with_direction[0].direction or "") in response.text


def test_filters_keep_only_what_they_name(client: TestClient, store: Store, demo: Settings) -> None:
    stored = store.match_page(MatchFilter(), limit=1000)
    rule = stored[0].rule_id
    page = client.get("/matches", params={"rule": rule}).text
    assert set(badges(page)) == {rule}
    assert len(badges(page)) == sum(match.rule_id == rule for match in stored)
    # A family tag: every rule carrying it, none other.
    from vigil.rules import load_ruleset

    ruleset = load_ruleset(demo.rules)
    family = {r.id for r in ruleset.rules if "mediation" in r.tags}
    shown = set(badges(client.get("/matches", params={"tag": "mediation"}).text))
    assert shown and shown <= family
    high = {r.id for r in ruleset.rules if r.severity == "high"}
    assert set(badges(client.get("/matches", params={"severity": "high"}).text)) <= high
    outlet = stored[0].outlet
    by_outlet = client.get("/matches", params={"outlet": outlet}).text
    assert set(story_ids(by_outlet)) == {m.item_id for m in stored if m.outlet == outlet}
    # The demo run delivered everything: nothing is left undelivered.
    assert story_ids(client.get("/matches", params={"delivered": "no"}).text) == []
    assert len(story_ids(client.get("/matches", params={"delivered": "yes"}).text)) == len(
        {m.item_id for m in stored}
    )
    assert story_ids(client.get("/matches", params={"until": "2000-01-01"}).text) == []


def test_a_bad_filter_is_said_on_the_page(client: TestClient) -> None:
    response = client.get("/matches", params={"since": "yesterday", "label": "maybe"})
    assert response.status_code == 200
    assert "since: a day as YYYY-MM-DD, not &#39;yesterday&#39;" in response.text
    assert "label: one of unlabelled" in response.text


def test_pages_follow_each_other_without_gaps_or_repeats(
    client: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matches_view, "PAGE", 3)
    seen: list[str] = []
    url: str | None = "/matches"
    pages = 0
    while url is not None:
        page = client.get(url).text
        seen += re.findall(r'name="rule" value="([^"]+)">\s*<input type="hidden" name="next"', page)
        pages += 1
        found = re.search(r'<a href="(/matches\?[^"]+)" rel="next">', page)
        url = html.unescape(found.group(1)) if found else None
    stored = store.match_page(MatchFilter(), limit=1000)
    # A full page links to the next; the page after the last full one is short (or empty).
    assert pages == len(stored) // 3 + 1
    assert len(seen) == len(stored)


def test_the_search_box_runs_the_query_language_over_stored_items(client: TestClient) -> None:
    page = client.get("/matches", params={"q": "Bayraktar OR TB2"}).text
    found = story_ids(page)
    assert found
    assert "<mark>Bayraktar</mark>" in page or "<mark>TB2</mark>" in page
    assert "newest stored items that hold the query" in page
    nothing = client.get("/matches", params={"q": '"no such phrase anywhere at all"'}).text
    assert story_ids(nothing) == []


def test_a_broken_search_query_names_its_column(client: TestClient) -> None:
    page = client.get("/matches", params={"q": "Erdogan AND ("}).text
    assert "query:1:13: the query ends too early" in page
    unknown = client.get("/matches", params={"q": "@XYZ AND talks"}).text
    assert "unknown actor &#39;XYZ&#39;" in unknown


def test_an_item_page_explains_every_rule(client: TestClient, store: Store) -> None:
    match = store.match_page(MatchFilter(), limit=1)[0]
    page = client.get(f"/items/{match.item_id}").text
    verdicts = re.findall(r'<li class="(matched|unmatched)" data-rule="([^"]+)">', page)
    matched = {rule for state, rule in verdicts if state == "matched"}
    assert match.rule_id in matched
    assert {rule for _, rule in verdicts} >= matched
    assert any(state == "unmatched" for state, _ in verdicts)
    assert "✓ " in page and "✗ " in page  # clauses that held and clauses that failed
    assert "<mark>" in page
    assert "Messages that carried it" in page and "digest" in page


def test_an_unknown_item_is_a_404_page(client: TestClient) -> None:
    response = client.get("/items/987654")
    assert response.status_code == 404
    assert "There is no item 987654 in the store." in response.text


def test_the_rules_page_shows_definition_location_examples_chart_and_flags(
    client: TestClient, demo: Settings
) -> None:
    from vigil.rules import load_ruleset

    page = client.get("/rules").text
    ruleset = load_ruleset(demo.rules)
    for rule in ruleset.rules:
        assert f'data-rule="{rule.id}"' in page
        assert f"rules/{rule.source.name}:{rule.line}" in page
    assert page.count('<svg class="chart"') == len(ruleset.rules)
    assert "never matched" in page  # some shipped rule finds nothing in the demo
    assert re.search(r"\d+ pass", page)


def test_labelling_a_match_changes_the_rules_measured_precision(
    client: TestClient, store: Store
) -> None:
    match = store.match_page(MatchFilter(), limit=1)[0]
    row = rule_row(client.get("/rules").text, match.rule_id)
    assert 'class="number precision">–<' in row
    page = client.get("/matches").text
    response = client.post(
        "/label",
        data={
            "csrf": csrf_of(page),
            "item": match.item_id,
            "rule": match.rule_id,
            "verdict": "irrelevant",
            "next": "/matches",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/matches"
    [label] = store.labels_for(rule_ids=[match.rule_id], item_ids=[match.item_id])
    assert label.verdict == "irrelevant" and label.author == "web"
    row = rule_row(client.get("/rules").text, match.rule_id)
    assert 'class="number precision">0.00 (1)<' in row
    labelled = client.get("/matches", params={"label": "irrelevant"}).text
    assert story_ids(labelled) == [match.item_id]


def test_a_label_the_store_refuses_is_said_and_nothing_is_written(
    client: TestClient, store: Store
) -> None:
    match = store.match_page(MatchFilter(), limit=1)[0]
    token = csrf_of(client.get("/matches").text)
    response = client.post(
        "/label",
        data={"csrf": token, "item": match.item_id, "rule": match.rule_id, "verdict": "missed"},
    )
    assert response.status_code == 400
    assert "matched" in response.text
    background = client.post(
        "/label",
        data={"csrf": token, "item": 987654, "rule": match.rule_id, "verdict": "relevant"},
        headers={"X-Requested-With": "fetch"},
    )
    assert background.status_code == 400 and "987654" in background.text
    assert store.labels_for() == []


def test_a_missed_label_goes_on_an_item_the_rule_did_not_match(
    client: TestClient, store: Store
) -> None:
    match = store.match_page(MatchFilter(), limit=1)[0]
    page = client.get(f"/items/{match.item_id}").text
    unmatched = re.findall(r'<li class="unmatched" data-rule="([^"]+)">', page)[0]
    fields = {
        "csrf": csrf_of(page),
        "item": match.item_id,
        "rule": unmatched,
        "verdict": "missed",
        "next": "//evil.example/x",
    }
    response = client.post(
        "/label",
        data={**fields, "note": "names the talks"},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 204
    [label] = store.labels_for(rule_ids=[unmatched])
    assert (label.verdict, label.note) == ("missed", "names the talks")
    redirected = client.post("/label", data=fields, follow_redirects=False)
    assert redirected.headers["location"] == f"/items/{match.item_id}"  # never off-site


def hit_items(page: str, change: str) -> set[int]:
    [block] = re.findall(rf'<ol class="hits {change}">(.*?)</ol>', page, re.S)
    return {int(found) for found in re.findall(r'data-item="(\d+)"', block)}


def rules_digest(folder: Path) -> str:
    return hashlib.sha256(
        b"".join(path.read_bytes() for path in sorted(folder.glob("*.yaml")))
    ).hexdigest()


def test_the_playground_shows_new_and_lost_hits_against_the_live_rule(
    client: TestClient, store: Store, demo: Settings
) -> None:
    before = rules_digest(demo.rules)
    stored = store.match_page(MatchFilter(), limit=1000)
    rule = stored[0].rule_id
    live_items = {m.item_id for m in stored if m.rule_id == rule}
    page = client.get("/playground", params={"rule": rule}).text
    assert f"- id: {rule}" in html.unescape(page)  # the live definition, to edit
    response = client.post(
        "/playground",
        data={
            "csrf": csrf_of(page),
            "rule": rule,
            "text": "Ukraine OR Kyiv",
            "since": "2000-01-01",
            "until": "2100-01-01",
        },
    )
    assert response.status_code == 200
    trial = response.text
    new, lost = hit_items(trial, "new"), hit_items(trial, "lost")
    assert new and new.isdisjoint(live_items)
    assert lost <= live_items
    counts = re.search(r'class="number new-count">(\d+)<', trial)
    assert counts and int(counts.group(1)) == len(new)
    assert "YAML to paste" in trial and "query: &#34;Ukraine OR Kyiv&#34;" in trial
    assert rules_digest(demo.rules) == before  # nothing written to rules/


def test_a_playground_edit_with_a_mistake_names_its_line_and_column(
    client: TestClient, demo: Settings
) -> None:
    page = client.get("/playground").text
    text = "- id: try-this\n  title: Try\n  query: '@XYZ AND talks'\n"
    response = client.post(
        "/playground",
        data={"csrf": csrf_of(page), "text": text, "since": "2000-01-01", "until": "2100-01-01"},
    )
    assert "playground.yaml:3:" in response.text and "unknown actor &#39;XYZ&#39;" in response.text
    assert "New hits" not in response.text
    typo = client.post(
        "/playground",
        data={"csrf": csrf_of(page), "text": "- id: x\n  titel: X\n  query: talks\n"},
    )
    assert "playground.yaml:2:3: rules.0.titel: unknown key" in html.unescape(typo.text)


def test_the_operator_tables_list_feeds_messages_and_recipients(
    client: TestClient, store: Store, demo: Settings
) -> None:
    from vigil.sources import load_feeds_file

    feeds = client.get("/feeds").text
    for spec in load_feeds_file(demo.feeds):
        assert html.escape(spec.name) in feeds
    outbox = client.get("/outbox").text
    for message in store.recent_messages(5):
        assert html.escape(message.subject) in outbox
    recipients = client.get("/recipients").text
    assert "analyst@example.org" in recipients and "each run" in recipients
