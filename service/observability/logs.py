"""Structured logs: one JSON object per line (or a readable line on a terminal), carrying the request id."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# A client's own request id is kept when it is this tame; anything else is replaced, so logs stay parseable.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """Time, level, logger, message, the current request id, and any `extra=` fields of the record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k != "request_id"})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(JsonFormatter):
    """For a person at a terminal: `12:00:00.123 INFO  logger  message  key=value …` (the same fields as JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = json.loads(super().format(record))
        head = f"{entry.pop('ts')[11:23]} {entry.pop('level').upper():<7} {entry.pop('logger')}  {entry.pop('msg')}"
        exc = entry.pop("exc", None)
        fields = "  ".join(f"{key}={value}" for key, value in entry.items() if value is not None)
        return "\n".join(part for part in (f"{head}  {fields}".rstrip(), exc) if part)


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}


def resolve_format(log_format: str, stream: Any) -> str:
    """`auto` means readable lines on a terminal and JSON lines anywhere else (a file, a pipe, a log collector)."""
    if log_format != "auto":
        return log_format
    isatty = getattr(stream, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def logging_config(level: str = "info", log_format: str = "json", stream: str = "stdout",
                   handler_level: str | None = None) -> dict[str, Any]:
    """A dictConfig for the whole process (uvicorn's own loggers included): one line per record on `stream`."""
    log_format = resolve_format(log_format, getattr(sys, stream))
    handler = {"class": "logging.StreamHandler", "formatter": log_format, "stream": f"ext://sys.{stream}",
               "level": (handler_level or "NOTSET").upper()}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {name: {"()": formatter} for name, formatter in FORMATTERS.items()},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def configure_logging(level: str = "info", log_format: str = "auto") -> None:
    """Logs for a process nobody configured yet (an embedding host, a test runner or `deals serve` keep their own)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(FORMATTERS[resolve_format(log_format, sys.stdout)]())
        root.addHandler(handler)
        root.setLevel(level.upper())
    logging.getLogger("deals").setLevel(level.upper())
