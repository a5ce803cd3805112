"""The oracle daemon: watches a SignatureVerifier, verifies requests off-chain, posts verdicts."""

from __future__ import annotations

from oracle.daemon.service import CycleReport, OracleDaemon
from oracle.daemon.watcher import Watcher

__all__ = ["CycleReport", "OracleDaemon", "Watcher"]
