"""`pqoracle mcp`: the oracle's tools for agents, as a Model Context Protocol server on stdio."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="mcp")
@click.option("--database-url", help="SQLAlchemy URL of the store (env PQORACLE_DATABASE_URL).")
@click.option(
    "--signing-keys-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the server's ML-DSA and ML-KEM PEM keys, by name "
    "(env PQORACLE_API_SIGNING_KEYS_DIR).",
)
@click.option(
    "--rpc-url",
    help="JSON-RPC endpoint that request_status asks (env PQORACLE_RPC_URL).",
)
@click.option(
    "--verifier",
    "verifier_address",
    help="SignatureVerifier address (env PQORACLE_VERIFIER_ADDRESS).",
)
def mcp_command(
    database_url: str | None,
    signing_keys_dir: Path | None,
    rpc_url: str | None,
    verifier_address: str | None,
) -> None:
    """Serve the oracle's tools to an MCP client over stdio (logs on stderr)."""
    from oracle.config import load_settings
    from oracle.errors import ConfigError

    # Imported here: the SDK is the `mcp` extra, and no other command loads it.
    try:
        from oracle.mcp.server import run_stdio
    except ModuleNotFoundError as err:
        missing = (err.name or "mcp").partition(".")[0]
        if missing == "oracle":
            raise
        from oracle.mcp import EXTRA_HINT

        raise ConfigError(
            f"pqoracle mcp needs the MCP SDK (no module {missing}): {EXTRA_HINT}"
        ) from None
    settings = load_settings(
        database_url=database_url,
        api_signing_keys_dir=signing_keys_dir,
        rpc_url=rpc_url,
        verifier_address=verifier_address,
    )
    run_stdio(settings)
