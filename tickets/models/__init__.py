"""Tickets (SPEC 2.2): the ticket, who held it, its activity, links, decisions and saved views."""

from .activity import Attachment, Comment, DecisionRecord, Handoff, TicketLink, WorkLog
from .ticket import SavedView, Ticket, TicketCounter, TicketHolding

__all__ = [
    "Attachment",
    "Comment",
    "DecisionRecord",
    "Handoff",
    "SavedView",
    "Ticket",
    "TicketCounter",
    "TicketHolding",
    "TicketLink",
    "WorkLog",
]
