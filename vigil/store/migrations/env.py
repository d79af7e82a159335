"""Alembic environment for the store. vigil runs it itself (``vigil.store.migrate``), handing
over an open connection; ``alembic`` on the command line (see ``alembic.ini``) works too, on
the database ``VIGIL_DATABASE_URL`` names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import context

from vigil.store.schema import metadata

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: migrations copy the table instead ("batch" mode).
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from vigil.settings import Settings
    from vigil.store.engine import make_engine

    engine = make_engine(Settings().store_url)
    with engine.begin() as opened:
        _run(opened)
