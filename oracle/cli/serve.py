"""`pqoracle serve` (the HTTP service under uvicorn) and `pqoracle token issue`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from oracle.config import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key.")
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Worker processes (env PQORACLE_API_WORKERS, default 1); the rate limit is per worker.",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="A log line per request (/metrics counts requests either way).",
)
def serve(
    host: str,
    port: int,
    tls_cert: str | None,
    tls_key: str | None,
    database_url: str | None,
    workers: int | None,
    access_log: bool,
) -> None:
    """Run the HTTP service (FastAPI under uvicorn)."""
    # Imported here: the other commands start without loading the web stack.
    import uvicorn

    from oracle.api import create_app
    from oracle.config import load_settings
    from oracle.errors import InputError

    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert and --tls-key go together")
    settings = load_settings(database_url=database_url, api_workers=workers)
    # Built here even for workers: a configuration error is one line from this process, not a
    # traceback from each worker, and the store's tables are created once, not raced.
    app = create_app(settings)
    if settings.api_workers == 1:
        uvicorn.run(
            app,
            host=host,
            port=port,
            ssl_certfile=tls_cert,
            ssl_keyfile=tls_key,
            log_level="info",
            access_log=access_log,
            timeout_keep_alive=settings.api_keep_alive_timeout,
            limit_concurrency=settings.api_max_concurrency,
        )
        return
    app.state.store.close()
    _run_workers(settings, host, port, tls_cert, tls_key, access_log)


def _run_workers(
    settings: Settings,
    host: str,
    port: int,
    tls_cert: str | None,
    tls_key: str | None,
    access_log: bool,
) -> None:
    """Run `settings.api_workers` uvicorn worker processes on `host:port`, each building the
    app from the environment set here, with their metrics summed through a private directory."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from oracle.api.workers import APP_FACTORY, Supervisor, can_balance
    from oracle.errors import InputError

    if not can_balance():
        raise InputError("--workers above 1 needs Linux (SO_REUSEPORT spreads the connections)")
    metrics_dir = tempfile.mkdtemp(prefix="pqoracle-metrics-")
    # The workers are fresh processes that read their settings from the environment (never from
    # a command line: a database URL may carry a password). prometheus-client reads its
    # directory when a worker imports it, so every worker writes its values there.
    given = {
        "PQORACLE_DATABASE_URL": settings.database_url,
        "PQORACLE_API_WORKERS": str(settings.api_workers),
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    saved = {name: os.environ.get(name) for name in given}
    os.environ.update(given)
    try:
        config = uvicorn.Config(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            ssl_certfile=tls_cert,
            ssl_keyfile=tls_key,
            log_level="info",
            access_log=access_log,
            timeout_keep_alive=settings.api_keep_alive_timeout,
            limit_concurrency=settings.api_max_concurrency,
        )
        Supervisor(config, settings.api_workers, host, port).run()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(metrics_dir, ignore_errors=True)


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
