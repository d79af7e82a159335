"""The ingest pipeline, in batches: plan → match → sketch → store.

Each stage takes the batch and returns what the next one needs, so each can be timed, tested
and replaced alone; :func:`ingest` composes them. The decisions live here (what is new, what
changed, which evidence is kept, which story an article belongs to); the store only writes
what it is handed, in bulk. Fetching and parsing come before: a batch starts as articles.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from vigil.article import Article
from vigil.cluster import Clusterer, sketches, to_bytes
from vigil.match import Match
from vigil.store import Store
from vigil.store.rows import ItemUpdate, NewItem, StoredItem

MatchMany = Callable[[list[Article]], Sequence[Sequence[Match]]]


def content_hash(article: Article) -> str:
    """What an item says: the same id with another hash is a changed item."""
    return hashlib.sha256(f"{article.title}\n{article.body}".encode()).hexdigest()[:32]


@dataclass
class Plan:
    """What a batch holds, by canonical id: versions in arrival order (the last is stored)."""

    new: dict[str, list[Article]] = field(default_factory=dict)
    # Stored items whose text changed: (item id, the versions not seen before).
    changed: dict[str, tuple[int, list[Article]]] = field(default_factory=dict)
    # Stored before content hashes were kept: the hash is recorded, nothing is matched.
    unhashed: dict[str, tuple[int, Article]] = field(default_factory=dict)

    def to_match(self) -> list[Article]:
        return [v for vs in self.new.values() for v in vs] + [
            v for _, vs in self.changed.values() for v in vs
        ]

    def __bool__(self) -> bool:
        return bool(self.new or self.changed or self.unhashed)


def plan(
    articles: Iterable[Article], stored: Callable[[list[str]], dict[str, tuple[int, str | None]]]
) -> Plan:
    """Sort a batch into new, changed and already known articles.

    ``stored`` gives (item id, content hash) of the ids already stored. An article seen before
    with the same text is dropped; the same id with other text (within this batch or since an
    earlier run) is a changed item, matched again.
    """
    versions: dict[str, list[Article]] = {}
    hashes: dict[int, str] = {}
    for article in articles:
        kept = versions.setdefault(article.canonical_id, [])
        digest = hashes.setdefault(id(article), content_hash(article))
        if not kept or hashes[id(kept[-1])] != digest:
            kept.append(article)
    result = Plan()
    if not versions:
        return result
    known = stored(list(versions))
    for canonical_id, found in versions.items():
        if canonical_id not in known:
            result.new[canonical_id] = found
            continue
        item_id, known_hash = known[canonical_id]
        if known_hash is None:
            result.unhashed[canonical_id] = (item_id, found[-1])
            continue
        fresh = [v for v in found if hashes[id(v)] != known_hash]
        if fresh:
            result.changed[canonical_id] = (item_id, fresh)
    return result


def match(batch: Plan, match_many: MatchMany) -> dict[str, list[Match]]:
    """Every rule each planned item matches, in one call for the whole batch; where several
    versions of an item match a rule, the first version's evidence is kept."""
    to_match = batch.to_match()
    found = iter(match_many(to_match) if to_match else [])
    matched: dict[str, list[Match]] = {}
    groups = [*batch.new.items(), *((cid, vs) for cid, (_, vs) in batch.changed.items())]
    for canonical_id, versions in groups:
        by_rule: dict[str, Match] = {}
        for _ in versions:
            for one in next(found):
                by_rule.setdefault(one.rule_id, one)
        matched[canonical_id] = list(by_rule.values())
    return matched


def sketch(batch: Plan) -> dict[str, np.ndarray]:
    """The story sketch of each new item (its stored version), computed in bulk."""
    ids = list(batch.new)
    if not ids:
        return {}
    return dict(zip(ids, sketches([batch.new[cid][-1] for cid in ids]), strict=True))


def store(
    target: Store,
    batch: Plan,
    matched: dict[str, list[Match]],
    sketched: dict[str, np.ndarray],
    clusterer: Clusterer | None,
) -> tuple[list[StoredItem], list[StoredItem]]:
    """Write the batch: (new items, changed items with their new matches).

    Clusters are assigned inside the write, in batch order, so a story's second copy in this
    batch joins its first; concurrent batches of one run take turns (the clusterer's lock),
    so a story read by two of them at once lands in one cluster.
    """
    new = [
        NewItem(
            versions[-1],
            content_hash(versions[-1]),
            matched.get(cid, []),
            to_bytes(sketched[cid]) if cid in sketched else None,
        )
        for cid, versions in batch.new.items()
    ]
    updates = [
        ItemUpdate(item_id, versions[-1], content_hash(versions[-1]), matched.get(cid, []))
        for cid, (item_id, versions) in batch.changed.items()
    ]
    updates += [
        ItemUpdate(item_id, article, content_hash(article), [])
        for item_id, article in batch.unhashed.values()
    ]

    def assign(written: list[tuple[int, NewItem]]) -> dict[int, int]:
        assert clusterer is not None
        clusters: dict[int, int] = {}
        for item_id, item in written:
            values = sketched[item.article.canonical_id]
            clusters[item_id] = clusterer.cluster_of(values) or item_id
            clusterer.add(item_id, clusters[item_id], values)
        return clusters

    gate = clusterer.assigning if clusterer is not None else contextlib.nullcontext()
    with gate:
        return target.write_batch(new, updates, clusters=assign if clusterer else None)


def ingest(
    target: Store,
    articles: Iterable[Article],
    match_many: MatchMany,
    clusterer: Clusterer | None = None,
    *,
    changed: list[StoredItem] | None = None,
) -> list[StoredItem]:
    """Store articles not seen before together with their matches; returns the new ones.

    Matching runs before the write, so no write lock is held while rules are evaluated (a
    slow article cannot make a concurrent run fail on a locked store); the items and their
    matches are then written in one transaction, together or not at all.

    An article already stored whose text has changed is updated, matched again, and the
    matches it did not have are added; those items go to ``changed``, each with only its new
    matches. Nothing is dropped without a word.
    """
    batch = plan(articles, target.stored_hashes)
    if not batch:
        return []
    matched = match(batch, match_many)
    sketched = sketch(batch) if clusterer is not None else {}
    new, updated = store(target, batch, matched, sketched, clusterer)
    if changed is not None:
        changed.extend(updated)
    return new
