"""A second process for large batches: the machine's other core matches half of them.

Matching is pure Python and holds the GIL, so threads would not help. The helper is a fresh
interpreter (running :func:`serve`), started once per
:class:`~vigil.rules.matcher.Matcher` on the first batch large enough to be worth it: not a
fork, so no lock held by one of the caller's threads is inherited, and the caller's
``__main__`` is not imported again. It builds its own Matcher from the same rule set and reads
batches from a pipe. Each article is matched on its own, so which process matched it changes
nothing; results come back as plain tuples, which cost a fraction of pickling the dataclasses.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from vigil.article import Article

if TYPE_CHECKING:
    from vigil.match import Match
    from vigil.rules.model import RuleSet

# Below this much text a batch is matched here: feeding the helper costs more than it saves.
PARALLEL_MIN_CHARACTERS = 2_000_000

# A Match as a plain tuple: rule_id, evidence, highlights, terms, actors, score, source, target.
MatchFields = tuple[
    str,
    str,
    tuple[tuple[int, int], ...],
    tuple[str, ...],
    tuple[str, ...],
    float,
    str | None,
    str | None,
]
Reply = tuple[list[list[MatchFields]], list[str]]


def worth_helping(articles: Sequence[Article]) -> bool:
    """Whether a batch is large enough, there is a second core to give it to, and the helper
    is not turned off (``VIGIL_MATCH_HELPER=0``, for workers that already share the cores)."""
    if len(articles) < 2 or _cores() < 2 or os.environ.get("VIGIL_MATCH_HELPER") == "0":
        return False
    size = 0
    for article in articles:
        size += len(article.title) + len(article.body)
        if size >= PARALLEL_MIN_CHARACTERS:
            return True
    return False


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def halfway(articles: Sequence[Article]) -> int:
    """The index that splits the batch into two parts of about the same amount of text."""
    total = sum(len(a.title) + len(a.body) for a in articles)
    size = 0
    for index, article in enumerate(articles):
        size += len(article.title) + len(article.body)
        if size * 2 >= total:
            return max(1, min(index + 1, len(articles) - 1))
    return len(articles) // 2


class Helper:
    """The helper process of one Matcher: :meth:`send` a batch, match another, :meth:`receive`.

    :meth:`close` (or the interpreter's exit) ends it: it stops when its input is closed.
    """

    def __init__(self, ruleset: RuleSet, budget: float) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from vigil.rules.parallel import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to: IO[bytes] = self._process.stdin
        self._from: IO[bytes] = self._process.stdout
        self._write((ruleset, budget))

    def send(self, articles: Sequence[Article]) -> None:
        self._write(list(articles))

    def receive(self) -> Reply:
        reply: Reply | BaseException = pickle.load(self._from)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def close(self) -> None:
        try:
            self._to.close()
            self._process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()

    def _write(self, message: object) -> None:
        pickle.dump(message, self._to, protocol=pickle.HIGHEST_PROTOCOL)
        self._to.flush()


def as_fields(match: Match) -> MatchFields:
    return (
        match.rule_id,
        match.evidence,
        match.highlights,
        match.terms,
        match.actors,
        match.score,
        match.source,
        match.target,
    )


def _serve(inbox: IO[bytes], outbox: IO[bytes]) -> None:
    """The helper's loop: a rule set first, then batches until the input closes."""
    from vigil.rules.matcher import Matcher

    ruleset, budget = pickle.load(inbox)
    matcher = Matcher(ruleset, budget=budget)
    while True:
        try:
            articles = pickle.load(inbox)
        except EOFError:
            return
        reply: Reply | BaseException
        try:
            found = matcher.match_here(articles)
            reply = ([[as_fields(m) for m in matches] for matches in found], matcher.warnings)
        except Exception as error:  # reported to the caller, which matches the batch itself
            reply = error
        pickle.dump(reply, outbox, protocol=pickle.HIGHEST_PROTOCOL)
        outbox.flush()
        matcher.warnings = []


def serve() -> None:
    """The helper process's entry point."""
    # Replies go to the original standard output; anything printed goes to standard error.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, replies)
