"""`request_status` against a SignatureVerifier on Anvil, with the oracle daemon on its store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client import ClientSession

from oracle.config import Settings
from oracle.crypto import SigningKey
from oracle.daemon.service import OracleDaemon
from oracle.requests import open_request
from oracle.store import Store
from tests.chains import LocalNode, deploy_with_roles
from tests.mcp.mcp_helpers import OracleServer, structured, tool_error

pytestmark = pytest.mark.integration

API_KEY = "rpc-api-key-0f3c9e"


def test_request_status_reports_the_contract_and_the_daemons_store_as_a_request_settles(
    anvil: LocalNode, tmp_path: Path
) -> None:
    deployment = deploy_with_roles(anvil.connect())
    key = SigningKey.generate("ML-DSA-44")
    key_id = deployment.admin.register_key(key.algorithm.id, key.public_key)
    request, _ = open_request(deployment.admin, key_id, b"pay 10", b"", key.sign(b"pay 10"))
    request_id = "0x" + request.request_id.hex()
    unknown = "0x" + "cd" * 32
    # Credentials in the URL (as a hosted node's API key would be) must stay out of the logs.
    rpc_url = anvil.rpc_url.replace("http://", f"http://pqoracle:{API_KEY}@")
    server = OracleServer(
        tmp_path,
        PQORACLE_RPC_URL=rpc_url,
        PQORACLE_VERIFIER_ADDRESS=deployment.admin.address,
        # Not needed to read; set so the test sees that no log line carries it.
        PQORACLE_PRIVATE_KEY=anvil.private_key,
    )

    def run_the_daemon() -> None:
        # The oracle's daemon on the server's store: it reads the request, verifies, votes.
        store = Store.open(server.store_url)
        try:
            settings = Settings(database_url=server.store_url, poll_interval=0.05)
            daemon = OracleDaemon(deployment.oracle, store, settings)
            daemon.run(until_settled=True, timeout=60)
        finally:
            store.close()

    async def scenario(session: ClientSession) -> list[Any]:
        before = await session.call_tool("request_status", {"request_id": request_id})
        await anyio.to_thread.run_sync(run_the_daemon)
        after = await session.call_tool("request_status", {"request_id": request_id})
        missing = await session.call_tool("request_status", {"request_id": unknown})
        return [before, after, missing]

    before, after, missing = server.session(scenario)
    assert structured(before) == {
        "request_id": request_id,
        "store": None,
        "chain": {
            "status": "pending",
            "valid_votes": 0,
            "invalid_votes": 0,
            "deadline": request.deadline,
        },
    }
    settled = structured(after)
    assert settled["store"] == settled["store"] | {
        "state": "final",
        "verdict": True,
        "final_status": "valid",
        "key_id": "0x" + key_id.hex(),
        "requester": deployment.admin.chain.address,
        "block": request.block_number,
    }
    assert settled["chain"] == {
        "status": "valid",
        "valid_votes": 1,
        "invalid_votes": 0,
        "deadline": request.deadline,
    }
    assert tool_error(missing).endswith(f"no request has id {unknown} in the store or the contract")
    logs = server.stderr
    assert "MCP server ready: 6 tools, 1 signing keys, 1 envelope keys, chain configured" in logs
    secret = anvil.private_key.lower().removeprefix("0x")
    assert secret not in logs.lower()
    assert API_KEY not in logs
    assert "connected to chain 31337 at http://127.0.0.1:" in logs
