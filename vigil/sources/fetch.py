"""Fetching feeds politely: concurrent, conditional, bounded, and never fatal to the run.

Every outcome is a :class:`Fetched` value, never an exception, so one broken feed cannot stop
the others: the caller records what happened (health, backoff) and parses only what changed.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path

import httpx

from vigil import __version__
from vigil.errors import LocalFileError, OverCap, UnsupportedEncoding
from vigil.localfiles import read_capped
from vigil.sources.decoding import BoundedDecoder

USER_AGENT = f"vigil/{__version__} (news monitor; polite: conditional GET, backoff)"
PERMANENT_REDIRECTS = frozenset({301, 308})
GZIP_MAGIC = b"\x1f\x8b"


class FetchStatus(StrEnum):
    OK = "ok"  # new content in ``body``
    NOT_MODIFIED = "not_modified"  # 304: nothing to parse
    FAILED = "failed"  # try again later, with backoff (or at ``retry_after``)
    GONE = "gone"  # 410: the feed is disabled until someone edits it


@dataclass(frozen=True, slots=True)
class FetchLimits:
    concurrency: int = 16
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Validators:
    """What the server said last time, sent back so an unchanged feed costs a 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # what was requested
    status: FetchStatus
    body: bytes | None = None
    validators: Validators = field(default_factory=Validators)
    # Set when the server moved the feed for good (301/308 all the way): use it from now on.
    moved_to: str | None = None
    http_status: int | None = None
    error: str | None = None
    retry_after: datetime | None = None


def fetch_many(
    requests: Sequence[tuple[str, Validators]], limits: FetchLimits = FetchLimits()
) -> list[Fetched]:
    """Fetch every (url, validators) pair, at most ``limits.concurrency`` at a time."""
    if not requests:
        return []
    return asyncio.run(_fetch_many(requests, limits))


async def _fetch_many(
    requests: Sequence[tuple[str, Validators]], limits: FetchLimits
) -> list[Fetched]:
    gate = asyncio.Semaphore(limits.concurrency)
    timeout = httpx.Timeout(
        connect=limits.connect_timeout,
        read=limits.read_timeout,
        write=limits.read_timeout,
        pool=limits.total_timeout,
    )
    async with httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        limits=httpx.Limits(max_connections=limits.concurrency),
        verify=_tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
    ) as client:

        async def one(url: str, validators: Validators) -> Fetched:
            async with gate:
                try:
                    return await asyncio.wait_for(
                        _fetch_one(client, url, validators, limits), limits.total_timeout
                    )
                except TimeoutError:
                    return _failed(url, f"took longer than {limits.total_timeout:g} s in all")
                except Exception as exc:  # MemoryError included: this feed fails, not its batch
                    return _failed(url, f"{type(exc).__name__}: {exc}")

        return list(await asyncio.gather(*(one(url, v) for url, v in requests)))


@functools.cache
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's default context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), made once per
    process: loading the CA bundle takes about 30 ms, and a run fetches in many chunks."""
    return httpx.create_ssl_context()


async def _fetch_one(
    client: httpx.AsyncClient, url: str, validators: Validators, limits: FetchLimits
) -> Fetched:
    if not url.startswith(("http://", "https://")):
        return _read_local(url, limits.max_bytes)
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            moved_to = _permanent_location(response)
            if response.status_code == 304:
                return Fetched(
                    url,
                    FetchStatus.NOT_MODIFIED,
                    validators=validators,
                    moved_to=moved_to,
                    http_status=304,
                )
            if response.status_code == 410:
                return Fetched(
                    url,
                    FetchStatus.GONE,
                    http_status=410,
                    error="410 Gone: the outlet removed this feed; disabled",
                )
            if response.status_code in {429, 503}:
                return _failed(
                    url,
                    f"HTTP {response.status_code}",
                    response.status_code,
                    _retry_after(response.headers.get("Retry-After")),
                )
            if response.status_code >= 400:
                return _failed(url, f"HTTP {response.status_code}", response.status_code)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                return _failed(
                    url,
                    f"response of {int(declared):,} bytes is over the "
                    f"{limits.max_bytes:,}-byte cap",
                    response.status_code,
                )
            try:
                decoder = BoundedDecoder(response.headers.get("Content-Encoding"), limits.max_bytes)
            except UnsupportedEncoding as exc:
                return _failed(url, f"unsupported Content-Encoding {exc}", response.status_code)
            chunks: list[bytes] = []
            try:
                async for raw in response.aiter_raw():
                    chunks += decoder.feed(raw)
            except OverCap:
                return _failed(
                    url,
                    f"response passed the {limits.max_bytes:,}-byte cap (decoded); aborted",
                    response.status_code,
                )
            except zlib.error as exc:
                return _failed(url, f"broken compressed response ({exc})", response.status_code)
            return Fetched(
                url,
                FetchStatus.OK,
                body=b"".join(chunks),
                validators=Validators(
                    response.headers.get("ETag"), response.headers.get("Last-Modified")
                ),
                moved_to=moved_to,
                http_status=response.status_code,
            )
    except httpx.TooManyRedirects:
        return _failed(url, f"more than {limits.max_redirects} redirects (a loop?)")
    except httpx.TimeoutException as exc:
        return _failed(url, f"timed out ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return _failed(url, f"{type(exc).__name__}: {exc}")


def _read_local(url: str, limit: int) -> Fetched:
    path = Path(url.removeprefix("file://"))
    try:
        body = read_capped(path, limit)
    except LocalFileError as exc:  # a FIFO, a device, larger than the feed cap
        return _failed(url, str(exc))
    if body.startswith(GZIP_MAGIC):  # feed.xml.gz: inflated under the same cap as the network's
        try:
            body = b"".join(BoundedDecoder("gzip", limit).feed(body))
        except OverCap:
            return _failed(url, f"{path} inflates to more than {limit} bytes: skipped")
        except zlib.error as exc:
            return _failed(url, f"{path} is not valid gzip: {exc}")
    return Fetched(url, FetchStatus.OK, body=body)


def _permanent_location(response: httpx.Response) -> str | None:
    """The final URL when every redirect on the way was permanent."""
    if response.history and all(r.status_code in PERMANENT_REDIRECTS for r in response.history):
        return str(response.url)
    return None


def _retry_after(value: str | None) -> datetime | None:
    """Retry-After as a moment: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return datetime.now(UTC) + timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _failed(
    url: str, error: str, http_status: int | None = None, retry_after: datetime | None = None
) -> Fetched:
    return Fetched(
        url, FetchStatus.FAILED, http_status=http_status, error=error, retry_after=retry_after
    )
