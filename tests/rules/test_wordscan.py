"""The ASCII Aho–Corasick path agrees with the oracle and with the general path."""

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.rules.scanner import TermScanner, oracle_scan
from vigil.text import fold

from tests.rules.test_scanner import parse_term, texts

WORDS = ["u", "s", "U.S", "net", ".net", "o'neill", "tb", "TB2", "2", "new", "york", "mediators"]
WORDS += ["mediate", "media", "at", "t", "AT&T", "x_1", "_", "Minsk", "minsk", "agreements"]
SEPARATORS = [" ", " ", "-", ".", ". ", ", ", "'", "&", "\n", "", "__", "(", ")"]
TERMS = ["u.s.", "u s", "U.S", ".net", "net", "o'neill", "o neill", "tb2", "TB-2", "new york"]
TERMS += ["new york new", "~mediate", "mediat*", "media", "at&t", "at t", "x_1", "case:TB2"]
TERMS += ["case:Minsk*", "minsk agreement*", "s", "2", "case:U.S", "tb 2*"]


@settings(max_examples=500, deadline=None)
@given(
    text=texts(WORDS, SEPARATORS),
    chosen=st.lists(st.sampled_from(TERMS), min_size=1, max_size=8, unique=True),
)
def test_ascii_path_agrees_with_the_oracle_and_the_general_path(
    text: str, chosen: list[str]
) -> None:
    terms = [parse_term(t) for t in chosen]
    folded = fold(text)
    assert folded.folded.isascii()
    scanner = TermScanner(terms)
    found = scanner.scan(folded)
    assert found == oracle_scan(terms, folded)
    assert found == scanner.scan_general([folded])[0]


def test_ascii_folds_of_non_ascii_originals_map_back() -> None:
    """ß folds to "ss" (ASCII): the spans point at the original, case is read there."""
    text = "Straße and STRASSE, Ærø; the Straßenbahn"
    terms = [parse_term(t) for t in ["strasse", "case:STRASSE", "aero", "strassen*", "case:Str*"]]
    folded = fold(text)
    assert folded.folded.isascii() and folded.irregular
    found = TermScanner(terms).scan(folded)
    assert found == oracle_scan(terms, folded)
    assert [text[a:b] for a, b in found[terms[0]]] == ["Straße", "STRASSE"]
