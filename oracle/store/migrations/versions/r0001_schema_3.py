"""Schema 3: the tables as `Base.metadata.create_all` made them before migrations existed.

A store created that way (no `alembic_version` table, `meta.schema_version` 3) is stamped with
this revision and upgraded from it.

Revision ID: 0001_schema_3
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_schema_3"
down_revision = None
branch_labels = None
depends_on = None

_REQUEST_STATES = (
    "PENDING",
    "VERIFIED",
    "SUBMITTED",
    "VOTED",
    "FINAL",
    "REJECTED",
    "ORPHANED",
    "VANISHED",
)
_EVENT_TYPES = (
    "KEY_MISMATCH",
    "PAYLOAD_MISMATCH",
    "COMMITMENT_MISMATCH",
    "REQUEST_NOT_ON_CHAIN",
    "LOG_BLOCK_MISMATCH",
    "FALSE_FULFILMENT_LOG",
    "KEY_UNAVAILABLE",
    "VERDICT_DISAGREEMENT",
    "VOTE_DISPUTED",
    "REORG",
    "CHAIN_RESET",
    "FULFILMENT_REFUSED",
    "AUTH_REFUSED",
    "SIGNATURE_REJECTED",
    "INPUT_SCREENED",
    "RATE_LIMITED",
    "DECRYPTION_FAILED",
)


def _enum(name: str, values: tuple[str, ...], length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade() -> None:
    """Create the schema-3 tables."""
    op.create_table(
        "cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "ingested_blocks",
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "keys",
        sa.Column("key_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("algorithm_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("registrant", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_table(
        "meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("verifier", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "requests",
        sa.Column("request_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("requester", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.String(length=80), nullable=False),
        sa.Column("commitment", sa.LargeBinary(length=32), nullable=False),
        sa.Column("fee", sa.String(length=40), nullable=False),
        sa.Column("callback_gas_limit", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("context", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("state", _enum("requeststate", _REQUEST_STATES, 16), nullable=False),
        sa.Column("verdict", sa.Boolean(), nullable=True),
        sa.Column("final_status", sa.String(length=16), nullable=True),
        sa.Column("final_block", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("backend", sa.String(length=32), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index("ix_requests_seq", "requests", ["seq"], unique=False)
    op.create_index("ix_requests_state", "requests", ["state", "seq"], unique=False)
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", _enum("securityeventtype", _EVENT_TYPES, 32), nullable=False),
        sa.Column(
            "severity", _enum("severity", ("INFO", "WARNING", "CRITICAL"), 16), nullable=False
        ),
        sa.Column("request_id", sa.LargeBinary(length=32), nullable=True),
        sa.Column("key_id", sa.LargeBinary(length=32), nullable=True),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_security_events_time", "security_events", ["created_at"], unique=False)
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=False),
        sa.Column(
            "state",
            _enum("submissionstate", ("SIGNED", "MINED", "REVERTED", "DROPPED"), 16),
            nullable=False,
        ),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tx_hash"),
    )
    op.create_table(
        "submission_votes",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.request_id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("submission_id", "request_id"),
    )
    op.create_index("ix_submission_votes_request", "submission_votes", ["request_id"], unique=False)


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "submission_votes",
        "submissions",
        "security_events",
        "requests",
        "meta",
        "keys",
        "ingested_blocks",
        "cursor",
    ):
        op.drop_table(table)
