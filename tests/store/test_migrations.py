"""The store's Alembic migrations: the first revision is schema 3 exactly, a store created before
migrations existed is stamped and upgraded with its rows, a store from a newer pqoracle is refused.
Each test runs on a SQLite file and on a real PostgreSQL database (`store_url`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from oracle.domain import Status, SubmissionState
from oracle.errors import StoreError
from oracle.store import RequestState, Store, schema
from oracle.store.models import SCHEMA_VERSION, Base, SecurityEventType
from tests.store import schema3_models as v3
from tests.store.conftest import VERIFIER, raw_engine


def _differences(url: str, metadata: object) -> list[object]:
    engine = raw_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = list(compare_metadata(context, metadata))  # type: ignore[arg-type]
    engine.dispose()
    return found


def test_a_migrated_store_has_exactly_the_models_schema(store_url: str) -> None:
    Store.open(store_url).close()
    assert _differences(store_url, Base.metadata) == []


def test_the_first_revision_is_schema_3_exactly(store_url: str) -> None:
    engine = raw_engine(store_url)
    with engine.begin() as connection:
        # Only the first revision: what a store created before migrations holds.
        from alembic import command

        config = schema._config(connection)
        command.upgrade(config, schema.BASELINE)
    engine.dispose()
    assert _differences(store_url, v3.Base.metadata) == []


def _populate_schema_3(url: str) -> None:
    """A store as the code before migrations left it: create_all, bound, with rows."""
    engine = raw_engine(url)
    v3.Base.metadata.create_all(engine)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        session.add(v3.Meta(id=1, schema_version=3, chain_id=31337, verifier=VERIFIER))
        session.add(v3.Cursor(name="logs", next_block=42))
        session.add(
            v3.KeyRecord(
                key_id=b"\x01" * 32,
                algorithm_id=1,
                public_key=b"\x07" * 1312,
                registrant=VERIFIER,
                block_number=10,
                tx_hash=b"\xaa" * 32,
            )
        )
        for n, state in ((1, v3.RequestState.PENDING), (2, v3.RequestState.SUBMITTED)):
            session.add(
                v3.RequestRecord(
                    request_id=bytes([n]) * 32,
                    seq=n,
                    key_id=b"\x01" * 32,
                    requester=VERIFIER,
                    nonce=str(2**200 + n),
                    commitment=bytes([n]) * 32,
                    fee="0",
                    callback_gas_limit=0,
                    deadline=2_000_000_000,
                    message=b"message %d" % n,
                    context=b"",
                    signature=b"\x01" * 2420,
                    block_number=11,
                    block_hash=b"\xbb" * 32,
                    tx_hash=bytes([n]) * 32,
                    log_index=0,
                    state=state,
                    verdict=None if n == 1 else True,
                    seen_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        submission = v3.Submission(
            tx_hash=b"\x40" * 32,
            sender=VERIFIER,
            nonce=0,
            raw_tx=b"raw",
            state=SubmissionState.SIGNED,
            sends=1,
            confirmed=False,
        )
        session.add(submission)
        session.flush()
        session.add(
            v3.SubmissionVote(submission_id=submission.id, request_id=b"\x02" * 32, valid=True)
        )
        session.add(
            v3.SecurityEvent(
                type=v3.SecurityEventType.REORG,
                severity=v3.Severity.WARNING,
                detail="blocks replaced",
                created_at=now,
            )
        )
    engine.dispose()


def test_a_populated_schema_3_store_is_stamped_and_upgraded_in_place(store_url: str) -> None:
    _populate_schema_3(store_url)
    store = Store.open(store_url)
    assert store.schema_revision() == schema.head()
    store.bind(31337, VERIFIER)  # the same deployment: accepted
    assert store.next_block(default=0) == 42
    assert store.key(b"\x01" * 32) is not None
    pending = store.request(b"\x01" * 32)
    assert pending is not None
    assert (pending.state, pending.request.nonce) == (RequestState.PENDING, 2**200 + 1)
    [submission] = store.submissions(b"\x02" * 32)
    assert (submission.sends, submission.votes) == (1, ((b"\x02" * 32, True),))
    [event] = store.security_events()
    assert (event.type, event.detail) == (SecurityEventType.REORG, "blocks replaced")
    # What the new revisions added works on the old rows.
    [claimed] = store.claim_pending("replica-a", limit=10, lease=30)
    assert claimed.request.request_id == b"\x01" * 32
    assert store.record_verdicts([(b"\x01" * 32, False)], "cryptography", owner="replica-a")
    store.mark_final(b"\x02" * 32, Status.VALID, 50)
    store.close()
    engine = raw_engine(store_url)
    with engine.connect() as connection:
        version = connection.scalar(text("SELECT schema_version FROM meta"))
    engine.dispose()
    assert version == SCHEMA_VERSION
    assert _differences(store_url, Base.metadata) == []
    # Opening again changes nothing.
    Store.open(store_url).close()


def test_a_store_from_a_newer_pqoracle_is_refused_in_one_line(store_url: str) -> None:
    Store.open(store_url).close()
    engine = raw_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    with pytest.raises(StoreError) as refused:
        Store.open(store_url)
    message = str(refused.value)
    assert "0099_from_the_future" in message
    assert "upgrade pqoracle" in message
    assert "\n" not in message


def test_a_store_without_migrations_at_another_schema_version_is_refused(store_url: str) -> None:
    _populate_schema_3(store_url)
    engine = raw_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE meta SET schema_version = 2"))
    engine.dispose()
    with pytest.raises(StoreError, match="schema version 2 and no migration history"):
        Store.open(store_url)
    engine = raw_engine(store_url)
    assert not inspect(engine).has_table("alembic_version")
    engine.dispose()


def test_an_empty_database_gets_every_revision(store_url: str) -> None:
    store = Store.open(store_url)
    assert store.schema_revision() == schema.head() == "0004_optimistic"
    store.close()


def test_revision_3_adds_the_replacement_columns_to_old_submissions_and_goes_back(
    store_url: str,
) -> None:
    _populate_schema_3(store_url)
    engine = raw_engine(store_url)
    with engine.begin() as connection:
        from alembic import command

        config = schema._config(connection)
        command.stamp(config, schema.BASELINE)
        command.upgrade(config, "0002_replica_claims")
        command.upgrade(config, "0003_fee_replacements")
        sent_block, capped = connection.execute(
            text("SELECT sent_block, fee_capped FROM submissions")
        ).one()
        assert (sent_block, bool(capped)) == (None, False)
        command.downgrade(config, "0002_replica_claims")
        columns = {column["name"] for column in inspect(connection).get_columns("submissions")}
        assert {"sent_block", "fee_capped"}.isdisjoint(columns)
        assert connection.scalar(text("SELECT schema_version FROM meta")) == 4
    engine.dispose()
    store = Store.open(store_url)
    [old] = store.submissions(b"\x02" * 32)
    assert (old.sent_block, old.fee_capped) == (None, False)
    # An old signed submission can be replaced: the new version carries its nonce and votes.
    store.record_replacement(old.tx_hash, tx_hash=b"\x0b" * 32, raw_tx=b"\x02\x01")
    first, second = store.submissions(b"\x02" * 32)
    assert (second.nonce, second.votes, second.sends) == (first.nonce, first.votes, 0)
    store.close()
