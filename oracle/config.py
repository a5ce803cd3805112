"""One typed settings object, built once at an entry point and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from oracle.errors import ConfigError


class Settings(BaseSettings):
    """Runtime configuration, read from `PQORACLE_*` environment variables or an env file."""

    model_config = SettingsConfigDict(
        env_prefix="PQORACLE_", env_file=None, extra="ignore", frozen=True
    )

    #: JSON-RPC endpoint (e.g. Anvil on http://127.0.0.1:8545); None means the embedded chain.
    rpc_url: str | None = None
    #: Hex private key of the account that signs transactions (oracle or deployer).
    private_key: SecretStr | None = None
    #: Encrypted JSON keystore (eth-account v3) holding that key instead; never logged.
    keystore_file: Path | None = None
    #: File holding the keystore's password (one line); without it the CLI asks on a terminal.
    keystore_password_file: Path | None = None
    #: `package.module:factory` returning the `oracle.chain.signer.Signer` that signs instead
    #: (a KMS, an HSM); called with these settings.
    signer: str | None = None
    #: Address of a deployed SignatureVerifier.
    verifier_address: str | None = None
    #: SQLAlchemy URL of the daemon's store.
    database_url: str = "sqlite:///pqoracle.db"
    #: Blocks the daemon stays behind the head before it trusts a log.
    confirmations: int = Field(default=0, ge=0, le=1000)
    #: Largest block range asked for in one eth_getLogs call.
    log_window: int = Field(default=500, ge=1, le=100_000)
    #: Seconds between polling cycles of the daemon.
    poll_interval: float = Field(default=1.0, gt=0, le=3600)
    #: First block the daemon reads logs from on a new store (the verifier's deployment block).
    start_block: int = Field(default=0, ge=0)
    #: Block windows the daemon reads per cycle before it verifies and submits.
    max_windows_per_cycle: int = Field(default=20, ge=1, le=10_000)
    #: Requests taken from each pipeline stage per cycle.
    batch_size: int = Field(default=200, ge=1, le=10_000)
    #: Threads verifying signatures in parallel.
    verify_workers: int = Field(default=1, ge=1, le=256)
    #: Seconds to wait for a vote transaction's receipt before the next cycle looks again.
    tx_timeout: float = Field(default=120.0, gt=0, le=3600)
    #: Votes carried by one `voteBatch` transaction.
    vote_batch_size: int = Field(default=100, ge=1, le=200)
    #: Seconds the oldest verdict may wait for a batch to fill before it is sent anyway.
    vote_batch_wait: float = Field(default=0.0, ge=0, le=3600)
    #: Seconds before an unmined vote transaction's bytes are handed to the node again.
    rebroadcast_interval: float = Field(default=36.0, gt=0, le=3600)
    #: Priority fee (tip) in wei per gas of every transaction; None asks the node.
    priority_fee_per_gas: int | None = Field(default=None, ge=0)
    #: `maxFeePerGas` is the pending block's base fee times this, plus the priority fee.
    base_fee_multiplier: float = Field(default=2.0, ge=1, le=100)
    #: Most wei per gas a transaction may offer (`maxFeePerGas`, or a legacy `gasPrice`): new
    #: transactions are priced at it at most and replacements stop below it (1000 gwei).
    max_fee_per_gas_cap: int = Field(default=1_000_000_000_000, ge=1)
    #: Blocks a vote transaction may stay unmined after it was sent before it is replaced with
    #: the same nonce and fees 12.5% higher (again after as many blocks); 0 never replaces.
    replace_after_blocks: int = Field(default=5, ge=0, le=100_000)
    #: Seconds between the daemon's "waiting for confirmations" log lines.
    wait_log_interval: float = Field(default=5.0, gt=0, le=3600)
    #: Crypto backend name, or "auto" for the best available one.
    crypto_backend: str = "auto"
    #: PEM file with the operator's ML-DSA private key (signs audit reports and documents).
    signing_key_file: Path | None = None
    #: PEM file with the Ed25519 key the local token issuer signs API tokens with (EdDSA); its
    #: public half verifies them. Never logged.
    api_jwt_private_key_file: Path | None = None
    #: `kid` of the local issuer's key; None means its RFC 7638 thumbprint.
    api_jwt_key_id: str | None = None
    #: `iss` the API issues and requires.
    api_jwt_issuer: str = "pqoracle"
    #: `aud` the API issues and requires.
    api_jwt_audience: str = "pqoracle-api"
    #: Seconds of clock skew allowed on `exp`, `nbf` and `iat`.
    api_jwt_leeway: float = Field(default=30.0, ge=0, le=600)
    #: JWKS URL of an external identity provider (Cognito, Keycloak, Auth0) whose RS256,
    #: ES256 or EdDSA tokens the API accepts beside the local issuer's; its `iss` and `aud` must
    #: be `api_jwt_issuer` and `api_jwt_audience`.
    api_jwks_url: str | None = None
    #: Fewest seconds between two fetches of the JWKS when a token names an unknown `kid`.
    api_jwks_min_refetch: float = Field(default=30.0, ge=0, le=86_400)
    #: Longest lifetime, in seconds, of a token the local issuer signs.
    api_jwt_max_ttl: int = Field(default=86_400, ge=1, le=31_536_000)
    #: Requests a minute each authenticated client (token subject) may make, on average.
    api_rate_per_minute: int = Field(default=6000, ge=1, le=10_000_000)
    #: Requests a client may make at once before the per-minute rate applies.
    api_rate_burst: int = Field(default=200, ge=1, le=1_000_000)
    #: Directory of the ML-DSA private keys (PKCS#8 PEM, unencrypted, mode 0600) the API signs
    #: with for `/v1/sign` and `/v1/maml/sign`; a key's name is its file name without `.pem`.
    api_signing_keys_dir: Path | None = None
    #: Days after which `pqoracle keys rotate --due` replaces a service key (None: rotate by hand).
    key_rotation_days: float | None = Field(default=None, gt=0, le=3650)
    #: Days a retired ML-KEM key still opens envelopes sealed to it (then it only appears in the
    #: history; retired ML-DSA keys only verify, at once).
    key_grace_days: float = Field(default=30.0, ge=0, le=3650)
    #: Directory of signed transparency reports (`pqoracle report --out-dir`); the newest is
    #: served at `/v1/reports/latest`.
    reports_dir: Path | None = None
    #: Seconds a request may take before it is answered 503 `timeout`.
    api_request_timeout: float = Field(default=30.0, gt=0, le=3600)
    #: Seconds an idle keep-alive connection stays open.
    api_keep_alive_timeout: int = Field(default=5, ge=1, le=600)
    #: Connections and requests served at once per worker; beyond it uvicorn answers 503.
    api_max_concurrency: int = Field(default=1000, ge=1, le=1_000_000)
    #: Most items one `/v1/verify/batch` call may carry.
    api_batch_limit: int = Field(default=64, ge=1, le=1000)
    #: Address the daemon serves `/metrics` and `/healthz` on (with `daemon_metrics_port`).
    daemon_metrics_host: str = "127.0.0.1"
    #: Port of the daemon's `/metrics` and `/healthz`; None serves neither (0: a free port).
    daemon_metrics_port: int | None = Field(default=None, ge=0, le=65_535)
    #: Blocks the daemon may fall behind the confirmed head (the head minus `confirmations`)
    #: before its `/healthz` answers 503.
    daemon_max_lag_blocks: int = Field(default=50, ge=0, le=1_000_000)
    #: Seconds without a completed cycle (a node outage, a stuck loop) before the daemon's
    #: `/healthz` answers 503; keep it above `poll_interval`.
    daemon_max_cycle_age: float = Field(default=120.0, gt=0, le=86_400)
    #: Worker processes `pqoracle serve` runs. Each has its own rate limiter: a client whose
    #: connections land on several workers may make up to that many times
    #: `api_rate_per_minute` (set it to the total divided by the workers for a strict cap).
    api_workers: int = Field(default=1, ge=1, le=64)
    #: Directory of prometheus-client's multiprocess metric files, read from the variable
    #: prometheus-client itself reads (PROMETHEUS_MULTIPROC_DIR, set before the process starts):
    #: set, `/metrics` sums every process's files. `pqoracle serve --workers N` (N > 1) sets it
    #: to a private directory of its own for its workers.
    prometheus_multiproc_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir"),
    )
    #: Screen free text with the local prompt-injection classifier too (after the rules); needs
    #: `pip install 'pq-signature-oracle[classifier]'` and loads its model at start-up.
    screening_classifier: bool = False

    def key_sources(self) -> list[str]:
        """The settings that name the operator's key: at most one may be set."""
        given = {
            "private_key": self.private_key,
            "keystore_file": self.keystore_file,
            "signer": self.signer,
        }
        return [name for name, value in given.items() if value is not None]

    @model_validator(mode="after")
    def _one_key_source(self) -> Settings:
        sources = self.key_sources()
        if len(sources) > 1:
            raise PydanticCustomError(
                "key_sources",
                "two operator key sources ({sources}): give exactly one of private_key "
                "(--private-key-file), keystore_file (--keystore) and signer (each also as "
                "PQORACLE_ and its name in capitals)",
                {"sources": " and ".join(sources)},
            )
        if self.keystore_password_file is not None and self.keystore_file is None:
            raise PydanticCustomError(
                "key_sources", "keystore_password_file is set without keystore_file"
            )
        return self

    #: Seconds a daemon replica's claim on pending requests lasts: when a replica dies, other
    #: replicas of the operator on the same PostgreSQL store take its claims after this long.
    #: Keep it above the time one verification batch takes.
    lease_seconds: float = Field(default=30.0, gt=0, le=86_400)
    #: This daemon among the operator's replicas (claims name it); None: `hostname:pid`.
    replica_id: str | None = Field(default=None, min_length=1, max_length=128)
    #: Optimistic mode: when the oracle's free bond cannot cover its next post, the daemon
    #: deposits enough for this many posts (0: never; `pqoracle bond deposit` does it by hand).
    bond_deposit_posts: int = Field(default=0, ge=0, le=10_000)
    #: SQLAlchemy URL of the watcher's store (`pqoracle watch`); never the daemon's own store.
    watch_database_url: str = "sqlite:///pqoracle-watch.db"


def load_settings(**overrides: object) -> Settings:
    """Settings from `PQORACLE_*` variables, with non-None `overrides` (command-line values) on top.

    Raises:
        ConfigError: a value is malformed; the message names the setting.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"setting {where}: {first['msg']}" if where else first["msg"]) from None
