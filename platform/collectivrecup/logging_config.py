"""Log records that say which request they belong to, and carry no e-mail address.

`RequestLogMiddleware` opens a request context (an id and the request) around each
request; `RequestContextFilter`, set on the console handler, copies `request_id` and
`authority` (the slug) onto every record emitted meanwhile, whatever its logger.
Production writes one JSON object per line (`JsonFormatter`), local development plain
text (`PlainFormatter`); `LOG_FORMAT` chooses (settings).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collectivrecup.observability import scrub

NO_VALUE = "-"
# What a load balancer or a proxy may send as X-Request-ID: short, no spaces, no
# control characters, nothing that could forge a log line or a header.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    request: Any

    @property
    def authority(self) -> str:
        # Read at each record: request.tenant appears once the tenant lookup has run.
        tenant = getattr(self.request, "tenant", None)
        return getattr(tenant, "slug", None) or NO_VALUE


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "collectivrecup_request_context", default=None
)


def request_id_from(header: str | None) -> str:
    """The incoming X-Request-ID when it is a sane token, otherwise a new id."""
    if header and REQUEST_ID_RE.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def request_context(request_id: str, request: Any) -> Iterator[RequestContext]:
    context = RequestContext(request_id, request)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current_request_context() -> RequestContext | None:
    return _current.get()


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `authority` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        record.request_id = context.request_id if context else NO_VALUE
        record.authority = context.authority if context else NO_VALUE
        return True


class PlainFormatter(logging.Formatter):
    """Text for people (local development); e-mail addresses are redacted."""

    def format(self, record: logging.LogRecord) -> str:
        record.__dict__.setdefault("request_id", NO_VALUE)
        record.__dict__.setdefault("authority", NO_VALUE)
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with a fixed set of keys.

    Only these keys, on purpose: generic JSON formatters (python-json-logger) copy every
    `extra` attribute of a record into the line, and Celery passes the task's arguments
    as an extra ("Task received", task failures), which may be personal data.
    E-mail addresses in the message or the traceback are redacted.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_VALUE),
            "authority": getattr(record, "authority", NO_VALUE),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(scrub(entry), ensure_ascii=False, default=str)
