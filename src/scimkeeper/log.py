"""Structured logging: one JSON object per line (or a readable line for a terminal), configured by entry points.

What is logged is chosen so that no secret or personal data gets there (route templates, filter shapes, ids);
as a second line of defence every line is scrubbed of bearer credentials, scimkeeper secrets and e-mail addresses
before it is written, tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# Attributes every LogRecord has; anything else passed through `extra=` is a structured field.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


# Each value pattern stops at a backslash, so that scrubbing a JSON line never breaks one of its escapes.
_SCRUBS = (
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s\"',;\\]+"), r"\1\2[redacted]"),
    (re.compile(r"\b(sk[a-z])_[A-Za-z0-9_-]{8,}"), r"\1_[redacted]"),
    (re.compile(r"[^\s@\"'<>(),;:\[\]\\]+@[^\s@\"'<>(),;:\[\]\\]+\.[^\W\d_]{2,}\b"), "[email]"),
    (re.compile(r"(?i)\b(password|passwd|secret|token)(\"?\s*[:=]\s*\"?)[^\s\"',;}\\]+"), r"\1\2[redacted]"),
)


def scrub(text: str) -> str:
    """`text` without bearer credentials, `sk?_` secrets, e-mail addresses or `password=...`-style values."""
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(fields_of(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return scrub(orjson.dumps(entry, default=str).decode())


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in fields_of(record).items())
        line = f"{record.levelname:<7} {record.name}: {record.getMessage()} {extra}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return scrub(line)


def alembic_chatter(record: logging.LogRecord) -> bool:
    """False for Alembic's two lines per schema check (every /readyz asks for the revision); its
    "Running upgrade" lines stay."""
    return not (
        record.name == "alembic.runtime.migration" and str(record.msg).startswith(("Context impl", "Will assume"))
    )


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Route scimkeeper's and uvicorn's logs to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    handler.addFilter(alembic_chatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # scimkeeper writes its own access line per request (web.app); uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
