"""Schema 4: leases on requests, so several daemon replicas of one operator split the work.

A replica claims pending requests (`claimed_by`, `lease_until`); when it dies, its claims lapse
at `lease_until` and another replica takes them.

Revision ID: 0002_replica_claims
Revises: 0001_schema_3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_replica_claims"
down_revision = "0001_schema_3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the claim columns; record schema version 4."""
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE meta SET schema_version = 4 WHERE schema_version = 3")


def downgrade() -> None:
    """Drop the claim columns; record schema version 3."""
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
    op.execute("UPDATE meta SET schema_version = 3 WHERE schema_version = 4")
