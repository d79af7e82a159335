"""How far a run has read, for whoever started it in this process and wants to show it
(``vigil run`` on a terminal: a progress bar; in a log, a line per tenth). Runs report whether
anyone listens; a listener that fails is dropped, never the run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunProgress:
    sources_done: int
    sources_total: int
    new_items: int
    new_matches: int


Listener = Callable[[RunProgress], None]
_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call ``listener`` with each report of the runs of this process, while inside."""
    _listeners.append(listener)
    try:
        yield
    finally:
        if listener in _listeners:
            _listeners.remove(listener)


def report(progress: RunProgress) -> None:
    for listener in list(_listeners):
        try:
            listener(progress)
        except Exception:  # a display that broke (a closed terminal) must not stop the run
            if listener in _listeners:
                _listeners.remove(listener)
