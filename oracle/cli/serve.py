"""`pqoracle serve` (the HTTP service under uvicorn) and `pqoracle token issue`."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key.")
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
def serve(
    host: str, port: int, tls_cert: str | None, tls_key: str | None, database_url: str | None
) -> None:
    """Run the HTTP service (FastAPI under uvicorn)."""
    # Imported here: the other commands start without loading the web stack.
    import uvicorn

    from oracle.api import create_app
    from oracle.config import load_settings
    from oracle.errors import InputError

    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert and --tls-key go together")
    app = create_app(load_settings(database_url=database_url))
    uvicorn.run(
        app, host=host, port=port, ssl_certfile=tls_cert, ssl_keyfile=tls_key, log_level="info"
    )


@click.group()
def token() -> None:
    """Bearer tokens from the local issuer (key: PQORACLE_API_JWT_PRIVATE_KEY_FILE)."""


@token.command(name="keygen")
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ed25519 private key PEM to create (mode 0600, never overwritten).",
)
def keygen(out: Path) -> None:
    """Create the local issuer's Ed25519 key (set PQORACLE_API_JWT_PRIVATE_KEY_FILE to it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from oracle.cli._io import write_private

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(out, pem)
    click.echo(str(out))


@token.command(name="issue")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["verify", "sign", "maml", "envelope", "requests", "admin"]),
    help="A scope the token carries (repeat).",
)
@click.option("--ttl", type=click.IntRange(1), default=3600, show_default=True, help="Seconds.")
@click.option("--subject", default="pqoracle-cli", show_default=True, help="The `sub` claim.")
def issue(scopes: tuple[str, ...], ttl: int, subject: str) -> None:
    """Print a signed token for the given scopes."""
    from oracle.api.auth import LocalIssuer
    from oracle.config import load_settings
    from oracle.errors import InputError

    settings = load_settings()
    if ttl > settings.api_jwt_max_ttl:
        raise InputError(f"--ttl is at most {settings.api_jwt_max_ttl} seconds (api_jwt_max_ttl)")
    click.echo(
        LocalIssuer.from_settings(settings).issue(
            issuer=settings.api_jwt_issuer,
            audience=settings.api_jwt_audience,
            subject=subject,
            scopes=scopes,
            ttl=ttl,
        )
    )
