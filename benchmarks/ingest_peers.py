"""vigil's feed ingest against two tools from PyPI that do the same job: rss2email and feed2exec.

The script generates N feeds x M news-like items (fixed seed), serves them from a loopback HTTP
server that honours conditional GET, and times the whole command as a user runs it, cold (fresh
state, everything new) and warm (same state, nothing changed, so every feed is a 304):

- ``vigil run`` one-shot, where Prefect starts and stops a temporary server for the run;
- ``vigil run`` against a Prefect server that is already up (PREFECT_API_URL);
- ``r2e run`` (rss2email) and ``feed2exec fetch``, each delivering to a Maildir.

It also times parsing alone, in-process: ``vigil.sources.parse_feed`` against bare
``feedparser.parse``, in entries per second. The peers are installed into their own venv
(default /tmp/peers-venv), so they never touch vigil's environment.

Run from the repository root:  python benchmarks/ingest_peers.py --feeds 500 --items 50
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import email.utils
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from prefect_server import (
    REPO,
    BenchmarkError,
    base_env,
    free_port,
    group_alive,
    start_prefect_server,
    stop_group,
)

SEED = 20240301
# Items are dated in the week before this moment, so every run generates the same bytes.
BASE_DATE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
MAIL_TO = "analyst@localhost"
GNU_TIME = "/usr/bin/time"
SAMPLE_EVERY = 0.05  # seconds between RSS samples of a process tree
NEW_ITEMS = re.compile(r"^new items: (\d+)$", re.MULTILINE)
NEW_MATCHES = re.compile(r"^new matches: (\d+)", re.MULTILINE)
PEERS = ("rss2email", "feed2exec")


class PeerError(RuntimeError):
    """A peer could not be installed or run: report it and go on with the others."""


# -- arguments ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Generate FEEDS x ITEMS news-like RSS items, serve them from 127.0.0.1 with "
            "ETag/Last-Modified (304 on an unchanged feed), and time a cold run (fresh "
            "state) and a warm run (same state, all 304) of: `vigil run` one-shot (a "
            "temporary Prefect server per run), `vigil run` against a Prefect server that is "
            "already up, rss2email (`r2e run`) and feed2exec (`feed2exec fetch`), the peers "
            "delivering one mail per item to a Maildir. Prints wall time, peak RSS, messages "
            "delivered, vigil's ratio to each peer, and parsing speed in entries/s."
        ),
        epilog="The peers are pip-installed from PyPI into --peers-venv when missing there.",
    )
    parser.add_argument(
        "--feeds", type=int, default=500, help="number of feeds to generate (default: 500)"
    )
    parser.add_argument("--items", type=int, default=50, help="items per feed (default: 50)")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="repeats of every measurement (a fresh cold state each time, then a warm run on "
        "it); the table shows medians (default: 1)",
    )
    parser.add_argument(
        "--skip-peers",
        action="store_true",
        help="time vigil only: no rss2email or feed2exec (and no install of them)",
    )
    parser.add_argument(
        "--peers",
        default=",".join(PEERS),
        help="comma-separated peers to time (default: %(default)s)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the figures as one JSON object on stdout (progress goes to stderr)",
    )
    parser.add_argument(
        "--peers-venv",
        type=Path,
        default=Path(tempfile.gettempdir()) / "peers-venv",
        help="venv for rss2email and feed2exec, created and filled from PyPI when they are "
        "missing (default: %(default)s)",
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=1800.0,
        help="seconds one measured command may take before it counts as failed (default: 1800)",
    )
    parser.add_argument(
        "--server-timeout",
        type=float,
        default=180.0,
        help="seconds to wait for the Prefect server's /api/health (default: 180)",
    )
    args = parser.parse_args(argv)
    args.peers = () if args.skip_peers else tuple(p for p in args.peers.split(",") if p)
    if unknown := set(args.peers) - set(PEERS):
        parser.error(f"--peers: unknown peer(s) {', '.join(sorted(unknown))}; known: {PEERS}")
    for name in ("feeds", "items", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


# -- the feeds ------------------------------------------------------------------------------

PLACES = (
    "Lisbon", "Oslo", "Lyon", "Porto", "Kraków", "Valencia", "Gdańsk", "Bergen", "Tampere",
    "Graz", "Ghent", "Brno", "Cork", "Malmö", "Turin", "Bilbao", "Aarhus", "Utrecht", "Split",
    "Tartu",
)  # fmt: skip
SUBJECTS = (
    "The city council", "The central bank", "Local farmers", "The health ministry",
    "A regional airline", "Researchers at the state university", "The football federation",
    "Shipping companies", "The energy regulator", "Retail chains", "The transport authority",
    "Teachers' unions", "The national weather service", "A group of start-ups",
    "The tourism board", "Hospital managers", "The statistics office", "Wine growers",
)  # fmt: skip
VERBS = (
    "announced", "postponed", "approved", "criticised", "unveiled", "reviewed", "expanded",
    "delayed", "welcomed", "questioned", "defended", "scrapped",
)  # fmt: skip
OBJECTS = (
    "a budget for {n} new schools", "plans for a {n}-kilometre tram line",
    "a {n} percent rise in grain exports", "a pilot scheme for {n} electric buses",
    "new rules for short-term rentals", "a {n}-million-euro harbour upgrade",
    "a study of {n} coastal towns", "the merger of {n} regional banks",
    "a festival expected to draw {n},000 visitors", "higher tariffs for {n} water districts",
    "a cap on rents in {n} neighbourhoods", "a heat-wave plan covering {n} clinics",
)  # fmt: skip
TAILS = (
    "on Tuesday", "after weeks of talks", "despite protests outside the town hall",
    "citing higher costs", "in a statement", "at a press conference", "late on Friday",
    "following a public consultation", "to the surprise of analysts", "ahead of the summer",
)  # fmt: skip
FOLLOW_UPS = (
    "Critics said the decision came too late.",
    "Officials expect the first results within {n} months.",
    "The opposition called for a vote in parliament.",
    "Prices have risen by {n} percent since last year.",
    "A final decision is due in the autumn.",
    "Local residents were divided, a survey of {n} households found.",
    "The plan still needs the approval of the regional government.",
    "Similar projects failed in {n} other cities.",
)  # fmt: skip
# Near misses: vocabulary the rules look for, in stories they must not match.
DISTRACTORS = (
    "A drone light show opened the winter festival in Kyiv.",
    "Turkish Airlines resumed flights from Istanbul to Kyiv and Moscow.",
    "Emre Bayraktar's late strike earned Trabzonspor a 2-1 win.",
    "Turkish unions asked the labour ministry to mediate in the wage dispute.",
    "Amazon tested delivery drones in Seattle.",
    "Dinamo Minsk signed a midfielder on a two-year deal.",
)
# On-topic: what the shipped rules (mediation, drones, Minsk, arms) are written for.
ON_TOPIC = (
    (
        "Ankara renews offer to mediate",
        "Erdoğan offered to mediate between Russia and Ukraine, officials in Ankara said.",
    ),
    (
        "Turkey ready to host talks",
        "Ankara said it was willing to host talks between Russian and Ukrainian officials.",
    ),
    (
        "Kyiv orders more drones",
        "Kyiv ordered a second batch of Bayraktar TB2 drones from Turkey.",
    ),
    (
        "Drone strike in the Donbas",
        "Ukrainian forces used a Bayraktar TB2 drone against a howitzer near Donetsk.",
    ),
    (
        "Kremlin presses Kyiv on Minsk",
        "Kyiv must comply with the Minsk agreements, Kremlin spokesman Peskov said.",
    ),
    (
        "Normandy Format talks stall",
        "Advisers of the Normandy Format met in Berlin but made no progress on the Donbas.",
    ),
    (
        "New military aid for Ukraine",
        "Britain will supply anti-tank weapons to the Ukrainian army, London said.",
    ),
)
ON_TOPIC_SHARE = 0.06
DISTRACTOR_SHARE = 0.04


def _fill(template: str, rng: random.Random) -> str:
    return template.format(n=rng.randint(2, 90))


def _item(rng: random.Random, feed: int, item: int) -> tuple[str, str]:
    """One item's (title, description): mostly local news, some on-topic, some near misses."""
    place = rng.choice(PLACES)
    subject, verb = rng.choice(SUBJECTS), rng.choice(VERBS)
    thing = _fill(rng.choice(OBJECTS), rng)
    sentences = [f"{subject} in {place} {verb} {thing} {rng.choice(TAILS)}."]
    sentences += [_fill(rng.choice(FOLLOW_UPS), rng) for _ in range(rng.randint(1, 3))]
    title = f"{place}: {subject.removeprefix('The ').removeprefix('A ')} {verb} {thing}"
    roll = rng.random()
    if roll < ON_TOPIC_SHARE:
        title, sentence = rng.choice(ON_TOPIC)
        sentences[0] = sentence
    elif roll < ON_TOPIC_SHARE + DISTRACTOR_SHARE:
        sentences[-1] = rng.choice(DISTRACTORS)
    # Distinct per item, so no two items are word-for-word copies (vigil clusters those).
    sentences.append(f"Reported by desk {feed:03d}, story {item:03d}.")
    return title, " ".join(sentences)


def feed_xml(index: int, items: int, rng: random.Random) -> bytes:
    """RSS 2.0 for feed ``index``: titles, 2-4 sentence descriptions, guid, pubDate, link."""
    site = f"https://news{index:03d}.example.com"
    entries = []
    for number in range(items):
        title, description = _item(rng, index, number)
        published = BASE_DATE - timedelta(minutes=rng.randint(0, 7 * 24 * 60))
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        link = f"{site}/{published:%Y/%m/%d}/{slug}-{number:03d}"
        entries.append(
            "    <item>\n"
            f"      <title>{escape(title)}</title>\n"
            f"      <link>{escape(link)}</link>\n"
            f"      <description>{escape(description)}</description>\n"
            f'      <guid isPermaLink="false">news{index:03d}-{number:05d}</guid>\n'
            f"      <pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate>\n"
            "    </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n  <channel>\n'
        f"    <title>Outlet {index:03d}</title>\n    <link>{site}/</link>\n"
        f"    <description>Regional news desk {index:03d}</description>\n"
        f"    <language>en</language>\n{''.join(entries)}  </channel>\n</rss>\n"
    ).encode()


def generate_feeds(folder: Path, feeds: int, items: int) -> list[Path]:
    """Write the feed files (same seed, same bytes every time) and return their paths."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(feeds):
        path = folder / f"feed-{index:03d}.xml"
        path.write_bytes(feed_xml(index, items, rng))
        paths.append(path)
    return paths


# -- the loopback feed server ------------------------------------------------------------


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


# -- measuring one command ------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    return found


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class TreeSampler:
    """Peak of the summed RSS of a process and all its descendants, sampled from /proc.

    GNU time's %M is the largest single process; a `vigil run` is several (the temporary
    Prefect server is a child process), so the tree's sum is what the machine has to hold.
    """

    def __init__(self, pid: int, *, skip_root: bool = False) -> None:
        self.pid, self.skip_root = pid, skip_root
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.available = Path(f"/proc/{os.getpid()}/task").is_dir()

    def __enter__(self) -> TreeSampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            pending = _children(self.pid) if self.skip_root else [self.pid]
            total = 0
            while pending:
                pid = pending.pop()
                total += _rss_bytes(pid)
                pending += _children(pid)
            self.peak = max(self.peak, total)
            self._stop.wait(SAMPLE_EVERY)

    @property
    def mib(self) -> float:
        return self.peak / 2**20 if self.available and self.peak else float("nan")


@dataclass
class Ran:
    """One measured command: wall seconds, RSS figures, exit code and its output files."""

    seconds: float
    tree_mib: float
    max_proc_mib: float
    returncode: int
    stdout: Path
    stderr: Path

    def tail(self, chars: int = 4000) -> str:
        out = self.stdout.read_text(errors="replace")[-chars:]
        err = self.stderr.read_text(errors="replace")[-chars:]
        return f"--- stdout (tail) ---\n{out}\n--- stderr (tail) ---\n{err}"


def run_measured(
    command: Sequence[str], env: dict[str, str], cwd: Path, logs: Path, timeout: float
) -> Ran:
    """Run ``command`` to completion, as a user would, under GNU time and a tree sampler."""
    logs.mkdir(parents=True, exist_ok=True)
    time_file = logs / "time.txt"
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(time_file), *command] if HAVE_TIME else command
    stdout, stderr = logs / "stdout.log", logs / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            wrapped, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        with TreeSampler(process.pid, skip_root=HAVE_TIME) as sampler:
            try:
                returncode = process.wait(timeout=timeout)
            except BaseException:  # a timeout, Ctrl-C or SIGTERM: the command goes too
                stop_group(process)
                raise
        seconds = time.perf_counter() - started
    if group_alive(process.pid):  # it exited but left something behind: not for long
        print(f"  note: {command[0]} left processes behind; stopping them", flush=True)
        stop_group(process)
    max_proc = float("nan")
    if HAVE_TIME and time_file.exists():
        # "Command exited with non-zero status N" may come first; the figure is last, in KiB.
        lines = time_file.read_text().split()
        if lines and lines[-1].isdigit():
            max_proc = int(lines[-1]) / 1024
    return Ran(seconds, sampler.mib, max_proc, returncode, stdout, stderr)


def count_messages(maildir: Path) -> int:
    """Messages in a Maildir tree: files in every new/ and cur/ below it."""
    if not maildir.exists():
        return 0
    return sum(
        1
        for sub in ("new", "cur")
        for folder in maildir.rglob(sub)
        if folder.is_dir()
        for item in folder.iterdir()
        if item.is_file()
    )


HAVE_TIME = shutil.which(GNU_TIME) is not None


# -- results --------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: medians over ``--runs`` repeats."""

    name: str
    seconds: list[float] = field(default_factory=list)
    tree_mib: list[float] = field(default_factory=list)
    max_proc_mib: list[float] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    http: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: str | None = None

    def add(self, ran: Ran, messages: int, http: str, note: str = "") -> None:
        self.seconds.append(ran.seconds)
        self.tree_mib.append(ran.tree_mib)
        self.max_proc_mib.append(ran.max_proc_mib)
        self.messages.append(messages)
        self.http.append(http)
        if note:
            self.notes.append(note)

    @property
    def ok(self) -> bool:
        return self.failed is None and bool(self.seconds)

    @property
    def wall(self) -> float:
        return statistics.median(self.seconds) if self.ok else float("nan")

    @property
    def rss(self) -> float:
        return _median(self.tree_mib) if self.ok else float("nan")

    def line(self) -> str:
        if not self.ok:
            return f"  {self.name:<30} {'failed: ' + (self.failed or 'not run')}"
        messages = "/".join(str(n) for n in sorted(set(self.messages)))
        note = self.notes[-1] if self.notes else ""
        return (
            f"  {self.name:<30} {self.wall:8.2f} {self.rss:10.0f} "
            f"{_median(self.max_proc_mib):10.0f} {messages:>9} {self.http[-1]:>11}  {note}"
        )


def _median(values: Sequence[float]) -> float:
    real = [v for v in values if v == v]  # without nan
    return statistics.median(real) if real else float("nan")


def _ratio(top: Row, bottom: Row, attr: str = "wall") -> str:
    a, b = getattr(top, attr), getattr(bottom, attr)
    return f"{a / b:.2f}x" if a == a and b == b and b > 0 else "n/a"


# -- vigil ------------------------------------------------------------------------------------


def write_feeds_yaml(path: Path, server: FeedServer, feeds: Sequence[Path]) -> Path:
    lines = ["feeds:"]
    for index, feed in enumerate(feeds):
        lines += [f'  - name: "Outlet {index:03d}"', f'    url: "{server.url(feed)}"']
    path.write_text("\n".join(lines) + "\n")
    return path


def vigil_once(
    feeds_yaml: Path, home: Path, env: dict[str, str], logs: Path, timeout: float
) -> tuple[Ran, int, str]:
    """One `vigil run`: (measurement, digests delivered by it, its 'new items/matches')."""
    command = [sys.executable, "-m", "vigil.cli", "run", "--feeds", str(feeds_yaml)]
    command.append("--no-articles")
    before = count_messages(home / "outbox")
    try:
        ran = run_measured(command, {**env, "VIGIL_HOME": str(home)}, REPO, logs, timeout)
    except subprocess.TimeoutExpired as exc:
        raise BenchmarkError(f"`vigil run` took longer than {timeout:g} s ({logs})") from exc
    if ran.returncode not in (0, 1):
        raise BenchmarkError(f"`vigil run` exited {ran.returncode}\n{ran.tail()}")
    output = ran.stdout.read_text(errors="replace")
    items, matches = NEW_ITEMS.search(output), NEW_MATCHES.search(output)
    note = (
        f"{items.group(1) if items else '?'} new items, {matches.group(1) if matches else '?'} "
        "new matches"
    )
    if ran.returncode == 1:
        failed = [line for line in output.splitlines() if "FAILED" in line][:5]
        note += "; exit 1: " + ("; ".join(failed) or "see " + str(ran.stdout))
        print(f"  warning: `vigil run` exited 1 (a feed or delivery failed): {note}", flush=True)
    return ran, count_messages(home / "outbox") - before, note


def vigil_series(
    cold: Row,
    warm: Row,
    feeds_yaml: Path,
    env: dict[str, str],
    scratch: Path,
    server: FeedServer,
    args: argparse.Namespace,
) -> None:
    """``--runs`` times: a cold run into a fresh VIGIL_HOME, then a warm run on the same."""
    for number in range(1, args.runs + 1):
        home = Path(tempfile.mkdtemp(prefix="vigil-home-", dir=scratch))
        for row, label in ((cold, "cold"), (warm, "warm")):
            server.hits.take()
            logs = scratch / "logs" / f"{row.name.replace(' ', '_')}-{number}"
            ran, delivered, note = vigil_once(feeds_yaml, home, env, logs, args.run_timeout)
            if label == "cold" and delivered < 1:
                raise BenchmarkError(
                    f"{row.name}: cold run delivered no digest to {home / 'outbox'}\n{ran.tail()}"
                )
            row.add(ran, delivered, server.hits.take(), note)
            print(
                f"  {row.name} ({number}/{args.runs}): {ran.seconds:.2f} s, "
                f"{delivered} message(s), {note}",
                flush=True,
            )


# -- the peers ------------------------------------------------------------------------------


def ensure_peers(venv: Path, peers: Sequence[str] = PEERS) -> dict[str, str]:
    """Install the peers into their own venv: {peer: version or 'failed: ...'}."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  creating {venv} ...", flush=True)
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            return {peer: f"failed: venv: {made.stderr.strip()[-300:]}" for peer in peers}
    found = {}
    for peer in peers:
        version = _version(python, peer)
        if version is None:
            print(f"  pip install {peer} into {venv} ...", flush=True)
            pip = subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", peer],
                capture_output=True,
                text=True,
            )
            version = _version(python, peer)
            if version is None:
                errors = [line for line in pip.stderr.splitlines() if "WARNING" not in line]
                found[peer] = f"failed: pip install {peer}: " + " | ".join(errors[-3:])
                continue
        found[peer] = version
    return found


def _version(python: Path, package: str) -> str | None:
    done = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def write_opml(path: Path, server: FeedServer, feeds: Sequence[Path]) -> Path:
    """The same feed list as vigil's YAML, in the format both peers import in one command."""
    outlines = "".join(
        f'    <outline type="rss" text={quoteattr(f"Outlet {i:03d}")} '
        f"title={quoteattr(f'Outlet {i:03d}')} xmlUrl={quoteattr(server.url(feed))}/>\n"
        for i, feed in enumerate(feeds)
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0">\n'
        f"  <head><title>benchmark feeds</title></head>\n  <body>\n{outlines}  </body>\n</opml>\n"
    )
    return path


@dataclass
class PeerSetup:
    """How to run a peer against a fresh state: its command, environment and Maildir."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    maildir: Path


def setup_rss2email(venv: Path, state: Path, opml: Path, env: dict[str, str]) -> PeerSetup:
    """A config delivering one mail per item to a Maildir, and the feeds via `r2e opmlimport`.

    `r2e add` without --only-new (and so opmlimport) sends the entries already in a feed on
    the first run, as vigil's cold run ingests them.
    """
    r2e = str(venv / "bin" / "r2e")
    config, data, maildir = state / "rss2email.cfg", state / "rss2email.json", state / "Maildir"
    parser = configparser.ConfigParser(interpolation=None)
    parser["DEFAULT"] = {
        "to": MAIL_TO,
        "from": "rss2email@localhost",
        "email-protocol": "maildir",
        "maildir-path": str(maildir),
        "maildir-mailbox": "INBOX",
        "verbose": "warning",
    }
    with config.open("w") as sink:
        parser.write(sink)
    maildir.mkdir()  # rss2email creates the mailbox folder, not the Maildir above it
    base = [r2e, "--config", str(config), "--data", str(data)]
    _setup_step([*base, "opmlimport", str(opml)], env, state, "rss2email opmlimport")
    return PeerSetup([*base, "run"], env, state, maildir)


def setup_feed2exec(venv: Path, state: Path, opml: Path, env: dict[str, str]) -> PeerSetup:
    """The maildir output plugin for every feed ([DEFAULT]), the feeds via `feed2exec import`."""
    f2e = str(venv / "bin" / "feed2exec")
    config, database, maildir = state / "feed2exec.ini", state / "feed2exec.db", state / "Maildir"
    parser = configparser.RawConfigParser()
    parser["DEFAULT"] = {
        "output": "feed2exec.plugins.maildir",
        "args": MAIL_TO,
        "mailbox": str(maildir),
        "folder": "INBOX",  # one folder for all feeds, like rss2email's
    }
    with config.open("w") as sink:
        parser.write(sink)
    base = [f2e, "--config", str(config), "--database", str(database)]
    _setup_step([*base, "import", str(opml)], env, state, "feed2exec import")
    return PeerSetup([*base, "fetch"], env, state, maildir)


def _setup_step(command: list[str], env: dict[str, str], cwd: Path, label: str) -> None:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise PeerError(f"{label} exited {done.returncode}: {done.stderr.strip()[-1500:]}")


def peer_env(state: Path) -> dict[str, str]:
    """XDG folders inside this run's state, so nothing leaks between runs or from ~."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VIGIL_"))}
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        folder = state / "xdg" / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(folder)
    return env


def peer_series(
    peer: str,
    cold: Row,
    warm: Row,
    venv: Path,
    opml: Path,
    scratch: Path,
    server: FeedServer,
    args: argparse.Namespace,
) -> None:
    """``--runs`` times: set up a fresh state (untimed), a cold run, then a warm run on it."""
    setup = setup_rss2email if peer == "rss2email" else setup_feed2exec
    expected = args.feeds * args.items
    for number in range(1, args.runs + 1):
        state = Path(tempfile.mkdtemp(prefix=f"{peer}-", dir=scratch))
        prepared = setup(venv, state, opml, peer_env(state))
        for row, label in ((cold, "cold"), (warm, "warm")):
            server.hits.take()
            logs = scratch / "logs" / f"{peer}-{label}-{number}"
            before = count_messages(prepared.maildir)
            try:
                ran = run_measured(
                    prepared.command, prepared.env, prepared.cwd, logs, args.run_timeout
                )
            except subprocess.TimeoutExpired as exc:
                raise PeerError(f"took longer than {args.run_timeout:g} s") from exc
            delivered = count_messages(prepared.maildir) - before
            if ran.returncode != 0:
                raise PeerError(f"{label} run exited {ran.returncode}\n{ran.tail()}")
            if label == "cold" and delivered < 1:
                raise PeerError(f"cold run delivered nothing to {prepared.maildir}\n{ran.tail()}")
            note = "" if label == "warm" or delivered == expected else f"expected {expected}"
            row.add(ran, delivered, server.hits.take(), note)
            print(
                f"  {row.name} ({number}/{args.runs}): {ran.seconds:.2f} s, "
                f"{delivered} message(s) in {prepared.maildir}",
                flush=True,
            )


# -- parsing speed ----------------------------------------------------------------------------


@dataclass
class ParseSpeed:
    """Entries parsed and the median seconds each parser took for all of them."""

    entries: int
    seconds: dict[str, float]

    def rate(self, label: str) -> float:
        return self.entries / self.seconds[label]


PARSE_PASSES = 5  # timed passes over every feed; the median is reported
VIGIL_PARSE = "vigil.sources.parse_feed"
VIGIL_PARSE_REFERENCE = "vigil.sources.parse_feed(fast=False)"
FEEDPARSER_PARSE = "feedparser.parse alone"


def parse_speed(paths: Sequence[Path], runs: int) -> ParseSpeed:
    """In-process, from bytes in memory: vigil's parse_feed, then feedparser.parse alone.

    parse_feed takes a fast parser where it can; when it offers ``fast=False`` (feedparser
    only) that is timed too, so the table separates the parser from vigil's own work. After a
    warm-up on 20 feeds, each parser reads every feed PARSE_PASSES times (or --runs times,
    if more); the median pass is reported.
    """
    import inspect

    import feedparser

    from vigil.sources import FeedSpec, parse_feed

    documents = [(path.read_bytes(), FeedSpec(name=path.stem, url=str(path))) for path in paths]
    parsers: dict[str, Callable[[bytes, object], int]] = {
        VIGIL_PARSE: lambda data, spec: len(parse_feed(data, spec).articles),
        FEEDPARSER_PARSE: lambda data, spec: len(feedparser.parse(data).entries),
    }
    if "fast" in inspect.signature(parse_feed).parameters:
        parsers[VIGIL_PARSE_REFERENCE] = lambda data, spec: len(
            parse_feed(data, spec, fast=False).articles
        )
    times: dict[str, list[float]] = {label: [] for label in parsers}
    counts: dict[str, int] = {}
    for parse in parsers.values():  # a warm-up pass: imports, caches, parsers made
        sum(parse(data, spec) for data, spec in documents[:20])
    # In-process passes are cheap: at least PARSE_PASSES of them, whatever --runs says.
    for _ in range(max(runs, PARSE_PASSES)):
        for label, parse in parsers.items():
            started = time.perf_counter()
            counts[label] = sum(parse(data, spec) for data, spec in documents)
            times[label].append(time.perf_counter() - started)
    if len(set(counts.values())) != 1:
        raise BenchmarkError(f"the parsers disagree on the number of entries: {counts}")
    return ParseSpeed(
        counts[VIGIL_PARSE], {label: statistics.median(t) for label, t in times.items()}
    )


# -- the whole benchmark ----------------------------------------------------------------------


@dataclass
class Results:
    rows: dict[str, Row]
    peers: dict[str, str] = field(default_factory=dict)
    speed: ParseSpeed | None = None
    server_mib: float = float("nan")


def measure(scratch: Path, args: argparse.Namespace, results: Results) -> None:
    """Every measurement; the feed server and any Prefect server are stopped however it ends."""
    rows = results.rows
    feed_paths = generate_feeds(scratch / "feeds", args.feeds, args.items)
    size = sum(path.stat().st_size for path in feed_paths)
    print(f"  generated {len(feed_paths)} feeds, {size / 2**20:.1f} MiB", flush=True)
    results.speed = parse_speed(feed_paths, args.runs)
    expected = args.feeds * args.items
    if results.speed.entries != expected:
        raise BenchmarkError(f"parsed {results.speed.entries} entries, expected {expected}")
    rates = ", ".join(
        f"{label} {results.speed.rate(label):,.0f}" for label in results.speed.seconds
    )
    print(f"  parsing (entries/s): {rates}", flush=True)

    server = FeedServer(feed_paths)
    server.start()
    prefect: subprocess.Popen[bytes] | None = None
    try:
        env = base_env(scratch / "prefect-home", scratch, VIGIL_FETCH_CONCURRENCY="16")
        feeds_yaml = write_feeds_yaml(scratch / "feeds.yaml", server, feed_paths)
        tiny_yaml = write_feeds_yaml(scratch / "tiny.yaml", server, feed_paths[:1])

        # The first temporary server migrates the shared Prefect database: not timed.
        print("  warm-up: one-shot `vigil run` on one feed ...", flush=True)
        vigil_once(tiny_yaml, Path(tempfile.mkdtemp(dir=scratch)), env, scratch / "logs" /
                   "warm-up-a", args.run_timeout)  # fmt: skip
        vigil_series(rows["a_cold"], rows["a_warm"], feeds_yaml, env, scratch, server, args)

        port = free_port()
        print(f"  starting prefect server on 127.0.0.1:{port} ...", flush=True)
        prefect, seconds = start_prefect_server(
            env, port, scratch / "prefect-server.log", args.server_timeout
        )
        print(f"  prefect server healthy after {seconds:.1f} s", flush=True)
        api_env = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
        with TreeSampler(prefect.pid) as server_sampler:
            print("  warm-up: `vigil run` on one feed against the server ...", flush=True)
            vigil_once(tiny_yaml, Path(tempfile.mkdtemp(dir=scratch)), api_env,
                       scratch / "logs" / "warm-up-b", args.run_timeout)  # fmt: skip
            vigil_series(rows["b_cold"], rows["b_warm"], feeds_yaml, api_env, scratch, server, args)
        results.server_mib = server_sampler.mib
        stop_group(prefect)  # not left running (and using CPU) while the peers are timed
        prefect = None

        if not args.peers:
            return
        results.peers = ensure_peers(args.peers_venv, args.peers)
        opml = write_opml(scratch / "feeds.opml", server, feed_paths)
        for peer in args.peers:
            cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
            if results.peers[peer].startswith("failed"):
                cold.failed = warm.failed = results.peers[peer]
                print(f"  {peer}: {results.peers[peer]}", flush=True)
                continue
            try:
                peer_series(peer, cold, warm, args.peers_venv, opml, scratch, server, args)
            except PeerError as exc:
                print(f"  {peer} FAILED: {exc}", flush=True)
                cold.failed = warm.failed = str(exc).splitlines()[0]
    finally:
        if prefect is not None:
            stop_group(prefect)
        server.stop()


def report(results: Results, args: argparse.Namespace) -> None:
    rows = results.rows
    print()
    print(f"results (medians of {args.runs} run(s) each)")
    print(
        f"  {'':<30} {'wall s':>8} {'tree MiB':>10} {'max proc':>10} {'messages':>9} "
        f"{'HTTP 200/304':>11}  note"
    )
    for row in rows.values():
        print(row.line())
    print(
        "  wall: launch to exit of the command. tree MiB: peak of the summed RSS of the "
        f"command's process tree, sampled every {SAMPLE_EVERY * 1000:.0f} ms."
    )
    print(
        "  max proc MiB: GNU time's %M, the largest single process. messages: files added to "
        "the Maildir by that run."
    )
    print(
        "  vigil delivers one digest of the matches per run; the peers deliver one mail per "
        "new item."
    )
    if results.server_mib == results.server_mib:
        print(
            f"  the running Prefect server's own tree peaked at {results.server_mib:.0f} MiB "
            "during the server runs (not in their rows)."
        )
    print()
    a_cold, a_warm, b_cold, b_warm = (rows[k] for k in ("a_cold", "a_warm", "b_cold", "b_warm"))
    print("vigil warm / cold (wall time)")
    print(f"  {'on a running server':<50} {_ratio(b_warm, b_cold):>8}")
    print(f"  {'one-shot':<50} {_ratio(a_warm, a_cold):>8}")
    ratios: list[tuple[str, str]] = []
    for peer in args.peers:
        cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
        ratios += [
            (f"{peer} cold / vigil-on-server cold", _ratio(cold, b_cold)),
            (f"{peer} cold / vigil one-shot cold", _ratio(cold, a_cold)),
            (f"{peer} warm / vigil-on-server warm", _ratio(warm, b_warm)),
            (f"{peer} warm / vigil one-shot warm", _ratio(warm, a_warm)),
            (f"{peer} cold / vigil one-shot cold, tree RSS", _ratio(cold, a_cold, "rss")),
            (f"{peer} cold / vigil-on-server cold, tree RSS", _ratio(cold, b_cold, "rss")),
        ]
    if ratios:
        print("peer / vigil (> 1x: vigil is faster or smaller)")
    for label, value in ratios:
        print(f"  {label:<50} {value:>8}")
    if results.speed:
        speed = results.speed
        print()
        print(f"parsing, in-process ({speed.entries:,} entries from memory)")
        for label in speed.seconds:
            print(f"  {label:<40} {speed.rate(label):10,.0f} entries/s")
    print()
    print("summary: " + summary(results, args))


def summary(results: Results, args: argparse.Namespace) -> str:
    rows = results.rows
    a_cold, a_warm, b_cold, b_warm = (rows[k] for k in ("a_cold", "a_warm", "b_cold", "b_warm"))
    parts = [
        f"{args.feeds} feeds x {args.items} items from loopback: vigil takes "
        f"{b_cold.wall:.1f} s cold / {b_warm.wall:.1f} s warm on a running Prefect server and "
        f"{a_cold.wall:.1f} s / {a_warm.wall:.1f} s one-shot (peak RSS {b_cold.rss:.0f} MiB "
        f"on a server, {a_cold.rss:.0f} MiB one-shot with its temporary server)"
    ]
    for peer in args.peers:
        cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
        if not cold.ok:
            parts.append(f"{peer} failed")
            continue
        parts.append(
            f"{peer} {cold.wall:.1f} s / {warm.wall:.1f} s, {cold.rss:.0f} MiB (its time / "
            f"vigil's: {_ratio(cold, b_cold)} cold and {_ratio(warm, b_warm)} warm against "
            f"vigil on a server, {_ratio(cold, a_cold)} cold against one-shot)"
        )
    if results.speed:
        speed = results.speed
        parts.append(
            f"parse_feed {speed.rate(VIGIL_PARSE):,.0f} entries/s vs feedparser "
            f"{speed.rate(FEEDPARSER_PARSE):,.0f}"
        )
    return "; ".join(parts) + (
        f" (medians of {args.runs}, Python {platform.python_version()}, {os.cpu_count()} CPUs)"
    )


def versions() -> str:
    found = subprocess.run(
        [sys.executable, "-c", "import prefect, vigil, feedparser; "
         "print(prefect.__version__, vigil.__version__, feedparser.__version__)"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    return found.stdout.strip() or "? ? ?"


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="vigil-ingest-", ignore_cleanup_errors=True) as tmp:
        yield Path(tmp)


def figures(results: Results, args: argparse.Namespace) -> dict[str, object]:
    """The results for scripts: every row, the ratios the issue's targets name, parse speed."""
    rows = results.rows

    def number(value: float) -> float | None:
        return None if value != value else round(value, 3)

    def ratio(top: Row, bottom: Row) -> float | None:
        return number(top.wall / bottom.wall) if top.ok and bottom.ok else None

    out: dict[str, object] = {
        "feeds": args.feeds,
        "items": args.items,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "rows": {
            key: {
                "name": row.name,
                "wall_s": number(row.wall),
                "tree_mib": number(row.rss),
                "messages": sorted(set(row.messages)),
                "failed": row.failed,
            }
            for key, row in rows.items()
        },
        "server_mib": number(results.server_mib),
        "peers": results.peers,
        "ratios": {},
    }
    ratios: dict[str, float | None] = {}
    for peer in args.peers:
        cold, warm = rows[f"{peer}_cold"], rows[f"{peer}_warm"]
        ratios[f"{peer}_cold_over_vigil_server_cold"] = ratio(cold, rows["b_cold"])
        ratios[f"{peer}_cold_over_vigil_oneshot_cold"] = ratio(cold, rows["a_cold"])
        ratios[f"{peer}_warm_over_vigil_server_warm"] = ratio(warm, rows["b_warm"])
        ratios[f"{peer}_warm_over_vigil_oneshot_warm"] = ratio(warm, rows["a_warm"])
    out["ratios"] = ratios
    if results.speed:
        out["parse_entries_per_s"] = {
            label: round(results.speed.rate(label)) for label in results.speed.seconds
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.json:
        # Progress and the table to stderr; stdout carries the JSON object only.
        with contextlib.redirect_stdout(sys.stderr):
            code, results = _main(args)
        if results is not None:
            print(json.dumps(figures(results, args), indent=2))
        return code
    return _main(args)[0]


def _main(args: argparse.Namespace) -> tuple[int, Results | None]:
    # A SIGTERM unwinds like Ctrl-C, so the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    prefect_version, vigil_version, feedparser_version = versions().split()
    print("vigil ingest vs peers benchmark")
    print(f"  feeds x items  {args.feeds} x {args.items} = {args.feeds * args.items:,} items "
          f"(RSS 2.0, seed {SEED}, served from 127.0.0.1 with ETag/Last-Modified)")  # fmt: skip
    print(f"  runs           {args.runs} per measurement (cold in a fresh state, then warm)")
    print(f"  python         {platform.python_version()} ({sys.executable})")
    print(f"  vigil          {vigil_version}, prefect {prefect_version}, "
          f"feedparser {feedparser_version}")  # fmt: skip
    print(f"  machine        {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    print("  vigil command  python -m vigil.cli run --feeds FILE --no-articles "
          "(VIGIL_FETCH_CONCURRENCY=16, Maildir outbox)")  # fmt: skip
    peers = f"{', '.join(args.peers)}, venv {args.peers_venv}" if args.peers else "skipped"
    print(f"  peers          {peers}")
    rss = "GNU time %M and a /proc tree sampler"
    if not HAVE_TIME:
        rss = f"a /proc tree sampler only ({GNU_TIME} missing: apt-get install time)"
    print(f"  peak RSS       {rss}")
    print(flush=True)

    names = {
        "a_cold": "vigil one-shot, cold",
        "a_warm": "vigil one-shot, warm",
        "b_cold": "vigil on running server, cold",
        "b_warm": "vigil on running server, warm",
    }
    if args.peers:
        for peer in args.peers:
            names[f"{peer}_cold"] = f"{peer}, cold"
            names[f"{peer}_warm"] = f"{peer}, warm"
    results = Results({key: Row(name) for key, name in names.items()})
    try:
        with scratch_dir() as scratch:
            measure(scratch, args, results)
    except BenchmarkError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1, None
    if results.peers:
        print("  peers installed: " + ", ".join(f"{k} {v}" for k, v in results.peers.items()))
    report(results, args)
    return 0, results


if __name__ == "__main__":
    sys.exit(main())
