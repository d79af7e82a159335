"""A NUL in a feed's text (JSON Feed can carry "\\u0000") is dropped where every source's text
passes, so PostgreSQL, which cannot store it, never fails the batch: the other outlets' items
written with it are stored too."""

from vigil.article import Article
from vigil.store import NewItem, Store


def test_nul_is_dropped_and_the_batch_is_stored(database_url: str) -> None:
    store = Store(database_url)
    try:
        hostile = Article(
            title="Bayraktar\x00 TB2", body="Drones\x00 struck.", outlet="Hostile\x00 Feed",
            link="https://h.example/\x00a", author="A\x00B", guid="g\x00",
        )  # fmt: skip
        other = Article(title="Talks in Istanbul", body="Ankara hosted talks.", outlet="Other",
                        link="https://o.example/1")  # fmt: skip
        written, _ = store.write_batch([NewItem(hostile, "h", []), NewItem(other, "o", [])])
        assert len(written) == 2
        stored = {item.article.outlet: store.article(item.item_id) for item in written}
        assert stored["Hostile Feed"] is not None and stored["Other"] is not None
        assert stored["Hostile Feed"].title == "Bayraktar TB2"
        assert stored["Hostile Feed"].link == "https://h.example/a"
        assert "\x00" not in stored["Hostile Feed"].body + (stored["Hostile Feed"].author or "")
    finally:
        store.close()
