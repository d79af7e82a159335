"""HTTP content decoding with the size cap counted on what comes out of every layer.

httpx decodes a response one network chunk at a time, and a chunk of a gzip bomb (3,773 bytes
holding 2 GB, wrapped twice in ``Content-Encoding: gzip, gzip``) decodes to gigabytes before a
cap on the decoded stream can look at it. Here each layer inflates at most the cap (plus one
byte) per call, keeps the rest of its input for the next call, and the whole response fails
as soon as any layer has produced more than the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from vigil.errors import OverCap, UnsupportedEncoding


class _Inflate:
    """One gzip or deflate layer (several gzip members in a row included)."""

    def __init__(self, encoding: str) -> None:
        # 16 + MAX_WBITS: gzip; 32 + MAX_WBITS: zlib or gzip, whichever header it has.
        self._wbits = 16 + zlib.MAX_WBITS if encoding in {"gzip", "x-gzip"} else 32 + zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        """Inflate ``data`` lazily, in pieces of at most ``room + 1`` bytes: the caller stops
        pulling (and so inflating) as soon as the cap is passed."""
        pending = data
        while pending:
            piece = self._inflater.decompress(pending, room + 1)
            if piece:
                yield piece
            if self._inflater.eof:  # a member ended: another may follow
                pending = self._inflater.unused_data
                self._inflater = zlib.decompressobj(self._wbits)
                if not pending.strip(b"\0"):
                    break
            else:
                pending = self._inflater.unconsumed_tail
                if not piece and not pending:
                    break


class BoundedDecoder:
    """Decodes a response body layer by layer, failing past ``limit`` bytes in any layer."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        # Encodings are listed in the order they were applied: undo them from the last.
        names = [part.strip().lower() for part in (content_encoding or "").split(",")]
        names = [name for name in names if name and name != "identity"]
        for name in names:
            if name not in {"gzip", "x-gzip", "deflate"}:
                raise UnsupportedEncoding(name)
        self._layers = [_Inflate(name) for name in reversed(names)]
        self._produced = [0] * (len(self._layers) + 1)
        self.limit = limit

    def feed(self, chunk: bytes) -> list[bytes]:
        pieces = [chunk]
        for index, layer in enumerate(self._layers):
            pieces = [out for piece in pieces for out in self._counted(index, layer, piece)]
        self._produced[-1] += sum(len(piece) for piece in pieces)
        if self._produced[-1] > self.limit:
            raise OverCap
        return pieces

    def _counted(self, index: int, layer: _Inflate, piece: bytes) -> list[bytes]:
        out = []
        for inflated in layer.feed(piece, self.limit - self._produced[index]):
            self._produced[index] += len(inflated)
            if self._produced[index] > self.limit:
                raise OverCap
            out.append(inflated)
        return out
