"""One loopback HTTP server for the tests and the benchmarks.

A route table maps a path (its query left off) to an :class:`Answer`, or to a handler: a
callable that gets the :class:`Request` and returns an Answer, or None when it wrote the
response itself (a chunked body, a torn connection). A path without a route is served from
``directory`` (files read at each request, with Last-Modified and If-Modified-Since, by the
standard library's SimpleHTTPRequestHandler) when there is one, else answered by
``fallback``, else 404. Every request is recorded (``requests``, ``hits``) and every status
sent counted (``statuses``).

    with LoopbackHTTP({"/feed.xml": Answer(RSS)}) as server:
        fetch(server.url("feed.xml"))
    assert server.hits["/feed.xml"] == 1

It runs in a thread on 127.0.0.1, on a port the OS chose, a thread per connection, with a
listen backlog of 128: socketserver's default of 5 drops connections when a fetcher opens
sixteen at once, and the dropped SYNs are only retried a second later.
"""

from __future__ import annotations

import email.utils
import functools
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

BACKLOG = 128


@dataclass(frozen=True)
class Answer:
    """What the server sends back for one request. Content-Length is added (``headers`` may
    override it), except on a 204 or a 304, which carry no body."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering: a slow server


@dataclass(frozen=True)
class Request:
    """One GET, as a handler sees it."""

    path: str  # as asked for, query included
    headers: Message
    raw: BaseHTTPRequestHandler  # for a handler that writes its own response


Handler = Callable[[Request], Answer | None]
Route = Answer | Handler
NOT_FOUND = Answer(b"not found\n", 404)


class LoopbackHTTP:
    """An HTTP server on 127.0.0.1 serving a route table; a context manager (start, stop).

    ``routes`` may be changed while it runs. ``delay`` holds back every GET (``directory``
    files included); ``protocol`` "HTTP/1.1" keeps connections alive, and ``idle_timeout``
    then ends the idle ones.
    """

    def __init__(
        self,
        routes: Mapping[str, Route] | None = None,
        *,
        fallback: Route | None = None,
        directory: Path | None = None,
        delay: float = 0.0,
        protocol: str = "HTTP/1.0",
        idle_timeout: float | None = None,
    ) -> None:
        if fallback is not None and directory is not None:
            raise ValueError("a directory answers every path: no fallback with it")
        self.routes: dict[str, Route] = dict(routes or {})
        self.fallback = fallback
        self.directory = directory
        self.delay = delay
        self.requests: list[str] = []  # the paths asked for, in order
        self.hits: Counter[str] = Counter()  # requests per path
        self.statuses: Counter[int] = Counter()  # responses per status code
        self._lock = threading.Lock()
        handler: type[_Handler] = type(
            "Handler", (_Handler,), {"protocol_version": protocol, "timeout": idle_timeout}
        )
        folder = str(directory) if directory is not None else None
        self._httpd = _Server(self, functools.partial(handler, directory=folder))
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"  # no trailing slash
        self._thread: threading.Thread | None = None

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> LoopbackHTTP:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name=f"loopback-http-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> LoopbackHTTP:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def take_statuses(self) -> Counter[int]:
        """The statuses counted since the last call, and a fresh count from now on."""
        with self._lock:
            taken, self.statuses = self.statuses, Counter()
        return taken

    def _count(self, status: int) -> None:
        with self._lock:
            self.statuses[int(status)] += 1

    def _answer(self, raw: _Handler) -> None:
        with self._lock:
            self.requests.append(raw.path)
            self.hits[raw.path] += 1
        if self.delay:
            time.sleep(self.delay)
        route = self.routes.get(raw.path.split("?", 1)[0])
        if route is None and self.directory is not None:
            raw.serve_file()
            return
        if route is None:
            route = self.fallback if self.fallback is not None else NOT_FOUND
        answer = route if isinstance(route, Answer) else route(Request(raw.path, raw.headers, raw))
        if answer is not None:
            _send(raw, answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, owner: LoopbackHTTP, handler: Callable[..., BaseHTTPRequestHandler]) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up on purpose (vigil's size cap, a time-out, a killed run) is
        # not an error worth a traceback in the log; anything else still is.
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.owner._answer(self)

    def do_HEAD(self) -> None:
        if self.server.owner.directory is None:
            self.send_error(501, f"Unsupported method ({self.command!r})")
        else:
            super().do_HEAD()

    def serve_file(self) -> None:
        super().do_GET()

    def send_response(self, code: int, message: str | None = None) -> None:
        self.server.owner._count(code)
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # an access log line a request only slows a benchmark and clutters a test


def _send(raw: BaseHTTPRequestHandler, answer: Answer) -> None:
    if answer.delay:
        time.sleep(answer.delay)
    raw.send_response(answer.status)
    bodiless = answer.status in (204, 304)
    length = {} if bodiless else {"Content-Length": str(len(answer.body))}
    for name, value in {**length, **answer.headers}.items():
        raw.send_header(name, value)
    raw.end_headers()
    if answer.body and not bodiless:
        raw.wfile.write(answer.body)


# -- routes -----------------------------------------------------------------------------------


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(b"", status, {"Location": location})


def conditional(
    body: bytes,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Handler:
    """``body`` with its validators, or a 304 (with them) when the client's are current."""
    validators = {
        name: value
        for name, value in (("ETag", etag), ("Last-Modified", last_modified))
        if value is not None
    }
    full = Answer(body, 200, {**validators, **(headers or {})})
    unchanged = Answer(b"", 304, validators)

    def answer(request: Request) -> Answer:
        return unchanged if not_modified(request.headers, etag, last_modified) else full

    return answer


def not_modified(headers: Message, etag: str | None, last_modified: str | None) -> bool:
    """RFC 9110: If-None-Match wins; else If-Modified-Since at or after Last-Modified."""
    if (tags := headers.get("If-None-Match")) is not None:
        return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in tags.split(","))
    if (since := headers.get("If-Modified-Since")) is not None and last_modified is not None:
        try:
            return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(
                last_modified
            )
        except (TypeError, ValueError):
            return False
    return False


def chunked(size: int, chunk: int = 65536) -> Handler:
    """About ``size`` bytes of "x", chunked (no Content-Length): only a cap stops a reader."""

    def answer(request: Request) -> None:
        raw = request.raw
        raw.send_response(200)
        raw.send_header("Transfer-Encoding", "chunked")
        raw.end_headers()
        piece = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
        try:
            for _ in range(size // chunk):
                raw.wfile.write(piece)
            raw.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client reached its cap and hung up

    return answer


def reset_after(sent: bytes, length: int) -> Handler:
    """Promises ``length`` bytes, sends ``sent``, then tears the connection down (TCP RST)."""

    def answer(request: Request) -> None:
        raw = _promise(request, sent, length)
        raw.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.connection.close()

    return answer


def hang_up_after(sent: bytes, length: int) -> Handler:
    """Promises ``length`` bytes, sends ``sent``, then closes the connection."""

    def answer(request: Request) -> None:
        _promise(request, sent, length).close_connection = True

    return answer


def _promise(request: Request, sent: bytes, length: int) -> BaseHTTPRequestHandler:
    raw = request.raw
    raw.send_response(200)
    raw.send_header("Content-Length", str(length))
    raw.end_headers()
    raw.wfile.write(sent)
    raw.wfile.flush()
    return raw
