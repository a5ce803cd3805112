"""Alembic migrations of the store, run by `Store.open` (no alembic.ini needed).

`env.py` runs on the connection `oracle.store.schema` hands it (in `config.attributes`), inside
that connection's transaction, so a migration and the check before it are one transaction.
"""
