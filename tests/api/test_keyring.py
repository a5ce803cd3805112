"""Rotation of the service's keys: a history that names every key, retired ML-KEM keys that open
envelopes for the grace period and then refuse, documents signed before a rotation that still
verify against the published history (library, HTTP API and CLI)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from oracle import maml
from oracle.api import create_app
from oracle.api.auth import LocalIssuer
from oracle.cli import main
from oracle.config import Settings
from oracle.crypto import SigningKey
from oracle.crypto.envelope import open_envelope, seal
from oracle.crypto.kem import KemPrivateKey
from oracle.keyring import KeyRetiredError, Keyring, due, rotate
from oracle.store import Store
from tests.api.conftest import bearer, issue

GRACE = timedelta(days=30)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / "release.pem").write_bytes(SigningKey.generate("ML-DSA-65").to_pem())
    (directory / "inbox.pem").write_bytes(KemPrivateKey.generate().to_pem())
    return directory


def test_rotation_keeps_a_history_and_the_old_keys_for_what_they_may_still_do(
    keys_dir: Path,
) -> None:
    before = Keyring(keys_dir)
    old_signer, old_inbox = before.get("release"), before.kem("inbox")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    retired, current = rotate(keys_dir, "release", grace=GRACE, now=now)
    assert retired.key_id == "0x" + old_signer.key_id.hex()
    assert (retired.retired_at, retired.decrypt_until) == ("2026-11-30T00:00:00Z", None)
    assert current.not_before == "2026-11-30T00:00:00Z"
    retired_kem, _ = rotate(keys_dir, "inbox", grace=GRACE, now=now)
    assert retired_kem.decrypt_until == "2026-12-30T00:00:00Z"

    after = Keyring(keys_dir, now=now + timedelta(days=1))
    assert after.get("release").key_id != old_signer.key_id
    history = after.history()
    assert [(e.name, e.kind, e.retired_at is None) for e in history] == [
        ("release", "ml-dsa", False),
        ("release", "ml-dsa", True),
        ("inbox", "ml-kem", False),
        ("inbox", "ml-kem", True),
    ]
    # Verifying: every signing key the service has held.
    assert {bytes(k.key_id) for k in after.verification_keys()} == {
        old_signer.key_id,
        after.get("release").key_id,
    }
    # An envelope sealed to the retired ML-KEM key opens within the grace period...
    sealed = seal(b"before the rotation", [old_inbox.public_key])
    key = after.kem_for("inbox", sealed.recipient_key_ids)
    assert open_envelope(sealed, key) == b"before the rotation"
    # ... and not after it.
    late = Keyring(keys_dir, now=now + GRACE + timedelta(seconds=1))
    with pytest.raises(KeyRetiredError, match="retired at 2026-11-30T00:00:00Z"):
        late.kem_for("inbox", sealed.recipient_key_ids)
    # New envelopes go to the current key.
    fresh = seal(b"after", [after.kem("inbox").public_key])
    assert open_envelope(fresh, late.kem_for("inbox", fresh.recipient_key_ids)) == b"after"
    assert (keys_dir / "retired").stat().st_mode & 0o077 == 0


def test_due_names_the_keys_older_than_the_schedule(keys_dir: Path) -> None:
    now = datetime.now(UTC)
    assert due(keys_dir, timedelta(days=90), now=now) == []
    assert due(keys_dir, timedelta(days=90), now=now + timedelta(days=91)) == [
        "inbox",
        "release",
    ]
    rotate(keys_dir, "release", grace=GRACE, now=now + timedelta(days=91))
    assert due(keys_dir, timedelta(days=90), now=now + timedelta(days=92)) == ["inbox"]


def test_a_document_signed_before_a_rotation_verifies_through_the_api_and_the_cli(
    keys_dir: Path, settings: Settings, store: Store, issuer: LocalIssuer, tmp_path: Path
) -> None:
    configured = settings.model_copy(update={"api_signing_keys_dir": keys_dir})
    headers = bearer(issue(issuer, "maml", "envelope"))
    text = maml.new_document(doc_type="workflow", origin="agent://t", intent="i", context="c")
    with TestClient(create_app(configured, store=store)) as client:
        signed = client.post(
            "/v1/maml/sign", json={"key": "release", "document": text}, headers=headers
        ).json()["document"]
        inbox = client.get("/v1/envelope/keys", headers=headers).json()["keys"][0]
        sealed = seal(b"pay 10", [bytes.fromhex(inbox["public_key"][2:])])
    runner = CliRunner()
    rotated = runner.invoke(
        main, ["keys", "rotate", "release", "inbox", "--keys-dir", str(keys_dir), "--json"]
    )
    assert rotated.exit_code == 0, rotated.output
    assert [item["name"] for item in json.loads(rotated.output)["rotated"]] == [
        "release",
        "inbox",
    ]
    with TestClient(create_app(configured, store=store)) as client:
        body = {"document": signed, "service_keys": True, "require": "any"}
        answer = client.post("/v1/maml/verify", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["valid"] is True
        opened = client.post(
            "/v1/envelope/decrypt",
            json={"envelope": json.loads(sealed.to_json()), "key": "inbox"},
            headers=headers,
        )
        assert opened.status_code == 200, opened.text
        assert opened.json()["plaintext"] == "0x" + b"pay 10".hex()
        published = client.get("/v1/keyring/history")
        assert published.status_code == 200
        assert len(published.json()["keys"]) == 4
        none = client.post(
            "/v1/maml/verify", json={"document": signed, "public_keys": []}, headers=headers
        )
        assert none.status_code == 400
    history = tmp_path / "history.json"
    shown = runner.invoke(main, ["keys", "history", "--keys-dir", str(keys_dir)])
    assert shown.exit_code == 0
    history.write_text(shown.output)
    document = tmp_path / "signed.maml.md"
    document.write_text(signed)
    checked = runner.invoke(main, ["maml", "verify", str(document), "--history", str(history)])
    assert checked.exit_code == 0, checked.output
    # The new key did not sign it: against the new key alone, it does not verify.
    only_new = {"keys": [e for e in json.loads(shown.output)["keys"] if e["retired_at"] is None]}
    history.write_text(json.dumps(only_new))
    refused = runner.invoke(main, ["maml", "verify", str(document), "--history", str(history)])
    assert refused.exit_code == 1


def test_rotate_refuses_bad_input_in_one_line(keys_dir: Path) -> None:
    runner = CliRunner()
    for args, reason in (
        (["keys", "rotate", "--keys-dir", str(keys_dir)], "name the keys to rotate"),
        (["keys", "rotate", "nobody", "--keys-dir", str(keys_dir)], "no key named 'nobody'"),
        (["keys", "rotate", "--due", "--keys-dir", str(keys_dir)], "PQORACLE_KEY_ROTATION_DAYS"),
        (["keys", "rotate", "release"], "--keys-dir"),
    ):
        done = runner.invoke(main, args, env={"PQORACLE_API_SIGNING_KEYS_DIR": None})
        assert done.exit_code == 2, (args, done.output)
        assert reason in done.output, (args, done.output)


def test_an_envelope_to_a_key_past_its_grace_is_400_key_retired(
    keys_dir: Path, settings: Settings, store: Store, issuer: LocalIssuer
) -> None:
    old = Keyring(keys_dir).kem("inbox")
    sealed = seal(b"too late", [old.public_key])
    rotate(keys_dir, "inbox", grace=timedelta(0), now=datetime.now(UTC) - timedelta(hours=1))
    configured = settings.model_copy(update={"api_signing_keys_dir": keys_dir})
    with TestClient(create_app(configured, store=store)) as client:
        answer = client.post(
            "/v1/envelope/decrypt",
            json={"envelope": json.loads(sealed.to_json()), "key": "inbox"},
            headers=bearer(issue(issuer, "envelope")),
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "key_retired"
