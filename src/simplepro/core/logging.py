"""structlog set-up: one JSON object per line, carrying the request id bound per request.

Django's own loggers go through the same renderer, so nothing is logged as plain text.
"""

from __future__ import annotations

import logging.config
import re
from typing import Any

import structlog

# Values that must never reach a log line, whatever a caller passes.
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|cookie|key", re.IGNORECASE)


def _redact(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in list(event):
        if key != "event" and _SECRET_KEYS.search(key):
            event[key] = "[redacted]"
    return event


def configure(settings: dict[str, Any]) -> None:
    level = settings.get("level", "INFO")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _redact,
    ]
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "json": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processor": structlog.processors.JSONRenderer(sort_keys=False),
                    "foreign_pre_chain": [
                        *shared,
                        structlog.stdlib.add_logger_name,
                        structlog.stdlib.ExtraAdder(),
                        # A library's logged exception (uvicorn's "Exception in ASGI
                        # application") keeps its traceback, as text in "exception".
                        structlog.processors.format_exc_info,
                    ],
                }
            },
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": "ext://sys.stdout",
                }
            },
            "root": {"handlers": ["stdout"], "level": level},
            "loggers": {
                # Our access log replaces these two.
                "django.request": {"level": "ERROR"},
                "django.server": {"level": "ERROR"},
                "uvicorn.access": {"level": "WARNING"},
            },
        }
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
