from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest

from vigil.digest import DigestRenderer, build_digest
from vigil.rules import load_ruleset
from vigil.store.repo import StoredMatch

from .conftest import RULES, TEMPLATES


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
        digest.subject
        == "vigil: 2 matches — Turkish mediation offers (1), Bayraktar TB2 drones (1)"
    )


def test_nothing_to_say_gives_no_digest() -> None:
    assert build_digest([], load_ruleset(RULES), datetime.now(UTC)) is None


def test_html_escapes_feed_text_and_marks_evidence(digest) -> None:
    html = DigestRenderer(TEMPLATES).render_html(digest)
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
