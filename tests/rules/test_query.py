"""The query language: one test per construct, its errors, and a fuzz test of the parser."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.article import Article
from vigil.errors import QueryError
from vigil.rules.document import Document
from vigil.rules.query import TermNode, parse_query, query_text, walk
from vigil.rules.scanner import TermScanner


def holds(query: str, title: str, body: str = "") -> bool:
    """Evaluate ``query`` on an article, with a scanner built from the query's own terms."""
    node = parse_query(query)
    terms = [n.term for n in walk(node) if isinstance(n, TermNode)]
    doc = Document(Article(title=title, body=body, outlet="x"))
    doc.term_hits = TermScanner(terms).scan(doc.folded)
    return node.evaluate(doc, (0, len(doc.text))) is not None


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("Erdogan", "ERDOĞAN spoke", True),
        ("mediat*", "an offer of mediation", True),
        ("mediat*", "an immediate reply", False),
        ('"Bayraktar TB2"', "a Bayraktar  TB-2 drone", True),
        ("TB2", "the TB 2 and TB-2", True),
        ("case:TB2", "the tb2 file", False),
        ("case:TB2", "the TB-2 drone", True),
        ("~mediate", "mediating between them", True),
        ("~mediate", "the media reported", False),
        ("Erdogan", "Erdogan's offer", True),
        ("Minsk AND agreement", "Minsk agreement", True),
        ("Minsk agreement", "Minsk hosted an agreement signing", True),  # implicit AND
        ("Minsk OR Normandy", "the Normandy beaches", True),
        ("Minsk NOT metro", "the Minsk metro", False),
        ("Minsk AND NOT metro", "the Minsk accord", True),
        ("(Minsk OR Normandy) AND format", "the Normandy format", True),
        ("Minsk NEAR/2 agreement*", "the Minsk peace agreements", True),
        ("Minsk NEAR/1 agreement*", "the Minsk peace agreements", False),
        ("agreement* NEAR/2 Minsk", "the Minsk peace agreements", True),
        ("/Su-?2[457]/", "a Su-25 jet", True),
        ("ORANGE or", "orange or apple", True),
    ],
)
def test_constructs(query: str, text: str, expected: bool) -> None:
    assert holds(query, text) is expected


def test_title_and_body_scopes() -> None:
    assert holds("title:Erdogan", "Erdogan speaks", "Nothing here.")
    assert not holds("title:Erdogan", "A speech", "Erdogan spoke.")
    assert holds("body:Erdogan", "A speech", "Erdogan spoke.")
    assert not holds("body:speech", "A speech", "Erdogan spoke.")


def test_sentence_and_paragraph_scopes() -> None:
    body = "Turkey offered talks. Russia declined.\nRussia and Turkey met."
    assert not holds("sentence:(offered AND declined)", "", body)
    assert holds("paragraph:(offered AND declined)", "", body)
    assert not holds("paragraph:(offered AND met)", "", body)
    assert holds("sentence:(Russia AND Turkey)", "", body)


@pytest.mark.parametrize(
    ("query", "column", "message"),
    [
        ("Minsk AND", 7, "ends too early"),
        ("(Minsk OR Kyiv", 11, "ends too early"),
        ("Minsk) OR Kyiv", 6, "')' without a matching '('"),
        ("AND Minsk", 1, "AND without a left side"),
        ('"Minsk agreement', 1, "never closed"),
        ("foo:bar", 4, "unknown scope 'foo:'"),
        ("me*diate", 1, "'*' is only allowed once"),
        ("Minsk NEAR/3 (a AND b)", 7, "NEAR/3 needs words"),
        ("/(a)\\1/", 1, "linear-time RE2 engine"),
        ("NOT Minsk", None, "at least one word"),
        ("  ", 1, "empty query"),
    ],
)
def test_errors_say_where_and_what(query: str, column: int | None, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.column == column
    assert message in caught.value.message


def test_query_text_round_trips() -> None:
    source = 'title:(Erdogan OR "Recep Tayyip") AND Minsk NEAR/3 accord* AND NOT case:TB2 AND @TUR'
    text = query_text(parse_query(source))
    assert query_text(parse_query(text)) == text


ALPHABET = st.sampled_from(
    [
        *'abcXYZ ()"*:/@-~\\\n',
        *["AND", " OR ", "NOT ", "NEAR/2", "title:", "sentence:", "@TUR", "ğ", "İ"],
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=20).map("".join))
def test_any_input_parses_or_gives_a_clean_error(text: str) -> None:
    try:
        node = parse_query(text)
    except QueryError as exc:
        assert exc.message
        assert exc.column is None or 1 <= exc.column <= len(text) + 1
    else:
        assert query_text(node)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_unicode_parses_or_gives_a_clean_error(text: str) -> None:
    try:
        parse_query(text)
    except QueryError as exc:
        assert exc.message
