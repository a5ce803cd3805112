"""Persistence for the oracle daemon (SQLAlchemy 2; SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from oracle.domain import Submission, SubmissionState
from oracle.store.models import PostState, RequestState
from oracle.store.store import (
    IngestResult,
    Mined,
    OperatorLock,
    Store,
    StoredPost,
    StoredRequest,
)

__all__ = [
    "IngestResult",
    "Mined",
    "OperatorLock",
    "PostState",
    "RequestState",
    "Store",
    "StoredPost",
    "StoredRequest",
    "Submission",
    "SubmissionState",
]
