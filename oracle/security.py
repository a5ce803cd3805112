"""Security events: stored in the daemon's store and logged, through one function."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import TYPE_CHECKING, Final

from oracle.store.models import SecurityEventType, Severity

if TYPE_CHECKING:
    from oracle.store import Store
    from oracle.store.store import StoredSecurityEvent

__all__ = ["DEFAULT_SEVERITY", "SecurityEventType", "Severity", "event_as_json", "record_event"]

logger = logging.getLogger("oracle.security")

#: How serious each kind of event is unless the caller says otherwise.
DEFAULT_SEVERITY: Final[dict[SecurityEventType, Severity]] = {
    SecurityEventType.KEY_MISMATCH: Severity.CRITICAL,
    SecurityEventType.PAYLOAD_MISMATCH: Severity.CRITICAL,
    SecurityEventType.COMMITMENT_MISMATCH: Severity.CRITICAL,
    SecurityEventType.REQUEST_NOT_ON_CHAIN: Severity.WARNING,
    SecurityEventType.LOG_BLOCK_MISMATCH: Severity.CRITICAL,
    SecurityEventType.FALSE_FULFILMENT_LOG: Severity.CRITICAL,
    SecurityEventType.KEY_UNAVAILABLE: Severity.WARNING,
    SecurityEventType.VERDICT_DISAGREEMENT: Severity.CRITICAL,
    SecurityEventType.VOTE_DISPUTED: Severity.WARNING,
    SecurityEventType.REORG: Severity.WARNING,
    SecurityEventType.CHAIN_RESET: Severity.WARNING,
    SecurityEventType.FULFILMENT_REFUSED: Severity.WARNING,
    SecurityEventType.FEE_CAP_REACHED: Severity.WARNING,
    SecurityEventType.AUTH_REFUSED: Severity.WARNING,
    SecurityEventType.SIGNATURE_REJECTED: Severity.INFO,
    SecurityEventType.INPUT_SCREENED: Severity.WARNING,
    SecurityEventType.RATE_LIMITED: Severity.INFO,
    SecurityEventType.DECRYPTION_FAILED: Severity.WARNING,
    SecurityEventType.WRONG_VERDICT_POSTED: Severity.CRITICAL,
}

_LEVEL: Final = {
    Severity.INFO: logging.INFO,
    Severity.WARNING: logging.WARNING,
    Severity.CRITICAL: logging.ERROR,
}


def record_event(
    store: Store,
    event_type: SecurityEventType,
    detail: str,
    *,
    severity: Severity | None = None,
    request_id: bytes | None = None,
    key_id: bytes | None = None,
    tx_hash: bytes | None = None,
    block_number: int | None = None,
) -> StoredSecurityEvent:
    """Store a security event and log it as one line (never a payload: ids and hashes only).

    Raises:
        StoreError: the database failed.
    """
    level = severity or DEFAULT_SEVERITY[event_type]
    stored = store.add_security_event(
        event_type,
        level,
        detail,
        request_id=request_id,
        key_id=key_id,
        tx_hash=tx_hash,
        block_number=block_number,
    )
    extra: dict[str, object] = {"event": event_type.value, "severity": level.value}
    for name, value in (
        ("request_id", request_id),
        ("key_id", key_id),
        ("tx_hash", tx_hash),
        ("block", block_number),
    ):
        if value is not None:
            extra[name] = value
    logger.log(_LEVEL[level], "security event: %s", detail, extra=extra)
    return stored


def event_as_json(event: StoredSecurityEvent) -> dict[str, object]:
    """One stored event as JSON-ready values: ISO time in UTC, ids as `0x` hex."""
    created = event.created_at
    if created.tzinfo is None:  # SQLite hands timestamps back without their zone
        created = created.replace(tzinfo=UTC)
    return {
        "id": event.id,
        "time": created.isoformat(timespec="seconds"),
        "type": event.type.value,
        "severity": event.severity.value,
        "request_id": None if event.request_id is None else "0x" + event.request_id.hex(),
        "key_id": None if event.key_id is None else "0x" + event.key_id.hex(),
        "tx_hash": None if event.tx_hash is None else "0x" + event.tx_hash.hex(),
        "block": event.block_number,
        "detail": event.detail,
    }
