"""layout: by-story: one entry per story (cluster) with its rules as badges and each rule's
evidence beneath, in text, HTML and Markdown; the same matches claimed as by-rule."""

from dataclasses import replace
from datetime import UTC, datetime

from vigil.digest import DigestRenderer, build_digest
from vigil.recipients import Recipient
from vigil.rules import load_ruleset
from vigil.store import StoredMatch

from tests.conftest import RULES, TEMPLATES, unstyled

NOW = datetime(2021, 12, 1, tzinfo=UTC)


def _match(pk: int, rule_id: str, item_id: int, evidence: str, cluster: int | None = None):
    return StoredMatch(
        id=pk, rule_id=rule_id, evidence=evidence, highlights=((0, 7),), terms=(), actors=(),
        score=1.0, item_id=item_id, title=f"Story {item_id}", outlet=f"Outlet {item_id}",
        link=f"https://e.org/{item_id}", published=datetime(2021, 11, 30, 9, item_id, tzinfo=UTC),
        date_missing=False, cluster_id=cluster,
    )  # fmt: skip


MATCHES = [
    _match(1, "turkish-mediation", 1, "Erdogan offered to mediate in Istanbul."),
    _match(2, "mediation-rejected", 1, "Peskov rejected the offer."),
    _match(3, "bayraktar-tb2", 1, "Bayraktar TB2 drones struck."),
    _match(4, "bayraktar-tb2", 2, "Another TB2 story.", cluster=2),
    _match(5, "bayraktar-tb2", 3, "A copy of story 2 on another feed.", cluster=2),
]


def _digests():
    ruleset = load_ruleset(RULES)
    by_rule = Recipient(id="desk", addresses=("desk@example.org",))
    by_story = replace(by_rule, layout="by-story")
    return (
        build_digest(MATCHES, ruleset, NOW, recipient=by_rule),
        build_digest(MATCHES, ruleset, NOW, recipient=by_story),
    )


def test_each_story_once_with_every_rule_it_matched() -> None:
    by_rule, by_story = _digests()
    assert by_story.layout == "by-story" and by_rule.layout == "by-rule"
    groups = by_story.story_groups
    # Stories 2 and 3 are one story on two feeds: one entry, led as by-rule leads it.
    assert [group.item.title for group in groups] == ["Story 1", "Story 2"]
    assert {hit.rule_id for hit in groups[0].rules} == {
        "turkish-mediation", "mediation-rejected", "bayraktar-tb2"
    }  # fmt: skip
    assert groups[1].item.also_reported_by == ("Outlet 3",)
    # The same matches are carried (and claimed): only the layout differs.
    assert sorted(by_story.match_ids) == sorted(by_rule.match_ids)
    assert by_rule.story_count == 4 and by_story.story_count == 2
    assert by_story.subject.startswith("vigil: 2 stories —")


def test_text_html_and_markdown_show_the_story_once_and_each_rules_evidence() -> None:
    _, by_story = _digests()
    renderer = DigestRenderer(TEMPLATES)
    text = renderer.render_text(by_story)
    html = unstyled(renderer.render_html(by_story))
    markdown = renderer.render_markdown(by_story)
    for rendered in (text, html, markdown):
        assert rendered.count("Story 1") == 1, rendered
        for evidence in ("Erdogan", "Peskov", "struck"):
            assert evidence in rendered
    assert "one entry per story, its rules beneath" in text
    assert 'id="rule-' not in html  # no per-rule sections


def test_by_rule_stays_the_default_and_repeats_a_story_under_each_rule() -> None:
    by_rule, _ = _digests()
    text = DigestRenderer(TEMPLATES).render_text(by_rule)
    assert text.count("* Story 1") == 3
