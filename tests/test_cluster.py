"""The same wire story on several feeds is one story in the digest."""

import zlib
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH
from sqlalchemy import select

from vigil import cluster
from vigil.article import Article
from vigil.cluster import (
    BANDS,
    NUM_PERM,
    ROWS,
    SCHEME,
    THRESHOLD,
    BandIndex,
    Clusterer,
    sketches,
    to_bytes,
)
from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings
from vigil.store.schema import items

from tests.conftest import FeedServer, changed, write_feeds_file
from tests.conftest import maildir_messages as _maildir_messages

WIRE = (
    "Russian President Vladimir Putin on Tuesday rejected an offer by Turkish President Recep "
    "Tayyip Erdogan to mediate between Moscow and Kyiv, the Kremlin said. Spokesman Dmitry "
    "Peskov told reporters that Russia was not a party to the conflict in eastern Ukraine and "
    "urged Ankara to use its influence on Kyiv to implement the Minsk agreements instead."
)
COPIES = {
    "wire-a.xml": ("Kremlin rejects Erdogan's offer to mediate", WIRE),
    "wire-b.xml": (
        "Putin rejects Turkish mediation offer - Kremlin",
        WIRE + " Reporting by staff.",
    ),
    "wire-c.xml": ("Russia turns down Erdogan mediation offer", "MOSCOW (Reuters) - " + WIRE),
}
OTHER = (
    "Drone deal",
    "Ukraine ordered more Bayraktar TB2 drones from Baykar on Monday, officials said.",
)


def _rss(title: str, body: str, guid: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{title}</title><guid>{guid}</guid><description>{body}</description></item>"
        "</channel></rss>"
    )


def signature(article: Article) -> MinHash:
    """The reference: datasketch's own MinHash of the article's shingles, its default seed."""
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME, hashfunc=zlib.crc32)
    minhash.update_batch(cluster._shingles(article))
    return minhash


def from_bytes(data: bytes) -> MinHash:
    values = np.frombuffer(data, dtype=np.uint32)
    return MinHash(num_perm=NUM_PERM, hashvalues=values, scheme=SCHEME, hashfunc=zlib.crc32)


def test_permutations_and_bands_are_datasketch_s() -> None:
    a, b = MinHash(num_perm=NUM_PERM, scheme=SCHEME, hashfunc=zlib.crc32).permutations
    ours = cluster._permutations()
    assert (ours[0] == a).all() and (ours[1] == b).all()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (BANDS, ROWS)


def test_signatures_survive_storage_and_find_near_duplicates() -> None:
    a = signature(Article(title=COPIES["wire-a.xml"][0], body=WIRE, outlet="A"))
    b = signature(Article(title=COPIES["wire-b.xml"][0], body=WIRE + " More.", outlet="B"))
    other = signature(Article(title=OTHER[0], body=OTHER[1], outlet="C"))
    assert from_bytes(to_bytes(a)).jaccard(a) == 1.0
    clusterer = Clusterer([(1, 1, to_bytes(a))])
    assert clusterer.cluster_of(b) == 1
    assert clusterer.cluster_of(other) is None


def test_three_feeds_one_story(settings: Settings, feed_server: FeedServer, tmp_path: Path) -> None:
    feeds = []
    for index, (name, (title, body)) in enumerate(COPIES.items()):
        (feed_server.root / name).write_text(_rss(title, body, f"urn:{name}"), encoding="utf-8")
        feeds.append((f"Outlet {'ABC'[index]}", feed_server.url(name)))
    (feed_server.root / "other.xml").write_text(_rss(*OTHER, "urn:other"), encoding="utf-8")
    feeds.append(("Outlet D", feed_server.url("other.xml")))
    monitor = Monitor(
        changed(settings, feeds=write_feeds_file(tmp_path / "f.yaml", feeds), articles="")
    )
    summary = run_once(monitor)
    assert summary.ok and summary.new_items == 4

    with monitor.store.engine.connect() as conn:
        clusters = {row.outlet: row.cluster_id for row in conn.execute(select(items))}
    assert clusters["Outlet A"] == clusters["Outlet B"] == clusters["Outlet C"]
    assert clusters["Outlet D"] != clusters["Outlet A"]

    (message,) = _maildir_messages(settings.outbox)
    text = message.get_body(("plain",)).get_content()
    # Each rule section lists the story once (under one of its three titles), never three times.
    bodies = text.split("=" * 72)[2::2]
    titles = [title for title, _ in COPIES.values()]
    shown = [sum(body.count(f"* {title}") for title in titles) for body in bodies]
    assert max(shown) == 1 and shown.count(1) >= 2, shown
    assert text.count("Also reported by") == shown.count(1)
    html = message.get_body(("html",)).get_content()
    assert "Also reported by" in html


def test_a_later_copy_joins_the_earlier_cluster(
    settings: Settings, feed_server: FeedServer, tmp_path: Path
) -> None:
    (feed_server.root / "a.xml").write_text(_rss(*COPIES["wire-a.xml"], "urn:a"), encoding="utf-8")
    feeds_file = write_feeds_file(tmp_path / "f.yaml", [("Outlet A", feed_server.url("a.xml"))])
    run_once(Monitor(changed(settings, feeds=feeds_file, articles="")))
    (feed_server.root / "b.xml").write_text(_rss(*COPIES["wire-b.xml"], "urn:b"), encoding="utf-8")
    feeds_file = write_feeds_file(
        tmp_path / "f.yaml",
        [("Outlet A", feed_server.url("a.xml")), ("Outlet B", feed_server.url("b.xml"))],
    )
    monitor = Monitor(changed(settings, feeds=feeds_file, articles=""))
    run_once(monitor)
    with monitor.store.engine.connect() as conn:
        clusters = {row.outlet: row.cluster_id for row in conn.execute(select(items))}
    assert clusters["Outlet A"] == clusters["Outlet B"]


def test_five_hundred_copies_of_one_story_stay_one_cluster_with_a_bounded_index() -> None:
    clusterer = Clusterer()
    clusters = set()
    for n in range(500):
        minhash = signature(Article(title=f"Copy {n}", body=f"{WIRE} ({n})", outlet=f"O{n}"))
        cluster = clusterer.cluster_of(minhash)
        clusterer.add(n + 1, cluster or n + 1, minhash)
        clusters.add(cluster or n + 1)
    assert clusters == {1}
    assert clusterer.indexed == 3  # later copies compare with three members, not hundreds


def _corpus() -> list[Article]:
    """Copies of the wire story drifting apart, unrelated stories, non-ASCII and empty text."""
    articles = [Article(title=t, body=b, outlet=name) for name, (t, b) in COPIES.items()]
    articles.append(Article(title=OTHER[0], body=OTHER[1], outlet="Other"))
    words = WIRE.split()
    for n in range(60):
        kept = [w for i, w in enumerate(words) if (i * 7 + n) % 11 != 0]  # drop one word in 11
        articles.append(Article(title=f"Wire {n}", body=" ".join(kept[n % 5 :]), outlet=f"O{n}"))
    articles += [
        Article(title="Erdoğan’s offer", body="Çavuşoğlu met Lavrov in Antalya. ß æ", outlet="T"),
        Article(title="", body="x", outlet="Short"),
    ]
    return articles


def test_bulk_sketches_are_the_signatures_one_by_one() -> None:
    articles = _corpus()
    bulk = sketches(articles)
    for article, row in zip(articles, bulk, strict=True):
        assert (row == signature(article).hashvalues).all(), article.title


def test_the_band_index_finds_what_datasketch_lsh_finds() -> None:
    articles = _corpus()
    reference = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    index = BandIndex()
    for key, article in enumerate(articles):
        minhash = signature(article)
        assert set(index.query(minhash.hashvalues)) == set(reference.query(minhash)), key
        reference.insert(key, minhash)
        index.insert(key, minhash.hashvalues)
    # The copies found each other: the check above compared more than empty sets.
    assert len(index.query(signature(articles[10]).hashvalues)) > 10
