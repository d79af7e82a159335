"""The words an item holds for the word index, and the queries over them."""

from hypothesis import given
from hypothesis import strategies as st

from vigil.words import (
    MAX_WORD,
    AllOf,
    AnyOf,
    Word,
    all_of,
    any_of,
    holds,
    item_words,
    leading_word,
    phrase_words,
)


def test_words_are_folded_runs_of_letters_or_of_digits() -> None:
    words = item_words("Bayraktar TB-2 hits", "Akıncı and TB2s; Erdoğan's Su-25.").split()
    assert {"bayraktar", "tb", "2", "akinci", "erdogan", "s", "su", "25"} <= set(words)
    # A letter–digit joint splits, as it does in rule terms.
    assert "tb2" not in words and "2s" not in words
    assert words == sorted(set(words))


def test_non_ascii_text_also_gives_the_ascii_runs_of_its_original() -> None:
    # RE2's \b is ASCII: /\bTB2/ matches in "ŞTB2", where folding glues "s" to "tb".
    words = item_words("ŞTB2 deliveries", "").split()
    assert "stb" in words and "tb" in words


def test_a_long_word_is_kept_by_its_first_characters() -> None:
    word = "x" * (MAX_WORD + 25)
    assert item_words(word, "") == "x" * MAX_WORD
    query = phrase_words(word)
    assert query == Word("x" * MAX_WORD, prefix=True)
    assert holds(query, item_words(word + "yz", ""))


def test_queries_simplify_as_logic_says() -> None:
    a, b = Word("a"), Word("b", prefix=True)
    assert all_of([None, a, None]) == a
    assert all_of([None]) is None
    assert any_of([a, None]) is None  # one branch needs nothing: nothing is needed
    assert any_of([a, any_of([b, a])]) == AnyOf((a, b))
    assert all_of([a, AllOf((a, b))]) == AllOf((a, b))


def test_phrases_need_every_word_and_open_endings_a_prefix() -> None:
    assert phrase_words("bayraktar tb2") == AllOf((Word("bayraktar"), Word("tb"), Word("2")))
    assert phrase_words("mediat", open_end=True) == Word("mediat", prefix=True)
    assert phrase_words("...") is None


def test_a_regex_literal_names_the_start_of_a_word() -> None:
    assert leading_word("TB") == Word("tb", prefix=True)
    assert leading_word("_x") is None


@given(st.lists(st.sampled_from(["tb", "2", "drone", "drones", "ankara", "kyiv"]), max_size=6))
def test_holds_reads_words_and_prefixes(present: list[str]) -> None:
    words = " ".join(sorted(set(present)))
    query = AnyOf((Word("drone", prefix=True), AllOf((Word("tb"), Word("2")))))
    expected = any(w.startswith("drone") for w in present) or {"tb", "2"} <= set(present)
    assert holds(query, words) == expected


_LETTERS = st.sampled_from(list("aTb2Z9ŞçıÉß-_ ’'.\\n"))


@given(st.text(_LETTERS, max_size=40))
def test_every_word_start_a_regex_can_see_is_a_word_or_the_start_of_one(text: str) -> None:
    """What a regex's leading word relies on: an ASCII run of the original that starts after a
    non-word character (RE2's ``\\b``) begins some stored word."""
    import re

    words = item_words(text, "").split()
    for run in re.finditer(r"(?<![A-Za-z0-9_])(?:[A-Za-z]+|[0-9]+)", text):
        first = run.group().lower()
        assert any(word.startswith(first[:MAX_WORD]) for word in words), (text, first)


@given(st.text(_LETTERS, max_size=40))
def test_the_fast_ascii_path_finds_the_words_the_unicode_pattern_finds(text: str) -> None:
    import re

    from vigil.text import fold

    folded = fold(text).folded
    expected = set(re.findall(r"[^\W\d_]+|\d+", folded))
    assert expected <= set(item_words(text, "").split())
