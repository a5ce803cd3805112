"""Persistence for the oracle daemon (SQLAlchemy 2; SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from oracle.store.models import RequestState, SubmissionState
from oracle.store.store import (
    IngestResult,
    Store,
    StoredRequest,
    StoredSubmission,
)

__all__ = [
    "IngestResult",
    "RequestState",
    "Store",
    "StoredRequest",
    "StoredSubmission",
    "SubmissionState",
]
