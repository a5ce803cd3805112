"""OAuth2 bearer JWTs: a local EdDSA issuer for development and a verifier over a key source.

The verifier never trusts the token's header to choose a key type: it looks the `kid` up in a
`KeySource` and accepts only the algorithm that key was registered with, so `alg: none` and
HS/RS confusion fail before any signature check. A JWKS source plugs in as another `KeySource`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
import urllib.request
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from oracle.errors import ConfigError, ScopeError, TokenRefusedError
from oracle.urls import display_endpoint

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from oracle.config import Settings

logger = logging.getLogger(__name__)

Scope = Literal["verify", "sign", "maml", "envelope", "requests", "admin"]
#: Every scope a token can carry.
SCOPES: Final[tuple[Scope, ...]] = ("verify", "sign", "maml", "envelope", "requests", "admin")
#: Asymmetric algorithms a key source may register; HS* never (a public key is no secret).
ACCEPTED_ALGORITHMS: Final = frozenset({"EdDSA", "ES256", "RS256"})


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key trusted for one algorithm under one `kid`."""

    kid: str
    algorithm: str
    key: Any


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a verified token names."""

    subject: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        """Raises:
        ScopeError: the token does not carry `scope`.
        """
        if scope not in self.scopes:
            raise ScopeError(f"the token lacks the {scope!r} scope")


class KeySource(Protocol):
    """Where the verifier finds the key for a token's `kid` (local key, JWKS URL, ...)."""

    def key_for(self, kid: str | None) -> VerificationKey:
        """The trusted key under `kid`.

        Raises:
            TokenRefusedError: no key under that `kid`.
        """
        ...

    def known(self, kid: str) -> VerificationKey | None:
        """The key already held under `kid`, without fetching anything (None when none is)."""
        ...


def thumbprint(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key (the default `kid`)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    digest = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode())
    return _b64(digest.digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LocalIssuer:
    """Signs and trusts tokens with one Ed25519 key (development and single-team deployments)."""

    def __init__(self, private_key: Ed25519PrivateKey, kid: str | None = None) -> None:
        self._private_key = private_key
        public = private_key.public_key()
        self.verification_key = VerificationKey(kid or thumbprint(public), "EdDSA", public)

    def __repr__(self) -> str:
        return f"LocalIssuer(kid={self.verification_key.kid!r})"

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalIssuer:
        """The issuer whose key `api_jwt_private_key_file` holds.

        Raises:
            ConfigError: the setting is missing, or the file is not an Ed25519 PEM private key.
        """
        path = settings.api_jwt_private_key_file
        if path is None:
            raise ConfigError("setting api_jwt_private_key_file: the token key file is not set")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except OSError as err:
            raise ConfigError(f"setting api_jwt_private_key_file: cannot read {path}") from err
        except (ValueError, TypeError):
            raise ConfigError(
                f"setting api_jwt_private_key_file: {path} is not an unencrypted PEM private key"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"setting api_jwt_private_key_file: {path} is not an Ed25519 key")
        return cls(key, settings.api_jwt_key_id)

    def key_for(self, kid: str | None) -> VerificationKey:
        """The issuer's key when `kid` names it.

        Raises:
            TokenRefusedError: another or no `kid`.
        """
        if kid != self.verification_key.kid:
            raise TokenRefusedError("unknown key id (kid)")
        return self.verification_key

    def known(self, kid: str) -> VerificationKey | None:
        """The issuer's key when `kid` names it, else None."""
        return self.verification_key if kid == self.verification_key.kid else None

    def issue(
        self,
        *,
        issuer: str,
        audience: str,
        subject: str,
        scopes: Iterable[str],
        ttl: int,
        now: float | None = None,
    ) -> str:
        """A signed token carrying `scopes`, valid for `ttl` seconds from `now`."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": issuer,
            "aud": audience,
            "sub": subject,
            "scope": " ".join(sorted(set(scopes))),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims,
            self._private_key,
            algorithm="EdDSA",
            headers={"kid": self.verification_key.kid},
        )


def _jwk_algorithm(jwk: dict[str, Any]) -> str | None:
    """The algorithm a JWK is for: its `alg`, or the one its key type implies."""
    declared = jwk.get("alg")
    if isinstance(declared, str):
        return declared
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "RSA":
        return "RS256"
    if kty == "EC" and crv == "P-256":
        return "ES256"
    if kty == "OKP" and crv == "Ed25519":
        return "EdDSA"
    return None


class JwksKeySource:
    """Keys of an external identity provider (Cognito, Keycloak, Auth0) from its JWKS URL.

    Keys are cached by `kid`. A token naming a `kid` the cache lacks makes the source fetch the
    set again (the provider rotated its keys), at most once per `min_refetch` seconds, so a
    stream of tokens with made-up `kid`s cannot turn the server into a load generator.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        min_refetch: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"a JWKS URL is http(s), got {display_endpoint(url)}")
        self.url = url
        self._timeout = timeout
        self._min_refetch = min_refetch
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()
        #: How many times the set was fetched (for operators and tests).
        self.fetches = 0

    def __repr__(self) -> str:
        return f"JwksKeySource({display_endpoint(self.url)!r}, keys={sorted(self._keys)})"

    def key_for(self, kid: str | None) -> VerificationKey:
        """The provider's key under `kid`, fetching the set again when it is unknown.

        Raises:
            TokenRefusedError: no `kid`, or none under it even after a (rate-limited) refetch,
                or the provider cannot be reached.
        """
        if kid is None:
            raise TokenRefusedError("the token names no key id (kid)")
        with self._lock:
            found = self._keys.get(kid)
            if found is not None:
                return found
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._min_refetch:
                self._fetched_at = now
                self._keys = self._fetch()
            found = self._keys.get(kid)
        if found is None:
            raise TokenRefusedError("unknown key id (kid)")
        return found

    def known(self, kid: str) -> VerificationKey | None:
        """The key under `kid` in the set fetched last, else None (no fetch)."""
        with self._lock:
            return self._keys.get(kid)

    def _fetch(self) -> dict[str, VerificationKey]:
        self.fetches += 1
        try:
            # The scheme was checked in __init__ (http or https only).
            request = urllib.request.Request(  # noqa: S310
                self.url, headers={"Accept": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                document = json.loads(response.read(1_000_001))
        except (OSError, ValueError):
            # Keep serving the keys already known; a token under a new kid waits for the IdP.
            logger.warning("cannot fetch the JWKS", extra={"endpoint": display_endpoint(self.url)})
            return self._keys
        keys: dict[str, VerificationKey] = {}
        entries = document.get("keys") if isinstance(document, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            kid, algorithm = entry.get("kid"), _jwk_algorithm(entry)
            if not isinstance(kid, str) or algorithm not in ACCEPTED_ALGORITHMS:
                continue
            try:
                key = jwt.PyJWK(entry, algorithm).key
            except jwt.PyJWTError:
                continue
            keys[kid] = VerificationKey(kid, str(algorithm), key)
        return keys


class ChainedKeySource:
    """The first source that knows a `kid` (a local issuer beside an external provider)."""

    def __init__(self, *sources: KeySource) -> None:
        self._sources = sources

    def key_for(self, kid: str | None) -> VerificationKey:
        """The key under `kid` from the first source that has it.

        Raises:
            TokenRefusedError: no source has it.
        """
        for source in self._sources:
            try:
                return source.key_for(kid)
            except TokenRefusedError:
                continue
        raise TokenRefusedError("unknown key id (kid)")

    def known(self, kid: str) -> VerificationKey | None:
        """The key under `kid` the first source already holds, else None (no fetch)."""
        for source in self._sources:
            found = source.known(kid)
            if found is not None:
                return found
        return None


#: Accepted tokens a verifier remembers, least recently used forgotten first.
TOKEN_CACHE_SIZE: Final = 1024
#: Longest token the verifier remembers; a longer one is checked in full every time.
MAX_CACHED_TOKEN: Final = 8192


@dataclass(frozen=True, slots=True)
class _Accepted:
    """What a token's signature, issuer and audience established, and what must be re-checked."""

    principal: Principal
    key: VerificationKey
    exp: float
    nbf: float | None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class TokenVerifier:
    """Checks a bearer token's signature, issuer, audience, expiry and not-before.

    A client sends the same token with every request, so an accepted token is remembered under
    its SHA-256 digest: a repeat skips the parsing and the signature check (a pure function of
    the token's bytes and the key), but not the key look-up, which must still give the very key
    the token was checked with, nor the expiry and not-before checks against the clock. The
    least recently accepted tokens are forgotten first (`TOKEN_CACHE_SIZE`).
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._clock = clock
        self._accepted: OrderedDict[bytes, _Accepted] = OrderedDict()
        self._lock = threading.Lock()

    def remembered(self, token: str) -> Principal | None:
        """The principal of a token accepted before, when its key is still the one held under
        its `kid`; None when the token must be checked in full. Never fetches anything.

        Raises:
            TokenRefusedError: the remembered token has expired since.
        """
        digest = _digest(token)
        with self._lock:
            seen = self._accepted.get(digest)
            if seen is not None:
                self._accepted.move_to_end(digest)
        if seen is None or self._keys.known(seen.key.kid) is not seen.key:
            return None
        self._check_times(seen.exp, seen.nbf)
        return seen.principal

    def verify(self, token: str) -> Principal:
        """The principal a valid token names.

        Raises:
            TokenRefusedError: the token is malformed, signed with a refused algorithm or an
                unknown key, tampered with, expired, not yet valid, or for another issuer or
                audience; the message says which.
        """
        principal = self.remembered(token)
        if principal is not None:
            return principal
        accepted = self._verify_in_full(token)
        if len(token) <= MAX_CACHED_TOKEN:
            with self._lock:
                self._accepted[_digest(token)] = accepted
                while len(self._accepted) > TOKEN_CACHE_SIZE:
                    self._accepted.popitem(last=False)
        return accepted.principal

    def _verify_in_full(self, token: str) -> _Accepted:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefusedError("the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in ACCEPTED_ALGORITHMS:
            shown = str(algorithm)[:16]
            raise TokenRefusedError(f"the token's algorithm {shown!r} is not accepted")
        kid = header.get("kid")
        key = self._keys.key_for(kid if isinstance(kid, str) else None)
        if algorithm != key.algorithm:
            raise TokenRefusedError(
                f"the token's algorithm {algorithm!r} is not the key's ({key.algorithm})"
            )
        try:
            claims = self._decode(token, key)
        except jwt.InvalidAudienceError:
            raise TokenRefusedError("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise TokenRefusedError("the token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise TokenRefusedError("the token's signature does not verify") from None
        except jwt.MissingRequiredClaimError as err:
            raise TokenRefusedError(f"the token lacks the {err.claim!r} claim") from None
        except jwt.PyJWTError:
            raise TokenRefusedError("the token is not a well-formed JWT") from None
        exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
        if not isinstance(exp, int | float) or not isinstance(nbf, int | float | None):
            raise TokenRefusedError("the token is not a well-formed JWT")
        self._check_times(exp, nbf)
        scope = claims.get("scope", "")
        if not isinstance(scope, str) or not isinstance(claims.get("sub"), str):
            raise TokenRefusedError("the token's scope or sub claim is not a string")
        return _Accepted(Principal(claims["sub"], frozenset(scope.split())), key, exp, nbf)

    def _check_times(self, exp: float, nbf: float | None) -> None:
        # Checked here, not by PyJWT, against the injected clock so tests can move it.
        now = self._clock()
        if now > exp + self._leeway:
            raise TokenRefusedError("the token has expired")
        if nbf is not None and now + self._leeway < nbf:
            raise TokenRefusedError("the token is not valid yet (nbf or iat in the future)")

    def _decode(self, token: str, key: VerificationKey) -> dict[str, Any]:
        # PyJWT checks the signature, issuer and audience; `_check_times` checks the times.
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[key.algorithm],
            audience=self._audience,
            issuer=self._issuer,
            options={
                "require": ["exp", "iss", "aud", "sub"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
        return claims
