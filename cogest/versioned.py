"""Configuration read on every ticket change (the matrix, SLA policies, calendars), kept in each
process and rebuilt as soon as any process changes it.

A value is built once per process and stamped with a version read from the shared cache (Redis
in production). Saving or deleting one of the models it depends on sets a new version once the
transaction commits; every process sees the new stamp within ``CHECK_SECONDS`` and rebuilds (the
process that made the change at once). A check costs one cache round trip instead of a compiled
database query, and happens at most once per ``CHECK_SECONDS`` per value. When the cache cannot
be reached the value is rebuilt on each read: slower, never stale.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from time import monotonic
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long a process trusts the version it last read: a change made elsewhere reaches it
# within this delay.
CHECK_SECONDS = 1.0


class VersionedValue(Generic[T]):
    instances: list[VersionedValue] = []

    def __init__(self, name: str, build: Callable[[], T], depends_on: Iterable[type]):
        VersionedValue.instances.append(self)
        self.key = f"cogest:config-version:{name}"
        self.build = build
        self.depends_on = tuple(depends_on)
        self._lock = threading.Lock()
        self._value: T | None = None
        self._version: str | None = None
        self._checked_at = 0.0
        self._connected = False

    def get(self) -> T:
        now = monotonic()
        if self._value is not None and self._version and now - self._checked_at < CHECK_SECONDS:
            return self._value
        version = self._shared_version()
        if version is not None and version == self._version and self._value is not None:
            self._checked_at = now
            return self._value
        value = self.build()
        with self._lock:
            self._value, self._version, self._checked_at = value, version, now
        return value

    @classmethod
    def forget_all(cls) -> None:
        """Every value rebuilds on its next read (tests: a rolled-back change sends no signal)."""
        for value in cls.instances:
            value.forget()

    def forget(self) -> None:
        """Rebuild on the next read in this process."""
        with self._lock:
            self._value, self._version = None, None

    def invalidate(self, **_signal) -> None:
        """Forget the value here now, and everywhere once the change commits."""
        self.forget()
        transaction.on_commit(self._bump)

    def connect(self) -> None:
        """Invalidate on every save or delete of the models the value depends on."""
        if self._connected:
            return
        for model in self.depends_on:
            uid = f"{self.key}:{model._meta.label}"
            post_save.connect(self.invalidate, sender=model, dispatch_uid=f"{uid}:save")
            post_delete.connect(self.invalidate, sender=model, dispatch_uid=f"{uid}:delete")
            for relation in model._meta.many_to_many:  # rule.teams.set(...) saves no rule
                through = relation.remote_field.through
                m2m_changed.connect(
                    self.invalidate, sender=through, dispatch_uid=f"{uid}:{relation.name}:m2m"
                )
        self._connected = True

    def _shared_version(self) -> str | None:
        try:
            version = cache.get(self.key)
            if version is None:
                version = uuid.uuid4().hex
                if not cache.add(self.key, version, timeout=None):
                    version = cache.get(self.key)
            return version
        except Exception:  # noqa: BLE001 - no shared cache: rebuild on every read
            log.warning("configuration cache unreachable; rebuilding %s", self.key, exc_info=True)
            return None

    def _bump(self) -> None:
        with self._lock:
            self._value, self._version = None, None
        try:
            cache.set(self.key, uuid.uuid4().hex, timeout=None)
        except Exception:  # noqa: BLE001 - the next read rebuilds anyway
            log.warning("configuration cache unreachable; %s not bumped", self.key, exc_info=True)
