"""Story clustering: the same wire story on several feeds becomes one cluster.

Each article gets a MinHash signature of its word 3-grams (title and the start of the body,
folded; CRC-32 hashes the shingles: stable across processes, and computed in C); LSH finds
earlier articles whose estimated Jaccard similarity passes a threshold. The digest then shows a
story once, "also reported by" the others.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

from vigil.article import Article
from vigil.text import fold

NUM_PERM = 64
SCHEME = "affine32"
THRESHOLD = 0.5
SHINGLE_WORDS = 3
TEXT_CHARS = 1500
_WORDS = re.compile(r"\w+")
# One set of permutations for every signature: datasketch would otherwise draw the same ones
# again for each article (5 s of 68 in a 25,000-item run, by issue 14's profile).
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, scheme=SCHEME, hashfunc=zlib.crc32).permutations


def signature(article: Article) -> MinHash:
    """MinHash of the article's word 3-grams; near-duplicates share most of them."""
    text = fold(f"{article.title} {article.body[:TEXT_CHARS]}").folded
    words = _WORDS.findall(text)
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(max(1, len(words) - SHINGLE_WORDS + 1))
    }
    minhash = MinHash(
        num_perm=NUM_PERM, scheme=SCHEME, hashfunc=zlib.crc32, permutations=_PERMUTATIONS
    )
    minhash.update_batch(list(shingles))
    return minhash


def to_bytes(minhash: MinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint32).tobytes()


def from_bytes(data: bytes) -> MinHash:
    return MinHash(
        num_perm=NUM_PERM,
        hashvalues=np.frombuffer(data, dtype=np.uint32),
        scheme=SCHEME,
        hashfunc=zlib.crc32,
        permutations=_PERMUTATIONS,
    )


# Members of one cluster kept in the index: enough to catch a story whose copies drift apart,
# few enough that comparisons stay bounded however many copies arrive.
MEMBERS_INDEXED = 3


class Clusterer:
    """Assigns each new article to the cluster of a similar recent one, or to a new cluster."""

    def __init__(self, recent: Iterable[tuple[int, int, bytes]] = ()) -> None:
        """``recent``: (item id, cluster id, signature bytes) of the articles to compare with."""
        self._index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        self._clusters: dict[int, int] = {}
        self._signatures: dict[int, MinHash] = {}
        self._indexed: Counter[int] = Counter()  # members of each cluster in the index
        # Feeds are ingested by concurrent tasks; the index is not thread-safe.
        self._lock = threading.Lock()
        # Held by a store while it assigns a batch's clusters and writes them: concurrent
        # batches then see each other's stories, and one story gets one cluster.
        self.assigning = threading.Lock()
        for item_id, cluster_id, data in recent:
            self.add(item_id, cluster_id, from_bytes(data))

    def add(self, item_id: int, cluster_id: int, minhash: MinHash) -> None:
        """Index a few members of each cluster, not all: a story copied by 500 feeds would
        otherwise make every later copy compare itself with every earlier one."""
        with self._lock:
            if item_id in self._clusters:
                return
            self._clusters[item_id] = cluster_id
            if self._indexed[cluster_id] >= MEMBERS_INDEXED:
                return
            self._indexed[cluster_id] += 1
            self._index.insert(item_id, minhash)
            self._signatures[item_id] = minhash

    @property
    def indexed(self) -> int:
        """Articles in the similarity index (at most MEMBERS_INDEXED per cluster)."""
        return len(self._signatures)

    def cluster_of(self, minhash: MinHash) -> int | None:
        """The cluster of the most similar indexed article above the threshold, if any."""
        best, best_similarity = None, THRESHOLD
        with self._lock:
            for candidate in self._index.query(minhash):
                similarity = minhash.jaccard(self._signatures[candidate])
                if similarity >= best_similarity:
                    best, best_similarity = candidate, similarity
            return None if best is None else self._clusters[best]
