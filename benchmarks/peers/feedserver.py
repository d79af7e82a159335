"""The loopback feed server: the generated feeds from memory, with conditional GET."""

from __future__ import annotations

import email.utils
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from peers.corpus import BASE_DATE


@dataclass
class Hits:
    """Responses since the last reset, so each run shows how many feeds were 200 or 304."""

    full: int = 0
    not_modified: int = 0
    other: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int) -> None:
        with self.lock:
            if status == 200:
                self.full += 1
            elif status == 304:
                self.not_modified += 1
            else:
                self.other += 1

    def take(self) -> str:
        with self.lock:
            text = f"{self.full}/{self.not_modified}" + (f" +{self.other}" if self.other else "")
            self.full = self.not_modified = self.other = 0
        return text


class _FeedHTTPServer(ThreadingHTTPServer):
    # socketserver's default backlog is 5: sixteen concurrent connects overflow it, and the
    # dropped SYNs are retried a second later. 500 real feed hosts have no such queue.
    request_queue_size = 128
    daemon_threads = True


class FeedServer:
    """Serves the generated files from memory with ETag and Last-Modified, like a polite CDN."""

    def __init__(self, paths: Sequence[Path]) -> None:
        last_modified = email.utils.format_datetime(BASE_DATE, usegmt=True)
        self.documents: dict[str, tuple[bytes, str, str]] = {}
        for path in paths:
            body = path.read_bytes()
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            self.documents[f"/feeds/{path.name}"] = (body, etag, last_modified)
        self.hits = Hits()
        self._httpd = _FeedHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: Path) -> str:
        return f"http://127.0.0.1:{self.port}/feeds/{path.name}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real feed host offers
            timeout = 30  # idle keep-alive connections end on their own

            def do_GET(self) -> None:
                found = server.documents.get(self.path.split("?", 1)[0])
                if found is None:
                    self._reply(404, b"not found\n", {})
                    return
                body, etag, last_modified = found
                validators = {"ETag": etag, "Last-Modified": last_modified}
                if _not_modified(self.headers, etag, last_modified):
                    self._reply(304, b"", validators)
                    return
                headers = {**validators, "Content-Type": "application/rss+xml; charset=utf-8"}
                self._reply(200, body, headers)

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                server.hits.add(status)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # 25,000 lines of access log would only slow the server down

        return Handler


def _not_modified(headers: Message, etag: str, last_modified: str) -> bool:
    """RFC 9110: If-None-Match wins; else If-Modified-Since at or after Last-Modified."""
    if (tags := headers.get("If-None-Match")) is not None:
        return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in tags.split(","))
    if (since := headers.get("If-Modified-Since")) is not None:
        try:
            return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(
                last_modified
            )
        except (TypeError, ValueError):
            return False
    return False
