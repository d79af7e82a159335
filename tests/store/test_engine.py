"""A PostgreSQL URL without the postgres extra installed: one line that says what to install."""

import importlib.util

import pytest

from vigil.errors import StoreError
from vigil.store.engine import make_engine


def test_a_postgres_url_without_its_driver_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a)
    )
    with pytest.raises(StoreError, match=r"pip install 'vigil\[postgres\]'") as caught:
        make_engine("postgresql://vigil:secret@db.example.org/vigil")
    assert "secret" not in str(caught.value)  # the URL is shown without its password
