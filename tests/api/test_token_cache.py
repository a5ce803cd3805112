"""The verifier remembers accepted tokens, and still checks their times and their key each use."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oracle.api import auth
from oracle.api.auth import ChainedKeySource, LocalIssuer, TokenVerifier, VerificationKey
from oracle.errors import TokenRefusedError
from tests.api.conftest import issue

NOW = 1_800_000_000.0


class SwappableKeys:
    """A key source whose key under one `kid` can be replaced, as a JWKS refetch may."""

    def __init__(self, issuer: LocalIssuer) -> None:
        self.current = issuer.verification_key

    def key_for(self, kid: str | None) -> VerificationKey:
        if kid != self.current.kid:
            raise TokenRefusedError("unknown key id (kid)")
        return self.current

    def known(self, kid: str) -> VerificationKey | None:
        return self.current if kid == self.current.kid else None


def _verifier(keys: Any, clock: list[float]) -> TokenVerifier:
    return TokenVerifier(
        keys, issuer="pqoracle", audience="pqoracle-api", leeway=0, clock=lambda: clock[0]
    )


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token PyJWT is asked to check."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting)
    return seen


def test_a_repeated_token_is_checked_in_full_only_the_first_time(decodes: list[str]) -> None:
    issuer = LocalIssuer(Ed25519PrivateKey.generate())
    verifier = _verifier(issuer, [NOW])
    token = issue(issuer, "verify", now=NOW)
    assert verifier.remembered(token) is None
    first = verifier.verify(token)
    assert verifier.verify(token) == first == verifier.remembered(token)
    assert first.subject == "tester"
    assert first.scopes == frozenset({"verify"})
    assert decodes == [token]


def test_a_refused_token_is_not_remembered(decodes: list[str]) -> None:
    issuer = LocalIssuer(Ed25519PrivateKey.generate())
    verifier = _verifier(issuer, [NOW])
    header, payload, signature = issue(issuer, "verify", now=NOW).split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    for _ in range(2):
        with pytest.raises(TokenRefusedError, match="signature does not verify"):
            verifier.verify(tampered)
    assert verifier.remembered(tampered) is None
    assert decodes == [tampered, tampered]


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    issuer = LocalIssuer(Ed25519PrivateKey.generate())
    clock = [NOW]
    verifier = _verifier(issuer, clock)
    token = issue(issuer, "verify", ttl=60, now=NOW)
    verifier.verify(token)
    clock[0] = NOW + 61
    with pytest.raises(TokenRefusedError, match="the token has expired"):
        verifier.remembered(token)
    with pytest.raises(TokenRefusedError, match="the token has expired"):
        verifier.verify(token)


def test_a_remembered_token_is_checked_again_when_its_key_is_replaced(
    decodes: list[str],
) -> None:
    issuer = LocalIssuer(Ed25519PrivateKey.generate(), kid="k1")
    keys = SwappableKeys(issuer)
    verifier = _verifier(keys, [NOW])
    token = issue(issuer, "verify", now=NOW)
    verifier.verify(token)
    # Another key under the same kid (the provider rotated it): the old signature is worthless.
    keys.current = LocalIssuer(Ed25519PrivateKey.generate(), kid="k1").verification_key
    assert verifier.remembered(token) is None
    with pytest.raises(TokenRefusedError, match="signature does not verify"):
        verifier.verify(token)
    assert decodes == [token, token]


def test_the_least_recently_used_tokens_are_forgotten_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "TOKEN_CACHE_SIZE", 2)
    issuer = LocalIssuer(Ed25519PrivateKey.generate())
    verifier = _verifier(issuer, [NOW])
    first, second, third = (issue(issuer, "verify", now=NOW, subject=s) for s in "abc")
    verifier.verify(first)
    verifier.verify(second)
    assert verifier.remembered(first) is not None  # now the most recently used
    verifier.verify(third)
    assert verifier.remembered(second) is None
    assert verifier.remembered(first) is not None
    assert verifier.remembered(third) is not None


def test_known_keys_are_looked_up_without_refusing() -> None:
    one = LocalIssuer(Ed25519PrivateKey.generate(), kid="one")
    two = LocalIssuer(Ed25519PrivateKey.generate(), kid="two")
    chained = ChainedKeySource(one, two)
    assert chained.known("two") is two.verification_key
    assert chained.known("one") is one.verification_key
    assert chained.known("three") is None
    assert one.known("two") is None
