"""What the workbench commands' tests share: a store filled by the demo run."""

import pytest

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.settings import Settings

from tests.conftest import RULES


@pytest.fixture
def demo(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The demo run's store, delivered, with the CLI pointed at it."""
    monitor = Monitor(settings)
    assert run_once(monitor).ok
    monitor.close()
    for name, value in {
        "VIGIL_HOME": settings.home,
        "VIGIL_DATABASE_URL": settings.store_url,
        "VIGIL_RULES": RULES,
    }.items():
        monkeypatch.setenv(name, str(value))
    return settings


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables drawn as on a terminal (with box drawing, which the tests split cells by)."""
    from vigil.cli import output

    monkeypatch.setattr(output, "on_terminal", lambda: True)
