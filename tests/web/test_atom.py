"""The page serves the matches as Atom feeds per rule, tag and recipient; with a token, a feed
opens with its own key (a reader cannot log in), and that key opens nothing else."""

import re

import feedparser
from starlette.testclient import TestClient

from vigil.store import MatchFilter, Store


def _parsed(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo and parsed.version == "atom10"
    return parsed


def test_a_rules_feed_holds_its_matches_and_links_to_the_item_pages(
    client: TestClient, store: Store
) -> None:
    stored = store.match_page(MatchFilter(rule_ids=["bayraktar-tb2"]), limit=500)
    parsed = _parsed(client.get("/atom/rules/bayraktar-tb2"))
    assert len(parsed.entries) == len(stored) > 0
    assert [e.summary for e in parsed.entries] == [m.evidence for m in stored]
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    base = str(client.base_url).rstrip("/")
    assert self_links == [f"{base}/atom/rules/bayraktar-tb2"]
    without_link = [m for m in stored if not m.link]
    for match in without_link:  # the seed article has no link: its item page instead
        entry = parsed.entries[stored.index(match)]
        assert entry.link == f"{base}/items/{match.item_id}"


def test_tag_recipient_days_and_unknown_names(client: TestClient) -> None:
    tagged = _parsed(client.get("/atom/tags/mediation"))
    assert tagged.entries and all(
        "tag:mediation" in {t.term for t in e.tags} for e in tagged.entries
    )
    assert _parsed(client.get("/atom/recipients/default")).entries
    assert _parsed(client.get("/atom/rules/bayraktar-tb2?days=0")).entries == []
    assert client.get("/atom/rules/no-such-rule").status_code == 404
    assert client.get("/atom/tags/nothing").status_code == 404
    assert client.get("/atom/recipients/nobody").status_code == 404
    assert client.get("/atom/rules/bayraktar-tb2?days=-1").status_code == 400


def test_with_a_token_a_feed_opens_with_its_key_and_the_key_opens_nothing_else(
    guarded: TestClient,
) -> None:
    assert guarded.get("/atom/rules/bayraktar-tb2").status_code == 401
    headers = {"Authorization": "Bearer s3cret-token"}
    rules_page = guarded.get("/rules", headers=headers).text
    [feed_url] = re.findall(r'href="(/atom/rules/bayraktar-tb2\?key=[0-9a-f]+)"', rules_page)
    guarded.cookies.clear()
    assert _parsed(guarded.get(feed_url)).entries  # no token, no cookie: the key is enough
    key = feed_url.split("key=")[1]
    assert guarded.get(f"/atom/rules/minsk-normandy?key={key}").status_code == 401
    assert guarded.get(f"/matches?key={key}").status_code == 401
    assert guarded.get("/atom/rules/bayraktar-tb2?key=" + "0" * 32).status_code == 401
