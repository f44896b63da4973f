"""Services of tickets: the only code that writes tickets and their activity."""

from .activity import attachment_add, comment_add, worklog_add
from .edit import ticket_edit
from .errors import InvalidTransition, StaleVersion
from .handoffs import handoff_accept, handoff_reject, ticket_handoff
from .records import (
    decision_record_create,
    saved_view_delete,
    saved_view_save,
    ticket_link,
    ticket_unlink,
    ticket_watch,
)
from .tickets import ticket_assign, ticket_create, ticket_transition, ticket_update

__all__ = [
    "InvalidTransition",
    "StaleVersion",
    "attachment_add",
    "comment_add",
    "decision_record_create",
    "handoff_accept",
    "handoff_reject",
    "saved_view_delete",
    "saved_view_save",
    "ticket_assign",
    "ticket_create",
    "ticket_edit",
    "ticket_handoff",
    "ticket_link",
    "ticket_transition",
    "ticket_unlink",
    "ticket_update",
    "ticket_watch",
    "worklog_add",
]
