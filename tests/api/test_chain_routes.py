"""`/v1/keys` and `/v1/requests` against a verifier on Anvil, with the daemon voting in between."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from oracle.api import create_app
from oracle.api.auth import LocalIssuer
from oracle.chain.devnode import LocalNode
from oracle.config import Settings
from oracle.crypto import PublicKey, SigningKey
from oracle.daemon.service import OracleDaemon
from oracle.store import Store
from tests.api.conftest import bearer, issue
from tests.chains import Deployment, deploy_with_roles

MESSAGE = b"release escrow 7"
CONTEXT = b"escrow-v1"


@dataclass
class Service:
    """The API attached to a verifier on Anvil, with a token for the `requests` scope."""

    client: TestClient
    headers: dict[str, str]
    deployment: Deployment
    store: Store
    settings: Settings

    def settle(self) -> None:
        """One oracle's daemon, on the API's store, until every request it saw is final."""
        daemon_settings = self.settings.model_copy(update={"poll_interval": 0.01})
        daemon = OracleDaemon(self.deployment.oracle, self.store, daemon_settings)
        daemon.run(until_settled=True, timeout=60)


@pytest.fixture
def service(
    anvil: LocalNode, settings: Settings, store: Store, issuer: LocalIssuer
) -> Iterator[Service]:
    deployment = deploy_with_roles(anvil.connect(poll_latency=0.01))
    chained = settings.model_copy(
        update={
            "rpc_url": anvil.rpc_url,
            "verifier_address": deployment.admin.address,
            "private_key": SecretStr(anvil.private_key),
        }
    )
    with TestClient(create_app(chained, store=store)) as client:
        yield Service(client, bearer(issue(issuer, "requests")), deployment, store, chained)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


@pytest.mark.integration
def test_a_key_registered_and_a_request_opened_through_the_api_reach_a_verdict(
    service: Service,
) -> None:
    client, headers = service.client, service.headers
    key = SigningKey.generate("ML-DSA-44")
    body = {"algorithm": "ML-DSA-44", "public_key": _hex(key.public_key)}
    first = client.post("/v1/keys", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["key_id"] == _hex(key.key_id)
    assert first.json()["registered"] == "now"
    assert first.json()["gas_used"] > 0
    again = client.post("/v1/keys", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["registered"] == "already"

    good = {
        "key_id": _hex(key.key_id),
        "message": _hex(MESSAGE),
        "context": _hex(CONTEXT),
        "signature": _hex(key.sign(MESSAGE, CONTEXT)),
    }
    opened = client.post("/v1/requests", json=good, headers=headers)
    assert opened.status_code == 201, opened.text
    request_id = opened.json()["request_id"]
    forged = good | {"message": _hex(MESSAGE + b"!")}
    bad_id = client.post("/v1/requests", json=forged, headers=headers).json()["request_id"]

    before = client.get(f"/v1/requests/{request_id}", headers=headers)
    assert before.status_code == 200
    assert before.json()["store"] is None  # no daemon has read it yet
    assert before.json()["chain"]["status"] == "pending"

    service.settle()

    after = client.get(f"/v1/requests/{request_id}", headers=headers).json()
    assert after["chain"] == {
        "status": "valid",
        "valid_votes": 1,
        "invalid_votes": 0,
        "deadline": after["chain"]["deadline"],
    }
    assert after["store"]["state"] == "final"
    assert after["store"]["verdict"] is True
    assert after["store"]["key_id"] == _hex(key.key_id)
    rejected = client.get(f"/v1/requests/{bad_id}", headers=headers).json()
    assert rejected["chain"]["status"] == "invalid"
    assert rejected["store"]["verdict"] is False

    listed = client.get("/v1/keys", headers=headers).json()["keys"]
    assert [k["key_id"] for k in listed] == [_hex(key.key_id)]
    assert listed[0]["public_key"] == _hex(key.public_key)
    fetched = client.get(f"/v1/keys/{_hex(key.key_id)}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json()["algorithm"] == "ML-DSA-44"


@pytest.mark.integration
def test_a_key_the_store_has_not_seen_is_read_from_its_log_and_checked(
    service: Service,
) -> None:
    key = SigningKey.generate("ML-DSA-65")
    key_id = service.deployment.outsider.register_key(key.algorithm.id, key.public_key)
    assert service.store.key(key_id) is None
    fetched = service.client.get(f"/v1/keys/{_hex(key_id)}", headers=service.headers)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["public_key"] == _hex(key.public_key)
    assert service.store.key(key_id) is not None  # kept once checked against its id
    unknown = service.client.get(f"/v1/keys/0x{'ab' * 32}", headers=service.headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"


@pytest.mark.integration
def test_a_new_key_travels_inline_with_its_first_request(service: Service) -> None:
    key = SigningKey.generate("ML-DSA-87")
    body = {
        "algorithm": "ML-DSA-87",
        "public_key": PublicKey(key.algorithm, key.public_key).to_pem().decode(),
        "message": _hex(MESSAGE),
        "signature": _hex(key.sign(MESSAGE)),
    }
    opened = service.client.post("/v1/requests", json=body, headers=service.headers)
    assert opened.status_code == 201, opened.text
    assert service.deployment.admin.is_key_registered(key.key_id)
    service.settle()
    view = service.client.get(
        f"/v1/requests/{opened.json()['request_id']}", headers=service.headers
    ).json()
    assert view["chain"]["status"] == "valid"


@pytest.mark.integration
def test_requests_the_contract_or_the_checks_refuse_are_4xx_with_the_reason(
    service: Service,
) -> None:
    client, headers = service.client, service.headers
    key = SigningKey.generate("ML-DSA-44")
    signature = _hex(key.sign(MESSAGE))
    unregistered = {"key_id": _hex(key.key_id), "message": _hex(MESSAGE), "signature": signature}
    answer = client.post("/v1/requests", json=unregistered, headers=headers)
    assert answer.status_code == 400
    assert "is not registered" in answer.json()["error"]["reason"]
    both = unregistered | {"algorithm": "ML-DSA-44", "public_key": _hex(key.public_key)}
    assert client.post("/v1/requests", json=both, headers=headers).status_code == 400
    short = {
        "algorithm": "ML-DSA-44",
        "public_key": _hex(key.public_key),
        "message": _hex(MESSAGE),
        "signature": signature[:-2],
    }
    answer = client.post("/v1/requests", json=short, headers=headers)
    assert answer.status_code == 400
    assert "signature" in answer.json()["error"]["reason"]

    service.deployment.pauser.pause()
    inline = short | {"signature": signature}
    paused = client.post("/v1/requests", json=inline, headers=headers)
    assert paused.status_code == 409, paused.text
    assert paused.json()["error"]["code"] == "contract_reverted"
    assert "EnforcedPause" in paused.json()["error"]["reason"]


@pytest.mark.integration
def test_key_and_request_routes_need_the_requests_scope(
    service: Service, issuer: LocalIssuer
) -> None:
    other = bearer(issue(issuer, "verify"))
    assert service.client.get("/v1/keys", headers=other).status_code == 403
    assert service.client.get(f"/v1/requests/0x{'00' * 32}", headers=other).status_code == 403


def test_without_a_node_reads_come_from_the_store_and_writes_are_503(
    client: TestClient, issuer: LocalIssuer, tmp_path: Path
) -> None:
    headers = bearer(issue(issuer, "requests"))
    key = SigningKey.generate("ML-DSA-44")
    body = {"algorithm": "ML-DSA-44", "public_key": _hex(key.public_key)}
    answer = client.post("/v1/keys", json=body, headers=headers)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "chain_unconfigured"
    missing = client.get(f"/v1/requests/0x{'11' * 32}", headers=headers)
    assert missing.status_code == 404
    malformed = client.get("/v1/requests/0x1234", headers=headers)
    assert malformed.status_code == 422
    assert client.get("/v1/keys", headers=headers).json() == {"keys": []}
