"""URLs as the package shows them: never their credentials, path or query (API keys)."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["display_endpoint"]


def display_endpoint(url: str) -> str:
    """`scheme://host:port` of a URL: credentials, path and query (API keys) left out."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"
