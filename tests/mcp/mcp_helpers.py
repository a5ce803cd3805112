"""`pqoracle mcp` as a subprocess, driven by the `mcp` SDK's own stdio client.

(No `__init__.py` in tests/mcp: pytest puts tests/ on sys.path, and a package named `mcp`
there would hide the SDK.)

    server = OracleServer(tmp_path)                      # a store, and keys in a directory
    results = server.session(scenario)                   # one process, one client session

`scenario` is an async function of the initialised `ClientSession`; every session is bounded in
time, and the process is stopped by the SDK's client when the session ends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from oracle.crypto import SigningKey
from oracle.crypto.kem import KemPrivateKey
from oracle.store import Store
from oracle.store.store import StoredSecurityEvent
from tests.imports import ROOT

T = TypeVar("T")

#: Seconds one session (start, scenario, stop) may take.
SESSION_TIMEOUT = 90.0


def this_checkout_env(**settings: str) -> dict[str, str]:
    """The environment that runs this checkout's `oracle` (the installed `pqoracle` may be
    another version) with `PQORACLE_*` settings: the SDK's client passes nothing else on."""
    return {"PYTHONPATH": str(ROOT), **settings}


class OracleServer:
    """How to start `pqoracle mcp` on a store and a key directory of its own under `tmp_path`."""

    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.store_url = f"sqlite:///{tmp_path / 'store.db'}"
        self.keys_dir = tmp_path / "keys"
        self.keys_dir.mkdir()
        self.signer = SigningKey.generate("ML-DSA-65")
        self.inbox = KemPrivateKey.generate()
        (self.keys_dir / "release.pem").write_bytes(self.signer.to_pem())
        (self.keys_dir / "inbox.pem").write_bytes(self.inbox.to_pem())
        self.stderr_path = tmp_path / "mcp-stderr.log"
        self.settings = {
            "PQORACLE_DATABASE_URL": self.store_url,
            "PQORACLE_API_SIGNING_KEYS_DIR": str(self.keys_dir),
            **settings,
        }

    def parameters(self) -> StdioServerParameters:
        """The stdio parameters that launch `pqoracle mcp` with these settings."""
        return StdioServerParameters(
            command=sys.executable,
            args=["-m", "oracle.cli", "mcp"],
            env=this_checkout_env(**self.settings),
            cwd=str(ROOT),
        )

    def session(self, scenario: Callable[[ClientSession], Awaitable[T]]) -> T:
        """Start the server, run `scenario` on an initialised session, stop the server."""
        return run_session(self.parameters(), scenario, self.stderr_path)

    def events(self) -> list[StoredSecurityEvent]:
        """The security events the server stored, oldest first."""
        store = Store.open(self.store_url)
        try:
            return store.security_events()
        finally:
            store.close()

    @property
    def stderr(self) -> str:
        """What the server wrote to stderr (its logs)."""
        return self.stderr_path.read_text(errors="replace")


def run_session(
    parameters: StdioServerParameters,
    scenario: Callable[[ClientSession], Awaitable[T]],
    stderr_path: Path,
) -> T:
    """Launch `parameters` with the SDK's stdio client, run `scenario` on an initialised session."""

    async def main() -> T:
        with anyio.fail_after(SESSION_TIMEOUT), stderr_path.open("a") as errlog:
            async with (
                stdio_client(parameters, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await scenario(session)

    return anyio.run(main)


def structured(result: Any) -> dict[str, Any]:
    """A successful tool result's structured JSON (and the same JSON in its text content)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert json.loads(result.content[0].text) == result.structured_content
    return dict(result.structured_content)


def tool_error(result: Any) -> str:
    """A failed tool result's one message."""
    assert result.is_error, result.structured_content
    [content] = result.content
    return str(content.text)
