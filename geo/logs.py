"""Standard-library logging, configured once at the edge (``battlemap serve`` and every CLI command).

Library modules only ask for ``logging.getLogger(__name__)``; this module decides where records go
and how they look (``LogSettings``: a level, ``text`` or ``json`` lines on stderr). Every record
carries the id of the HTTP request it was written in (``request_id``, ``-`` outside a request), so
an error's traceback can be found from the id the client was given.

Personal data is never logged: callers pass ids, codes and counts. SQLAlchemy's own loggers stay at
WARNING whatever the level, because at INFO/DEBUG they would write statements' parameters and
result rows (names and phones of ``person_contacts`` among them); Alembic's too (``QUIET_LOGGERS``).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import TextIO

from geo.settings import LogSettings

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("battlemap_request_id", default=None)
"""The id of the request being served in this thread (set by the web app's request hook)."""
QUIET_LOGGERS: tuple[str, ...] = ("sqlalchemy", "alembic")
"""Loggers held at WARNING: below it SQLAlchemy writes data (SQL parameters, result rows), and Alembic
repeats on every command what ``battlemap db`` prints once."""
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_HANDLER_NAME = "battlemap"
_STANDARD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id (``-`` when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, any ``extra=`` fields,
    and the traceback as ``exc_info`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        body |= {k: v for k, v in record.__dict__.items() if k not in _STANDARD_FIELDS}
        if record.exc_info:
            body["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (a test runner may swap it meanwhile)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(settings: LogSettings, *, stream: TextIO | None = None) -> logging.Handler:
    """Send every record at ``settings.level`` or above to ``stream`` (stderr) as text or JSON.

    Idempotent: calling it again replaces the handler it installed before (tests, a CLI invoked
    twice in one process) rather than writing every line twice.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
