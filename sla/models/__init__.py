"""Models of the SLA app (SPEC 2.4): policies and targets, clocks, and what happened to them."""

from .clocks import Clock, ClockEvent, SlaNotice
from .policies import SlaPolicy, SlaTarget
from .reviews import FollowUpAction, KpiReview, ReviewMeeting

__all__ = [
    "Clock",
    "ClockEvent",
    "FollowUpAction",
    "KpiReview",
    "ReviewMeeting",
    "SlaNotice",
    "SlaPolicy",
    "SlaTarget",
]
