"""Ticket pages: the list, the create form, the ticket page and its action forms, and the partner
portal's queue and handoffs. One set of views serves both audiences: internal staff under
``/tickets/`` (URL namespace ``tickets``), a provider's people under ``/partner/`` (namespace
``partner-tickets``); every read goes through ``restrict`` and every write through a service."""

from .actions import (
    AcceptView,
    AssignView,
    AttachmentDownloadView,
    CommentView,
    DecisionView,
    FieldsView,
    HandoffView,
    LinkView,
    RejectView,
    TransitionView,
    WatchView,
    WorkLogView,
)
from .common import InternalSide, PartnerSide, is_htmx, sided
from .create import TicketCreateView
from .lists import BulkActionView, SavedViewDeleteView, SavedViewSaveView, TicketListView
from .partner import PartnerHandoffsView, PartnerQueueView
from .ticket_page import TicketDetailView

SIDED_VIEWS = {
    "list": TicketListView,
    "bulk": BulkActionView,
    "saved-view-save": SavedViewSaveView,
    "saved-view-delete": SavedViewDeleteView,
    "detail": TicketDetailView,
    "comment": CommentView,
    "transition": TransitionView,
    "assign": AssignView,
    "fields": FieldsView,
    "handoff": HandoffView,
    "accept": AcceptView,
    "reject": RejectView,
    "worklog": WorkLogView,
    "watch": WatchView,
    "link": LinkView,
    "decision": DecisionView,
    "attachment": AttachmentDownloadView,
}
INTERNAL_VIEWS = {name: sided(cls)[0] for name, cls in SIDED_VIEWS.items()}
PARTNER_VIEWS = {name: sided(cls)[1] for name, cls in SIDED_VIEWS.items()}

__all__ = [
    "INTERNAL_VIEWS",
    "PARTNER_VIEWS",
    "InternalSide",
    "PartnerHandoffsView",
    "PartnerQueueView",
    "PartnerSide",
    "TicketCreateView",
    "is_htmx",
]
