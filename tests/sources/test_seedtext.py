from pathlib import Path

import pytest

from vigil.errors import SourceError
from vigil.sources import parse_article_text, read_article_folder

from tests.conftest import SEED

_FILE = "000_d559b906ddc29fbf.txt"  # the seed article, as shipped in examples/articles


def test_seed_article_title_author_and_metadata() -> None:
    (article,) = read_article_folder(SEED)
    assert article.title == "Why Putin rejected Erdogan's offer to mediate over Ukraine"
    assert article.author == "Nicholas Morgan"
    assert article.metadata == {"reporter_code": "50101", "origin": f"article file {_FILE}"}
    assert "Reporter's code" not in article.body
    assert article.body.startswith("Turkey has found itself in a precarious position")
    assert article.body.endswith('"Turkey is not seen as a mediator that can make any changes."')
    # The seed carries no date: vigil dates it when it first sees it (the store does) and says
    # so; the file's modification time says nothing of the news.
    assert article.published is None and article.date_missing


def test_body_is_normalised_and_id_is_stable_across_reads() -> None:
    text = "Title / Someone\nErdog\u0306an\u00a0spoke.\nReporter\u2019s code: 7\n"
    first = parse_article_text(text, outlet="x")
    assert first.body == "Erdoğan spoke."
    assert first.metadata == {"reporter_code": "7"}
    assert first.canonical_id == parse_article_text(text, outlet="x").canonical_id
    assert first.canonical_id.startswith("feed:x|sha256:")  # scoped to its outlet


def test_title_may_contain_slashes_author_follows_the_last_one() -> None:
    article = parse_article_text("TB2 / Akıncı sales / A. Writer\nBody.", outlet="x")
    assert (article.title, article.author) == ("TB2 / Akıncı sales", "A. Writer")


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"empty\.txt: empty article file"):
        read_article_folder(tmp_path)


def test_non_utf8_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Titre / Auteur\nÉté".encode("latin-1"))
    with pytest.raises(SourceError, match=r"latin1\.txt: not UTF-8"):
        read_article_folder(tmp_path)
