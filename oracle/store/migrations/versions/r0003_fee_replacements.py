"""Schema 5: vote transactions that are replaced when stuck, up to the operator's fee cap.

`sent_block` is the head when a submission's bytes were first handed to a node (a replacement is
due `replace_after_blocks` later); `fee_capped` marks one whose bump would pass the fee cap (its
security event is recorded once). Replacements are rows of their own with the nonce they share.

Revision ID: 0003_fee_replacements
Revises: 0002_replica_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_fee_replacements"
down_revision = "0002_replica_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the replacement columns; record schema version 5."""
    # Plain ADD COLUMN, which SQLite runs in place: a batch copy of the table would trip the
    # foreign key of `submission_votes`.
    op.add_column("submissions", sa.Column("sent_block", sa.BigInteger(), nullable=True))
    op.add_column(
        "submissions",
        sa.Column("fee_capped", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE meta SET schema_version = 5 WHERE schema_version = 4")


def downgrade() -> None:
    """Drop the replacement columns; record schema version 4."""
    # SQLite drops a column in place since 3.35.
    op.drop_column("submissions", "fee_capped")
    op.drop_column("submissions", "sent_block")
    op.execute("UPDATE meta SET schema_version = 4 WHERE schema_version = 5")
