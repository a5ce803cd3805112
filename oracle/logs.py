"""Logging set-up for the entry points: JSON lines for the daemon, plain text otherwise."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Final, TextIO

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and every `extra` field."""

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as a JSON line (bytes as 0x hex, other values as text if needed)."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = "0x" + value.hex() if isinstance(value, bytes) else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(
    *, json_lines: bool, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send the package's logs to `stream` (stderr by default) as JSON lines or plain text."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    )
    root = logging.getLogger("oracle")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
