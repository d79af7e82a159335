"""What the web tests share: the demo run's store, and the app over it in a test client."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from vigil.settings import Settings
from vigil.store import Store
from vigil.web import create_app

from tests.cli.conftest import demo
from tests.conftest import changed

__all__ = ["demo"]


@pytest.fixture
def client(demo: Settings) -> Iterator[TestClient]:
    """The page over the demo store, open (no token), as on loopback."""
    with TestClient(create_app(demo), base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def guarded(demo: Settings) -> Iterator[TestClient]:
    """The page with VIGIL_WEB_TOKEN set to "s3cret-token"."""
    app = create_app(changed(demo, web_token="s3cret-token"))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture
def store(demo: Settings) -> Iterator[Store]:
    opened = Store(demo.store_url)
    yield opened
    opened.close()


def csrf_of(page: str) -> str:
    """The CSRF token a rendered page's forms carry."""
    marker = 'name="csrf" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]
