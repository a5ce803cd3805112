"""The oracle's Model Context Protocol server: `pqoracle mcp` serves its tools over stdio.

`oracle.mcp.tools` holds the tools as plain methods over `oracle.operations` (no SDK import);
`oracle.mcp.server` binds them to the `mcp` SDK's `MCPServer`. The SDK is the `mcp` extra:
`pip install 'pq-signature-oracle[mcp]'`.
"""

from __future__ import annotations

__all__ = ["EXTRA_HINT"]

#: What to install when the `mcp` SDK is missing.
EXTRA_HINT = "install the `mcp` extra: pip install 'pq-signature-oracle[mcp]'"
