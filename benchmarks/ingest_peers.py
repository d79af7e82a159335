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

This script is the entry point (arguments, the order of the measurements, exit codes); the
parts are in benchmarks/peers/: corpus (the feeds), feedserver, measure (one command's time
and RSS), vigil_runs, peer_runs, parsing, report (the table and the JSON figures).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from peers.corpus import SEED, generate_feeds
from peers.feedserver import FeedServer
from peers.measure import GNU_TIME, HAVE_TIME, TreeSampler
from peers.parsing import parse_speed
from peers.peer_runs import PEERS, PeerError, ensure_peers, peer_series, write_opml
from peers.report import Results, Row, figures, report
from peers.vigil_runs import vigil_once, vigil_series, write_feeds_yaml
from prefect_server import (
    REPO,
    BenchmarkError,
    base_env,
    free_port,
    start_prefect_server,
    stop_group,
)


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


# -- the whole benchmark ----------------------------------------------------------------------


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
