"""Story clustering: the same wire story on several feeds becomes one cluster.

Each article gets a MinHash signature of its word 3-grams (title and the start of the body,
folded; CRC-32 hashes the shingles: stable across processes, and computed in C); LSH finds
earlier articles whose estimated Jaccard similarity passes a threshold. The digest then shows a
story once, "also reported by" the others.
"""

from __future__ import annotations

import functools
import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from vigil.article import Article
from vigil.text import fold

if TYPE_CHECKING:
    from datasketch import MinHash  # accepted where a sketch is: its hashvalues are one

NUM_PERM = 64
SCHEME = "affine32"
THRESHOLD = 0.5
# Bands of rows for LSH: what datasketch's MinHashLSH picks for this threshold and NUM_PERM
# (the least weighted false-positive and false-negative probability; tests check it).
BANDS, ROWS = 14, 4
PERMUTATION_SEED = 1  # datasketch's default
SHINGLE_WORDS = 3
TEXT_CHARS = 1500
_WORDS = re.compile(r"\w+")


@functools.cache
def _permutations() -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The affine permutations (``a * h + b`` modulo 2^32, ``a`` odd) of datasketch's
    affine32 scheme with its default seed, drawn the way datasketch draws them: signatures
    stored by earlier versions, made with datasketch, stay comparable (tests check both)."""
    generator = np.random.RandomState(PERMUTATION_SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def sketches(articles: Sequence[Article]) -> npt.NDArray[np.uint32]:
    """The MinHash values of many articles at once, one row each: what datasketch's
    ``MinHash.update_batch`` gives an article's shingles, without a MinHash object and a numpy
    pass per article.

    datasketch's affine32 scheme, in bulk: each shingle's CRC-32 is mixed with the MurmurHash3
    finalizer, permuted by ``a * h + b`` modulo 2^32, and the minimum kept per article.
    """
    rows = np.empty((len(articles), NUM_PERM), dtype=np.uint32)
    a, b = _permutations()
    start = 0
    while start < len(articles):
        hashes: list[int] = []
        offsets: list[int] = []
        stop = start
        while stop < len(articles) and len(hashes) < SKETCH_CHUNK:
            offsets.append(len(hashes))
            hashes += map(zlib.crc32, _shingles(articles[stop]))
            stop += 1
        mixed = _fmix32(np.array(hashes, dtype=np.uint32))
        permuted = mixed[:, None] * a[None, :] + b[None, :]
        rows[start:stop] = np.minimum.reduceat(permuted, offsets, axis=0)
        start = stop
    return rows


# Shingles hashed and permuted at once: 20,000 x 64 x 4 bytes, 5 MiB of scratch.
SKETCH_CHUNK = 20_000


def _shingles(article: Article) -> list[bytes]:
    text = fold(f"{article.title} {article.body[:TEXT_CHARS]}").folded
    words = _WORDS.findall(text)
    return list(
        {
            " ".join(words[i : i + SHINGLE_WORDS]).encode()
            for i in range(max(1, len(words) - SHINGLE_WORDS + 1))
        }
    )


def _fmix32(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The 32-bit MurmurHash3 finalizer (datasketch's pre-mix for affine32), wrapping."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def to_bytes(sketch: Sketch | MinHash) -> bytes:
    return _values(sketch).tobytes()


# Members of one cluster kept in the index: enough to catch a story whose copies drift apart,
# few enough that comparisons stay bounded however many copies arrive.
MEMBERS_INDEXED = 3


class BandIndex:
    """Locality-sensitive hashing over MinHash values: the same bands as datasketch's
    MinHashLSH for this threshold, in plain dicts, so a query costs a dict look-up per band.

    A band's key is the hash of its bytes, and a key held by one item maps to that item's
    key alone (a list only once a second item shares it): the index is most of the memory a
    run's clustering needs: with it, 1.5 KB per recent story (tracemalloc, 25,000 stories).
    """

    def __init__(self) -> None:
        # Byte ranges of each band in the values' bytes (uint32: four bytes a value).
        self._bands = [slice(band * ROWS * 4, (band + 1) * ROWS * 4) for band in range(BANDS)]
        self._tables: list[dict[int, int | list[int]]] = [{} for _ in self._bands]

    def insert(self, key: int, values: Sketch) -> None:
        raw = values.tobytes()
        for band, table in zip(self._bands, self._tables, strict=True):
            slot = hash(raw[band])
            held = table.get(slot)
            if held is None:
                table[slot] = key
            elif isinstance(held, list):
                held.append(key)
            else:
                table[slot] = [held, key]

    def query(self, values: Sketch) -> list[int]:
        """Keys sharing at least one band with ``values``, each once (in first-seen order)."""
        raw = values.tobytes()
        found: dict[int, None] = {}
        for band, table in zip(self._bands, self._tables, strict=True):
            held = table.get(hash(raw[band]))
            if held is None:
                continue
            if isinstance(held, list):
                found.update(dict.fromkeys(held))
            else:
                found[held] = None
        return list(found)


Sketch = npt.NDArray[np.uint32]  # one article's MinHash values: NUM_PERM uint32


class Clusterer:
    """Assigns each new article to the cluster of a similar recent one, or to a new cluster."""

    def __init__(self, recent: Iterable[tuple[int, int, bytes]] = ()) -> None:
        """``recent``: (item id, cluster id, signature bytes) of the articles to compare with."""
        self._index = BandIndex()
        self._clusters: dict[int, int] = {}
        self._sketches: dict[int, Sketch] = {}
        self._indexed: Counter[int] = Counter()  # members of each cluster in the index
        # Feeds are ingested by concurrent tasks; the index is not thread-safe.
        self._lock = threading.Lock()
        # Held by a store while it assigns a batch's clusters and writes them: concurrent
        # batches then see each other's stories, and one story gets one cluster.
        self.assigning = threading.Lock()
        for item_id, cluster_id, data in recent:
            self.add(item_id, cluster_id, np.frombuffer(data, dtype=np.uint32))

    def add(self, item_id: int, cluster_id: int, sketch: Sketch | MinHash) -> None:
        """Index a few members of each cluster, not all: a story copied by 500 feeds would
        otherwise make every later copy compare itself with every earlier one."""
        values = _values(sketch)
        with self._lock:
            if item_id in self._clusters:
                return
            self._clusters[item_id] = cluster_id
            if self._indexed[cluster_id] >= MEMBERS_INDEXED:
                return
            self._indexed[cluster_id] += 1
            self._index.insert(item_id, values)
            self._sketches[item_id] = values

    @property
    def indexed(self) -> int:
        """Articles in the similarity index (at most MEMBERS_INDEXED per cluster)."""
        return len(self._sketches)

    def cluster_of(self, sketch: Sketch | MinHash) -> int | None:
        """The cluster of the most similar indexed article above the threshold, if any (of
        equally similar ones, the latest indexed)."""
        values = _values(sketch)
        best, best_similarity = None, THRESHOLD
        with self._lock:
            for candidate in sorted(self._index.query(values)):
                similarity = np.count_nonzero(values == self._sketches[candidate]) / NUM_PERM
                if similarity >= best_similarity:
                    best, best_similarity = candidate, similarity
            return None if best is None else self._clusters[best]


def _values(sketch: Sketch | MinHash) -> Sketch:
    values = getattr(sketch, "hashvalues", sketch)  # a datasketch MinHash, or its values
    return np.asarray(values, dtype=np.uint32)
