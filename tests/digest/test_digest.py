import re
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest

from vigil.digest import DigestRenderer, Kind, build_digest
from vigil.rules import load_ruleset
from vigil.store import StoredMatch

from tests.conftest import INSTANTS, RULES, TEMPLATES, unstyled

NOW = INSTANTS["12:45Z"]  # rendering does not depend on the hour; one pinned instant


def _stored(rule_id: str, title: str, evidence: str, highlights, link="https://e.org/a", pk=1):
    return StoredMatch(
        id=pk,
        rule_id=rule_id,
        evidence=evidence,
        highlights=highlights,
        terms=(),
        actors=("RUS", "TUR"),
        score=1.0,
        item_id=pk,
        title=title,
        outlet="Outlet <b>",
        link=link,
        published=datetime(2021, 11, 30, 9, 0, tzinfo=UTC),
        date_missing=False,
    )


@pytest.fixture(scope="module")
def digest():
    matches = [
        _stored(
            "bayraktar-tb2",
            "TB2 <script>alert(1)</script>",
            "Bayraktar TB2 drones",
            ((0, 9), (10, 13)),
            pk=1,
        ),
        _stored(
            "turkish-mediation",
            "Offer",
            "Erdogan offered to mediate.",
            ((19, 26),),
            link="javascript:alert(1)",
            pk=2,
        ),
    ]
    return build_digest(matches, load_ruleset(RULES), datetime(2021, 12, 1, tzinfo=UTC))


def test_subject_counts_matches_and_names_rules_high_severity_first(digest) -> None:
    assert (
        digest.subject == "vigil: 2 stories — Turkish mediation offers and peace efforts (1), "
        "Bayraktar TB2 drones (1)"
    )


def test_nothing_to_say_gives_no_digest() -> None:
    assert build_digest([], load_ruleset(RULES), NOW) is None


def test_html_escapes_feed_text_and_marks_evidence(digest) -> None:
    html = unstyled(DigestRenderer(TEMPLATES).render_html(digest))
    assert "<script>alert(1)</script>" not in html
    assert "TB2 &lt;script&gt;" in html
    assert "<mark>Bayraktar</mark> <mark>TB2</mark> drones" in html
    assert "Erdogan offered to <mark>mediate</mark>." in html
    assert 'href="javascript:' not in html
    assert 'href="https://e.org/a"' in html


def test_text_alternative_has_the_same_content(digest) -> None:
    text = DigestRenderer(TEMPLATES).render_text(digest)
    assert "**Bayraktar** **TB2** drones" in text
    assert "Erdogan offered to **mediate**." in text
    assert "https://e.org/a" in text and "Actors: RUS, TUR" in text


def test_with_vigil_web_url_each_story_links_to_its_item_page(digest) -> None:
    plain = DigestRenderer(TEMPLATES)
    linked = DigestRenderer(TEMPLATES, web_url="https://news.example.org/vigil/")
    item_ids = [story.main.item_id for s in digest.sections for story in s.stories]
    html, text, markdown = (
        linked.render_html(digest),
        linked.render_text(digest),
        linked.render_markdown(digest),
    )
    for item_id in item_ids:
        page = f"https://news.example.org/vigil/items/{item_id}"
        assert f'href="{page}"' in html
        assert f"Why it matched: {page}" in text
        assert f"[why](<{page}>)" in markdown
    assert "/items/" not in plain.render_html(digest) + plain.render_text(digest)


def test_message_is_multipart_alternative_with_one_line_subject(digest) -> None:
    message = DigestRenderer(TEMPLATES).compose(
        digest, sender="vigil@example.org", recipients=["a@example.org", "b@example.org"]
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"] == "a@example.org, b@example.org"
    assert message["Message-ID"].endswith("@example.org>")
    assert "\n" not in message["Subject"]


def test_template_typo_fails_loudly(tmp_path: Path, digest) -> None:
    (tmp_path / "digest.txt.j2").write_text("{{ digest.sujbect }}", encoding="utf-8")
    (tmp_path / "digest.html.j2").write_text("<p>{{ digest.subject }}</p>", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError, match="sujbect"):
        DigestRenderer(tmp_path).render_text(digest)


def _hostile(pk: int = 7) -> StoredMatch:
    evidence = "Erdogan\u202e said <img src=x onerror=alert(1)> he would mediate\x07."
    start = evidence.index("mediate")
    return StoredMatch(
        id=pk,
        rule_id="turkish-mediation",
        evidence=evidence,
        highlights=((start, start + 7),),
        terms=(),
        actors=("TUR",),
        score=1.0,
        source="TUR",
        target="RUS",
        item_id=pk,
        title="Offer\u202e <a href='https://evil.example'>[click](javascript:x)</a>",
        outlet="Wire\x00 *Service*",
        link="https://e.org/\u202ex",
        published=datetime(2021, 11, 30, 21, 30, tzinfo=UTC),
        date_missing=False,
    )


@pytest.fixture(scope="module")
def istanbul():
    from zoneinfo import ZoneInfo

    from vigil.recipients import Recipient

    return Recipient(
        id="desk",
        name="Ankara desk",
        addresses=("d@example.org",),
        zone=ZoneInfo("Europe/Istanbul"),
    )


def test_feed_text_is_sanitised_before_any_template_sees_it(istanbul) -> None:
    digest = build_digest([_hostile()], load_ruleset(RULES), NOW, recipient=istanbul)
    (story,) = digest.sections[0].stories
    assert "\u202e" not in story.item.title and "\x00" not in story.item.outlet
    assert story.item.link == "https://e.org/x"
    # The evidence HTML is escaped text plus bare <mark> tags: nh3 lets nothing else through.
    assert str(story.item.evidence_html) == (
        "Erdogan said &lt;img src=x onerror=alert(1)&gt; he would <mark>mediate</mark>."
    )
    html = DigestRenderer(TEMPLATES).render_html(digest)
    assert "<img" not in html and "<a href='https" not in html and "evil.example'>" not in html
    assert "\u202e" not in html and "\x07" not in html


def test_html_has_inlined_css_and_fetches_nothing(digest) -> None:
    html = DigestRenderer(TEMPLATES).render_html(digest)
    # Inlined: the story boxes carry their style; only the media query stays in <style>.
    assert re.search(r'<div class="story" style="[^"]*border-left: 4px solid', html)
    style_blocks = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert all(block.strip().startswith("@media") for block in style_blocks)
    for remote in ("<img", "<link", "<script", "url(", "@import", " src="):
        assert remote not in html
    assert '<meta name="viewport" content="width=device-width' in html


def test_header_counts_rules_and_footer_names_where_they_live(digest) -> None:
    html = unstyled(DigestRenderer(TEMPLATES).render_html(digest))
    assert re.search(
        r"Turkish mediation offers and peace efforts</a> "
        r'<span class="sev sev-high">high</span></td>'
        r'\s*<td class="n">1</td>',
        html,
    )
    assert "<code>bayraktar-tb2</code> (" in html and "drones.yaml:" in html


def test_dates_are_shown_in_the_recipients_time_zone(istanbul) -> None:
    digest = build_digest([_hostile()], load_ruleset(RULES), NOW, recipient=istanbul)
    renderer = DigestRenderer(TEMPLATES)
    # 21:30 UTC on 30 November is 00:30 on 1 December in Istanbul (UTC+3).
    for rendered in (renderer.render_text(digest), renderer.render_html(digest)):
        assert "01 Dec 2021 00:30 +03" in rendered
        assert "30 Nov 2021 21:30" not in rendered
    assert "TUR → RUS" in renderer.render_text(digest)


def test_markdown_for_the_prefect_ui_escapes_feed_text(istanbul) -> None:
    digest = build_digest([_hostile()], load_ruleset(RULES), NOW, recipient=istanbul)
    markdown = DigestRenderer(TEMPLATES).render_markdown(digest)
    assert "\\[click\\](javascript:x)" in markdown
    assert not re.search(r"(?<!\\)\]\(javascript:", markdown)  # no live link from a feed
    assert "\\*Service\\*" in markdown
    assert "[Offer" in markdown and "(<https://e.org/x>)" in markdown
    assert "**mediate**" in markdown


def test_a_heartbeat_says_nothing_new_since_the_last_message(istanbul) -> None:
    since = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    digest = build_digest(
        [],
        load_ruleset(RULES),
        NOW,
        kind=Kind.HEARTBEAT,
        recipient=istanbul,
        since=since,
    )
    assert digest.subject == "vigil: nothing new since 27 Nov 08:00"
    text = DigestRenderer(TEMPLATES).render_text(digest)
    assert "Nothing new matched your rules since 27 Nov 2026 08:00 +03." in text
    assert "No matches in this period." in DigestRenderer(TEMPLATES).render_html(digest)


def test_user_templates_override_and_missing_ones_fall_back(tmp_path: Path, digest) -> None:
    (tmp_path / "digest.txt.j2").write_text("Custom: {{ digest.subject }}\n", encoding="utf-8")
    renderer = DigestRenderer(tmp_path)
    assert renderer.render_text(digest).startswith("Custom: vigil: 2 stories")
    assert '<h2 id="rule-bayraktar-tb2"' in renderer.render_html(digest)  # the bundled HTML


def test_an_alert_subject_names_the_rule_and_the_story(istanbul) -> None:
    digest = build_digest(
        [_hostile()], load_ruleset(RULES), NOW, kind=Kind.ALERT, recipient=istanbul
    )
    assert digest.subject.startswith(
        "vigil ALERT: Turkish mediation offers and peace efforts: Offer <a href="
    )
    assert "\u202e" not in digest.subject


def test_a_flood_of_matches_makes_a_readable_message_that_still_carries_them_all() -> None:
    flood = [
        _stored("bayraktar-tb2", f"Drone story {n}", "Bayraktar TB2 drones", ((0, 9),), pk=n)
        for n in range(1, 41)
    ] + [
        _stored("turkish-mediation", f"Offer {n}", "Erdogan offered to mediate.", ((19, 26),), pk=n)
        for n in range(41, 51)
    ]
    digest = build_digest(flood, load_ruleset(RULES), NOW, per_rule=25, in_all=30)
    mediation, drones = digest.sections  # high severity first, and first served
    assert (len(mediation.stories), mediation.hidden_stories) == (10, 0)
    assert (len(drones.stories), drones.hidden_stories) == (20, 20)
    assert digest.match_count == 50 and sorted(digest.match_ids) == list(range(1, 51))
    text = DigestRenderer(TEMPLATES).render_text(digest)
    assert "…and 20 more stories for this rule" in text
    assert "vigil matches export --rule bayraktar-tb2" in text
    assert "Bayraktar TB2 drones [medium] — 40 stories" in text
