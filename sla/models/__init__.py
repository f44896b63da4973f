"""Models of the SLA app (SPEC 2.4): policies and their targets, clocks, and what happened to them."""

from .clocks import Clock, ClockEvent, SlaNotice
from .policies import SlaPolicy, SlaTarget

__all__ = ["Clock", "ClockEvent", "SlaNotice", "SlaPolicy", "SlaTarget"]
