from vigil.text import fold, fold_term, normalise_text, sentence_spans


def test_fold_is_case_and_diacritic_insensitive() -> None:
    assert fold("Erdoğan").folded == fold("ERDOGAN").folded == "erdogan"
    assert fold_term("Çavuşoğlu") == fold_term("CAVUSOGLU")
    # Letters decomposition leaves alone, and Turkish dotted/dotless i.
    assert fold("İstanbul ısı Łódź Ærø straße").folded == "istanbul isi lodz aero strasse"


def test_fold_keeps_offsets_into_the_original() -> None:
    text = "Der Straße nach Erdoğan’s"
    folded = fold(text)
    start = folded.folded.index("erdogan's")
    begin, end = folded.span_in_original(start, start + len("erdogan's"))
    assert text[begin:end] == "Erdoğan’s"
    begin, end = folded.span_in_original(
        folded.folded.index("strasse"), folded.folded.index("strasse") + 7
    )
    assert text[begin:end] == "Straße"


def test_normalise_text_unifies_spaces_and_composition() -> None:
    decomposed = "Erdog\u0306an\u00a0said\u200b"
    assert normalise_text(decomposed) == "Erdoğan said"


def test_sentences_do_not_break_after_abbreviations() -> None:
    text = 'He met Mr. Putin on Monday. "No," said Dr. Has! Then what?\nNew paragraph'
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "He met Mr. Putin on Monday.",
        '"No," said Dr. Has!',
        "Then what?",
        "New paragraph",
    ]
