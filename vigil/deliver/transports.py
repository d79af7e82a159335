"""Which transport a run delivers with: the one place that turns settings into a transport.

Every module of vigil.deliver that defines ``from_settings(settings)`` (a transport, or None
when it is not configured) and ``PRECEDENCE`` is a transport; the configured one of lowest
precedence is chosen: SMTP when ``VIGIL_SMTP_HOST`` is set, else the Maildir at
``$VIGIL_HOME/outbox``. A new transport is a module of its own, found here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache

import vigil.deliver
from vigil.deliver.outbox import Transport
from vigil.errors import ConfigError
from vigil.settings import Settings

Choice = Callable[[Settings], Transport | None]


@cache
def transport_modules() -> tuple[tuple[int, str, Choice], ...]:
    """(precedence, module name, from_settings) of every transport module, in precedence order."""
    found = []
    for info in pkgutil.iter_modules(vigil.deliver.__path__):
        module = importlib.import_module(f"vigil.deliver.{info.name}")
        choose = getattr(module, "from_settings", None)
        if callable(choose):
            found.append((int(getattr(module, "PRECEDENCE", 50)), info.name, choose))
    return tuple(sorted(found, key=lambda entry: entry[:2]))


def make_transport(settings: Settings) -> Transport:
    """The configured transport of lowest precedence."""
    for _, _, choose in transport_modules():
        if (transport := choose(settings)) is not None:
            return transport
    raise ConfigError("no delivery transport is configured")  # the Maildir always is
