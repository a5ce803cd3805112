"""Persistence for the oracle daemon (SQLAlchemy 2; SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from oracle.store.models import RequestState, SubmissionState
from oracle.store.store import (
    IndexedKey,
    IndexedRequest,
    IngestResult,
    Store,
    StoredRequest,
    StoredSubmission,
)

__all__ = [
    "IndexedKey",
    "IndexedRequest",
    "IngestResult",
    "RequestState",
    "Store",
    "StoredRequest",
    "StoredSubmission",
    "SubmissionState",
]
