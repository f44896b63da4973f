"""Domain events of the SLA app: what escalation and notifications listen to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cogest.events import DomainEvent


@dataclass(frozen=True)
class SlaNoticeEvent(DomainEvent):
    clock_id: int
    ticket_id: int
    target: str  # response, resolution, accept, party_resolution
    kind: str  # sla, ola, uc
    party_id: int
    at: dt.datetime


@dataclass(frozen=True)
class SlaWarning(SlaNoticeEvent):
    name = "sla.warning"


@dataclass(frozen=True)
class SlaBreached(SlaNoticeEvent):
    name = "sla.breached"
