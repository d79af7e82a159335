"""The one-pass scanner: every occurrence, nested and overlapping, and agreement with the oracle."""

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.rules.scanner import TermScanner, oracle_scan
from vigil.rules.terms import Term
from vigil.text import fold


def scan(terms: list[str], text: str) -> dict[str, list[str]]:
    parsed = [
        Term.parse(t) if not t.startswith("case:") else Term.parse(t[5:], case_sensitive=True)
        for t in terms
    ]
    hits = TermScanner(parsed).scan(fold(text))
    return {str(term): [text[a:b] for a, b in spans] for term, spans in hits.items()}


def test_nested_and_overlapping_occurrences_are_all_reported() -> None:
    found = scan(
        ["Minsk", "Minsk agreements", "agreements", "TB2", "Bayraktar TB2"],
        "the Minsk agreements and a Bayraktar TB2",
    )
    assert found == {
        "Minsk": ["Minsk"],
        '"Minsk agreements"': ["Minsk agreements"],
        "agreements": ["agreements"],
        "TB2": ["TB2"],
        '"Bayraktar TB2"': ["Bayraktar TB2"],
    }


def test_overlapping_occurrences_of_one_phrase() -> None:
    assert scan(["new york new"], "new york new york new") == {
        '"new york new"': ["new york new", "new york new"]
    }


def test_hyphen_space_and_joint_variants() -> None:
    text = "TB2, TB-2, TB 2, tb2s, S-400 and S400"
    assert scan(["TB2", "S-400"], text) == {
        "TB2": ["TB2", "TB-2", "TB 2"],
        "S-400": ["S-400", "S400"],
    }


def test_offsets_point_at_the_original_text_after_irregular_folds() -> None:
    text = "Straße, Ærø and Erdoğan’s offer; ﬁnal İstanbul talks"
    found = scan(["strasse", "aero", "Erdogan's", "final", "istanbul talks"], text)
    assert found == {
        "strasse": ["Straße"],
        "aero": ["Ærø"],
        "Erdogan's": ["Erdoğan’s"],
        "final": ["ﬁnal"],
        '"istanbul talks"': ["İstanbul talks"],
    }


def test_wildcard_stem_and_case() -> None:
    text = "Mediators mediated; the media and TB2 versus tb2"
    assert scan(["mediat*"], text) == {"mediat*": ["Mediators", "mediated"]}
    assert scan(["~mediate"], text) == {"~mediate": ["Mediators", "mediated"]}  # not "media"
    assert scan(["case:TB2"], text) == {"case:TB2": ["TB2"]}
    assert scan(["case:TB2*"], "TB2s and tb2s") == {"case:TB2*": ["TB2s"]}


def test_cyrillic_aliases() -> None:
    assert scan(["Эрдоган", "Киев"], "ЭРДОГАН прибыл в Киев.") == {
        "Эрдоган": ["ЭРДОГАН"],
        "Киев": ["Киев"],
    }


WORDS = [
    "minsk",
    "Minsk",
    "agreement",
    "agreements",
    "tb",
    "TB2",
    "2",
    "bayraktar",
    "Erdoğan",
    "erdogan",
    "straße",
    "strasse",
    "media",
    "mediate",
    "mediation",
    "new",
    "york",
    "s",
    "x1",
    "ı",
    "İ",
]
SEPARATORS = [" ", " ", " ", "-", "'s ", ", ", ". ", "\n", "’", "—", ""]
TERMS = [
    "minsk",
    "minsk agreement*",
    "agreement",
    "tb2",
    "TB-2",
    "bayraktar tb2",
    "erdogan",
    "Erdogan's",
    "strasse",
    "~mediate",
    "mediat*",
    "new york new",
    "s",
    "x1",
    "i",
    "case:TB2",
    "case:Minsk",
    "2",
]


@st.composite
def texts(draw: st.DrawFn, words: list[str] = WORDS, separators: list[str] = SEPARATORS) -> str:
    """Up to 25 of ``words``, each followed by one of ``separators``."""
    parts = draw(
        st.lists(st.tuples(st.sampled_from(words), st.sampled_from(separators)), max_size=25)
    )
    return "".join(word + sep for word, sep in parts)


def parse_term(raw: str) -> Term:
    """A term as written in a test list: ``case:`` makes it case-sensitive."""
    if raw.startswith("case:"):
        return Term.parse(raw[5:], case_sensitive=True)
    return Term.parse(raw)


@settings(max_examples=500, deadline=None)
@given(text=texts(), chosen=st.lists(st.sampled_from(TERMS), min_size=1, max_size=8, unique=True))
def test_scanner_agrees_with_the_one_regex_per_term_oracle(text: str, chosen: list[str]) -> None:
    terms = [parse_term(t) for t in chosen]
    folded = fold(text)
    assert TermScanner(terms).scan(folded) == oracle_scan(terms, folded)
