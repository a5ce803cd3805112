"""Schema 6: optimistic mode. Every recorded transaction says what it calls (`submissions.kind`:
a vote batch, a post, a finalisation, a challenge, a bond deposit, a cancellation), so posts,
finalisations and challenges go through the vote transactions' journal; `posts` holds the verdicts
posted on chain and what the watcher made of each (judged, challenged once, won or lost).

Revision ID: 0004_optimistic
Revises: 0003_fee_replacements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_optimistic"
down_revision = "0003_fee_replacements"
branch_labels = None
depends_on = None

# Enum members are stored by name, as in every earlier revision.
_KINDS = ("VOTE", "POST", "FINALIZE", "CHALLENGE", "BOND", "CANCEL")
_POST_STATES = (
    "OPEN",
    "AGREED",
    "CHALLENGED",
    "WON",
    "LOST",
    "CLOSED",
    "UNJUDGED",
    "ORPHANED",
)


def upgrade() -> None:
    """Add `submissions.kind` (every existing row is a vote batch) and the `posts` table;
    record schema version 6."""
    # Plain ADD COLUMN, which SQLite runs in place: a batch copy of the table would trip the
    # foreign key of `submission_votes`.
    op.add_column(
        "submissions",
        sa.Column(
            "kind",
            sa.Enum(*_KINDS, name="submissionkind", native_enum=False, length=16),
            nullable=False,
            server_default="VOTE",
        ),
    )
    op.create_table(
        "posts",
        sa.Column("request_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("poster", sa.String(length=42), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("bond", sa.String(length=40), nullable=False),
        sa.Column("finalizes_at", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(*_POST_STATES, name="poststate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reward", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index("ix_posts_state", "posts", ["state"])
    op.execute("UPDATE meta SET schema_version = 6 WHERE schema_version = 5")


def downgrade() -> None:
    """Drop the `posts` table and `submissions.kind`; record schema version 5."""
    op.drop_index("ix_posts_state", table_name="posts")
    op.drop_table("posts")
    # SQLite drops a column in place since 3.35.
    op.drop_column("submissions", "kind")
    op.execute("UPDATE meta SET schema_version = 5 WHERE schema_version = 6")
