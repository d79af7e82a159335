"""What a run checks before it pays for Prefect's start-up: the state folder and the store
usable, the rules, feeds and recipients files well formed. A problem is an exception that
names the file or setting; what only deserves a warning comes back to be shown."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from vigil.errors import StoreError
from vigil.recipients import load_recipients
from vigil.rules import Matcher, RuleSet, load_ruleset
from vigil.rules.examples import ExampleFailure, check_examples
from vigil.settings import Settings
from vigil.sources import load_feeds_file
from vigil.store import Store


@dataclass(frozen=True)
class Preflight:
    """The checked rule set, and its examples that misbehave: a run goes on despite them
    (the other rules work), ``vigil rules check`` fails on them."""

    ruleset: RuleSet
    example_failures: list[ExampleFailure] = field(default_factory=list)


def check_state_folder(settings: Settings) -> None:
    """VIGIL_HOME writable and the store usable, or a StoreError saying which and what to do."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=settings.home):
            pass
    except OSError as exc:
        raise StoreError(
            f"VIGIL_HOME {settings.home} is not a folder vigil may write to ({exc.strerror}); "
            "choose another with VIGIL_HOME"
        ) from None
    Store(settings.store_url, timeout=settings.database_timeout).close()


def check_inputs(settings: Settings, warn: Callable[[str], None]) -> Preflight:
    """Rules, feeds, the state folder and recipients, in that order; the first unusable one
    raises (a VigilError naming it). Rule files skipped (a link not followed, an unreadable
    file) are passed to ``warn`` as soon as the rules are read."""
    ruleset = load_ruleset(settings.rules, follow_links=settings.rules_follow_links)
    for line in ruleset.skipped:
        warn(line)
    specs = load_feeds_file(settings.feeds)
    check_state_folder(settings)
    if settings.recipients is not None:
        load_recipients(settings.recipients, ruleset, [tag for s in specs for tag in s.tags])
    return Preflight(ruleset, check_examples(Matcher(ruleset)))
