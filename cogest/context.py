"""Who is acting right now: the request id and client address, for the audit trail.

Set by ``RequestIdMiddleware`` for web requests and by ``celery`` signals for jobs; services read it
so that callers never have to thread a request through domain code.
"""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_ip", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def acting(*, request_id: str | None = None, ip: str | None = None):
    """Run a block (a job, a command) under a request id of its own."""
    token_id = request_id_var.set(request_id or new_request_id())
    token_ip = client_ip_var.set(ip)
    try:
        yield
    finally:
        request_id_var.reset(token_id)
        client_ip_var.reset(token_ip)
