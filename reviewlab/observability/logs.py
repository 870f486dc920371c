"""The log formats of the platform's processes (``REVIEWLAB_LOG_FORMAT``): ``text`` or ``json``.

``json`` writes one object per line: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``request_id`` (null outside a request), and ``exception`` when the record has one.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

from reviewlab.observability.context import install_record_factory

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
_MARK = "_reviewlab_handler"


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
            try:
                return super().format(record)
            finally:
                record.request_id = None
        return super().format(record)


def formatter(kind: Literal["json", "text"]) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else _TextFormatter(TEXT_FORMAT)


def configure_logging(kind: Literal["json", "text"] = "text", *, level: int = logging.INFO) -> logging.Handler:
    """Log to stderr in ``kind`` from the root logger (replacing the handler an earlier call installed); the
    handler."""
    install_record_factory()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(kind))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def uvicorn_log_config(kind: Literal["json", "text"]) -> dict[str, object]:
    """A ``logging.config.dictConfig`` for ``uvicorn.run``: every logger (uvicorn's and the app's) to stderr in
    ``kind`` (applied in each worker process uvicorn starts)."""
    fmt: dict[str, object] = (
        {"()": "reviewlab.observability.logs.JsonFormatter"}
        if kind == "json"
        else {"()": "reviewlab.observability.logs._TextFormatter", "fmt": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"reviewlab": fmt},
        "handlers": {
            "reviewlab": {"class": "logging.StreamHandler", "formatter": "reviewlab", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["reviewlab"], "level": "INFO"},
        "loggers": {
            name: {"handlers": [], "level": "INFO", "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
