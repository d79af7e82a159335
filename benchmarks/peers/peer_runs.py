"""Installing and timing the peers, rss2email and feed2exec, each delivering to a Maildir."""

from __future__ import annotations

import argparse
import configparser
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from peers.feedserver import FeedServer
from peers.measure import count_messages, run_measured
from peers.report import Row

MAIL_TO = "analyst@localhost"

PEERS = ("rss2email", "feed2exec")


class PeerError(RuntimeError):
    """A peer could not be installed or run: report it and go on with the others."""


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
            server.take_hits()
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
            row.add(ran, delivered, server.take_hits(), note)
            print(
                f"  {row.name} ({number}/{args.runs}): {ran.seconds:.2f} s, "
                f"{delivered} message(s) in {prepared.maildir}",
                flush=True,
            )
