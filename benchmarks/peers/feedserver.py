"""The loopback feed server: the generated feeds from memory, with conditional GET."""

from __future__ import annotations

import email.utils
import hashlib
from collections.abc import Sequence
from pathlib import Path

from peers.corpus import BASE_DATE

from tests.support.loopback_http import Handler, LoopbackHTTP, conditional


class FeedServer:
    """Serves the generated files from memory with ETag and Last-Modified, like a polite CDN.

    On the tests' LoopbackHTTP: keep-alive (HTTP/1.1, as a real feed host offers; idle
    connections end after 30 s), a listen backlog of 128 (the default of 5 made sixteen
    concurrent connects wait a second for a SYN retry), no access log.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        last_modified = email.utils.format_datetime(BASE_DATE, usegmt=True)
        routes: dict[str, Handler] = {}
        for path in paths:
            body = path.read_bytes()
            routes[f"/feeds/{path.name}"] = conditional(
                body,
                etag='"' + hashlib.sha1(body).hexdigest() + '"',
                last_modified=last_modified,
                headers={"Content-Type": "application/rss+xml; charset=utf-8"},
            )
        self._http = LoopbackHTTP(routes, protocol="HTTP/1.1", idle_timeout=30)
        self.port = self._http.port

    def url(self, path: Path) -> str:
        return self._http.url(f"feeds/{path.name}")

    def start(self) -> None:
        self._http.start()

    def stop(self) -> None:
        self._http.stop()

    def take_hits(self) -> str:
        """Responses since the last call, "200s/304s" (+ others), so each run shows how many
        feeds were read in full and how many were unchanged."""
        statuses = self._http.take_statuses()
        other = statuses.total() - statuses[200] - statuses[304]
        return f"{statuses[200]}/{statuses[304]}" + (f" +{other}" if other else "")
