"""Fixtures for the `pqoracle mcp` tests (helpers in mcp_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mcp.mcp_helpers import OracleServer


@pytest.fixture
def server(tmp_path: Path) -> OracleServer:
    """`pqoracle mcp` on its own store, with an ML-DSA-65 key `release` and an ML-KEM key
    `inbox`, no chain (the SDK's client passes on no `PQORACLE_*` variable of this process)."""
    return OracleServer(tmp_path)
