"""Alembic's environment: migrate the connection `oracle.store.schema` passes in."""

from __future__ import annotations

from alembic import context

from oracle.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it: batch mode renders such steps for it.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
