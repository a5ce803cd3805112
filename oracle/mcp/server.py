"""The oracle's tools on the `mcp` SDK's `MCPServer` (stdio transport for `pqoracle mcp`).

Every `OracleError` a tool raises is an anticipated failure: the client gets a tool error
(`is_error`) carrying the error's one-line message, such as the screen's reason for refusing a
document. Anything else is a crash the SDK reports only as "Error executing tool <name>" and
logs, with its traceback, to stderr; stdout carries nothing but the protocol.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from typing import TYPE_CHECKING, Any, Final

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from oracle import __version__
from oracle.errors import OracleError
from oracle.keyring import Keyring
from oracle.mcp.tools import TOOL_NAMES, OracleTools
from oracle.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from oracle.config import Settings

__all__ = ["create_server", "run_stdio"]

logger = logging.getLogger("oracle.mcp")

_INSTRUCTIONS: Final = (
    "Post-quantum signature oracle (ML-DSA, FIPS 204) for EVM chains. Bytes travel as 0x hex. "
    "Documents and text are screened for prompt injection: a refused input is a tool error "
    "naming the reason, and is recorded as a security event."
)

#: Hints for clients: which tools only read, and which reach outside this process (the chain).
_ANNOTATIONS: Final = {
    "verify_signature": ToolAnnotations(title="Verify an ML-DSA signature", read_only_hint=True),
    "sign_maml": ToolAnnotations(title="Sign a MAML document", read_only_hint=True),
    "verify_maml": ToolAnnotations(title="Verify a MAML document", read_only_hint=True),
    "encrypt_envelope": ToolAnnotations(title="Seal a post-quantum envelope", read_only_hint=True),
    "decrypt_envelope": ToolAnnotations(title="Open a post-quantum envelope", read_only_hint=True),
    "request_status": ToolAnnotations(
        title="Status of a verification request", read_only_hint=True, open_world_hint=True
    ),
}


def _description(method: Callable[..., Any], keyring: Keyring | None, name: str) -> str:
    """The agent-facing part of a tool's docstring (not its Raises: list), with the names of
    the keys this server holds where the tool takes one."""
    text = (inspect.getdoc(method) or "").split("\n\nRaises:")[0].strip()
    if keyring is not None and name in ("sign_maml", "encrypt_envelope"):
        text += f"\n\nSigning keys held: {', '.join(keyring.names) or 'none'}."
    if keyring is not None and name == "decrypt_envelope":
        text += f"\n\nEnvelope keys held: {', '.join(keyring.kem_names) or 'none'}."
    return text


def _as_tool_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """`method`, with the package's errors raised as tool errors carrying their message."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except OracleError as err:
            raise ToolError(" ".join(str(err).split()) or type(err).__name__) from err

    return call


def create_server(settings: Settings, store: Store) -> MCPServer:
    """An `MCPServer` offering the oracle's tools over `store`, with the keys of
    `settings.api_signing_keys_dir` and the node and verifier the settings name.

    Raises:
        ConfigError: the key directory is missing or holds a file that is not a key.
    """
    keyring = (
        None if settings.api_signing_keys_dir is None else Keyring(settings.api_signing_keys_dir)
    )
    classifier = None
    if settings.screening_classifier:
        from oracle.screening.classifier import load_classifier

        classifier = load_classifier()
    tools = OracleTools(settings, store, keyring, classifier)
    server: MCPServer = MCPServer(
        "pqoracle", version=__version__, instructions=_INSTRUCTIONS, log_level="INFO"
    )
    for name in TOOL_NAMES:
        method = getattr(tools, name)
        server.add_tool(
            _as_tool_errors(method),
            name=name,
            description=_description(method, keyring, name),
            annotations=_ANNOTATIONS[name],
            structured_output=True,
        )
    logger.info(
        "MCP server ready: %d tools, %d signing keys, %d envelope keys, chain %s",
        len(TOOL_NAMES),
        0 if keyring is None else len(keyring.names),
        0 if keyring is None else len(keyring.kem_names),
        "configured" if tools.chain_configured else "not configured",
    )
    return server


def _log_to_stderr() -> None:
    # stdout is the protocol's: every log line, the SDK's included, goes to stderr. Set before
    # the SDK's own `basicConfig`, which then leaves these handlers alone.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def run_stdio(settings: Settings) -> None:
    """Serve the tools on stdin/stdout until the client closes stdin.

    Raises:
        ConfigError: see `create_server`; or the store URL is malformed.
        StoreError: the store cannot be opened.
    """
    _log_to_stderr()
    store = Store.open(settings.database_url)
    try:
        create_server(settings, store).run("stdio")
    finally:
        store.close()
