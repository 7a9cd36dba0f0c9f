"""Server logs: one short readable line per event on a terminal, JSON lines everywhere else.

Log collectors (Loki, CloudWatch, ``jq``) read JSON lines without a parser of their own; the
``extra`` fields a call passes (``request_id``, ``endpoint``, ``status``...) become keys. A
person at a terminal reads ``12:00:01 info  serving  endpoints=[...]`` instead. ``auto``
chooses by whether stderr is a terminal, so ``modelyard serve`` reads well by hand and
ships JSON under systemd, Docker or Kubernetes without a flag.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

LogFormat = Literal["auto", "json", "text"]

# uvicorn's own copy of the message with ANSI colours: noise in JSON, a duplicate in text.
_DROPPED = {"color_message"}
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"} | _DROPPED
# uvicorn.access is left as uvicorn.run configures it: off (``access_log=False``), since a log
# line per request is work on the predict path; the ``status`` of failed requests is logged here.
_LOGGERS = ("modelyard", "uvicorn", "uvicorn.error")
_TEXT_MESSAGE_CHARS = 160
"""A text line shows this much of a message (a 422 lists every bad field); JSON keeps all."""
_COLOURS = {"DEBUG": "2", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD}


class JsonLinesFormatter(logging.Formatter):
    """Formats a record as ``{"time", "level", "logger", "message", **extra}``."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(_extra(record))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(document, default=str).decode()


class TextFormatter(logging.Formatter):
    """Formats a record as ``HH:MM:SS level  message  key=value ...``, level coloured."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        level = f"{record.levelname.lower():<7}"
        if self.colour:
            level = f"\x1b[{_COLOURS.get(record.levelname, '0')}m{level}\x1b[0m"
        fields = " ".join(f"{key}={value}" for key, value in _extra(record).items())
        message = record.getMessage()
        if len(message) > _TEXT_MESSAGE_CHARS:
            message = message[: _TEXT_MESSAGE_CHARS - 1] + "…"
        line = f"{when} {level} {message}" + (f"  {fields}" if fields else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def resolve_format(log_format: str) -> Literal["json", "text"]:
    """``text`` or ``json`` as asked; ``auto`` (or anything else) chooses ``text`` when stderr
    is a terminal, else ``json``."""
    if log_format in ("json", "text"):
        return "json" if log_format == "json" else "text"
    return "text" if sys.stderr.isatty() else "json"


def configure(level: str = "info", log_format: str = "auto") -> None:
    """Send modelyard's and uvicorn's logs to stderr in ``log_format``."""
    handler = logging.StreamHandler(sys.stderr)
    chosen = resolve_format(log_format)
    handler.setFormatter(
        JsonLinesFormatter() if chosen == "json" else TextFormatter(sys.stderr.isatty())
    )
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
