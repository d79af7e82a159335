"""Articles named on the command line: a folder, a file, a stored item id."""

from pathlib import Path

import pytest

from vigil.errors import SourceError
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.sources.named import articles_named

from tests.conftest import SEED


def test_a_folder_a_file_and_a_stored_item(settings: Settings, tmp_path: Path) -> None:
    run_once(Monitor(settings))  # the seed article folder is read first: item 1
    (seed_file,) = sorted(SEED.glob("*.txt"))
    skipped: list[str] = []
    found = articles_named(
        [str(SEED), str(seed_file), "1"], settings.store_url, skipped=skipped.append
    )
    labels = [label for label, _ in found]
    assert labels[-1] == "item 1" and str(seed_file) in labels
    assert found[0][1].title == found[1][1].title == found[2][1].title
    assert skipped == []


def test_an_unreadable_file_in_a_folder_is_skipped_and_named(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "A title / A. Writer\nTurkey offers talks.\n", encoding="utf-8"
    )
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00 not text")
    skipped: list[str] = []
    found = articles_named([str(folder)], settings.store_url, skipped=skipped.append)
    assert [article.title for _, article in found] == ["A title"]
    assert len(skipped) == 1 and "bad.txt" in skipped[0]


def test_a_missing_item_and_a_nonsense_name_are_errors(settings: Settings) -> None:
    with pytest.raises(SourceError, match="no stored item with id 999"):
        articles_named(["999"], settings.store_url, skipped=print)
    with pytest.raises(SourceError, match="no such file or folder"):
        articles_named(["no-such-thing.txt"], settings.store_url, skipped=print)
