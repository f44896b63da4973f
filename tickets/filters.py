"""Ticket-list filters (SPEC 5), shared by the API and the web list.

Every parameter is validated: an unknown status, a malformed date or an unknown ordering is a
400, never a silently ignored parameter. Enumerations and ids take several values, repeated
(``status=new&status=assigned``) or comma-separated (``status=new,assigned``).
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cogest.choices import FunctionalArea, SupportLevel
from cogest.filters import (
    ChoicesFilter,
    IdsFilter,
    LimitedMultipleChoiceField,
    StrictBooleanFilter,
)
from tickets.choices import Status, TicketType
from tickets.models import Ticket
from tickets.selectors import visible_clocks


class DateOrDateTimeField(forms.Field):
    """An ISO 8601 date (the start of that day, in the current timezone) or date-time (without
    an offset it is read in the current timezone)."""

    default_error_messages = {
        "invalid": _("Enter an ISO 8601 date (2026-03-01) or date-time (2026-03-01T09:30:00Z)."),
    }

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            parsed = parse_datetime(value)
            if parsed is None:
                day = parse_date(value)
                if day is None:
                    raise ValueError(value)
                parsed = dt.datetime.combine(day, dt.time.min)
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed)
            # Years at the edges of the calendar overflow when the database converts to UTC.
            parsed.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return parsed


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeBoundFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


# --- SLA clocks -----------------------------------------------------------------------------------
# Clocks belong to the SLA app, which adds ``ticket.clocks``; tickets/ never imports sla/. Every
# condition is a subquery over the clocks the user may read (``restrict``): a ticket never matches
# because of a clock the user cannot see (another party's OLA or UC), and is listed once however
# many of its clocks match.

SLA_STATES = [
    ("at_risk", _("At risk")),
    ("breached", _("Breached")),
    ("running", _("Running")),
    ("paused", _("Paused")),
]
SLA_CONDITIONS = {
    # Past its warning, still counting, target not yet missed.
    "at_risk": Q(
        stopped_at__isnull=True,
        paused_at__isnull=True,
        state="running",
        warned_at__isnull=False,
        breached_at__isnull=True,
    ),
    # Missed its target, open or stopped.
    "breached": Q(breached_at__isnull=False) | Q(state="breached"),
    "running": Q(stopped_at__isnull=True, paused_at__isnull=True, state="running"),
    "paused": Q(stopped_at__isnull=True, state="paused"),
}
SLA_DUE_ORDERING = "sla_due"


def filter_by_sla(
    queryset: QuerySet, *, user, states=(), due_before: dt.datetime | None = None
) -> QuerySet:
    """Tickets with a clock ``user`` may read that is in one of ``states`` (``SLA_STATES``)
    and, with ``due_before``, open and due before that instant (overdue ones included)."""
    if not states and due_before is None:
        return queryset
    clocks = visible_clocks(user)
    if clocks is None:
        return queryset.none()
    if states:
        rule = Q(pk__in=[])
        for state in states:
            rule |= SLA_CONDITIONS[state]
        clocks = clocks.filter(rule)
    if due_before is not None:
        clocks = clocks.filter(stopped_at__isnull=True, due_at__lt=due_before)
    return queryset.filter(pk__in=clocks.values("ticket_id"))


def with_sla_due(queryset: QuerySet, *, user) -> QuerySet:
    """Tickets annotated with ``sla_due``: the next due instant of their open clocks ``user``
    may read (a ``MIN`` subquery, not a join); ``None`` without one."""
    clocks = visible_clocks(user)
    if clocks is None:
        return queryset.annotate(**{SLA_DUE_ORDERING: Value(None, DateTimeField())})
    next_due = (
        clocks.filter(ticket_id=OuterRef("pk"), stopped_at__isnull=True, due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return queryset.annotate(**{SLA_DUE_ORDERING: Subquery(next_due)})


def sla_due_order(*, descending: bool = False) -> OrderBy:
    """The soonest (or most overdue) due first, or last when descending; tickets without a due
    clock last either way."""
    key = F(SLA_DUE_ORDERING)
    return key.desc(nulls_last=True) if descending else key.asc(nulls_last=True)


def order_by_sla_due(queryset: QuerySet, *, user, descending: bool = False) -> QuerySet:
    """Tickets by the next due instant of their open clocks ``user`` may read (see
    ``with_sla_due``), the id breaking ties."""
    return with_sla_due(queryset, user=user).order_by(
        sla_due_order(descending=descending), "-id" if descending else "id"
    )


SLA_HELP = _(
    "Tickets with an SLA clock you may see in one of these states: at_risk (counting, past its "
    "warning threshold, not breached), breached (missed its target, open or stopped), running "
    "(counting now), paused (on hold). Several values: any of them."
)
SLA_DUE_BEFORE_HELP = _(
    "Tickets with an open SLA clock you may see due before this ISO date or date-time (overdue "
    "clocks included); with sla, one clock must match both."
)


# The schema of a filter declared with ``extend_schema_field`` takes its description from there.
@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": [key for key, _l in SLA_STATES]},
        "description": SLA_HELP,
    }
)
class SlaStateFilter(django_filters.Filter):
    """One or more SLA states (``SLA_STATES``). Parsed here, applied together with
    ``sla_due_before`` by ``TicketFilterSet.filter_queryset``: both describe the same clock."""

    field_class = LimitedMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", SLA_STATES)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs


@extend_schema_field({"type": "string", "format": "date-time", "description": SLA_DUE_BEFORE_HELP})
class SlaDueBeforeFilter(DateTimeBoundFilter):
    """An instant; applied with ``sla`` by ``TicketFilterSet.filter_queryset``."""

    def filter(self, qs, value):
        return qs


class TicketOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the id as tie-breaker, so pages never repeat or skip a ticket; ``sla_due``
    orders by the next SLA due instant (see ``with_sla_due``)."""

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            if not param:
                continue
            key = self.get_ordering_value(param)
            if key.lstrip("-") == SLA_DUE_ORDERING:
                qs = with_sla_due(qs, user=getattr(self.parent.request, "user", None))
                ordering.append(sla_due_order(descending=key.startswith("-")))
            else:
                ordering.append(key)
        last = ordering[-1] if ordering else ""
        if not (isinstance(last, str) and last.lstrip("-") in ("id", "number")):
            ordering.append("-id")
        return qs.order_by(*ordering)


class TicketFilterSet(django_filters.FilterSet):
    """Filters of the ticket list (SPEC 5) plus ``support_level``, ``mine`` and ``unassigned``."""

    status = ChoicesFilter(
        choices=Status.choices, help_text=_("One or more statuses: status=new,assigned.")
    )
    type = ChoicesFilter(choices=TicketType.choices, help_text=_("One or more ticket types."))
    priority = ChoicesFilter(
        choices=[(p, str(p)) for p in range(1, 5)],
        coerce=int,
        help_text=_("One or more priorities (1-4)."),
    )
    functional_area = ChoicesFilter(
        choices=FunctionalArea.choices, help_text=_("One or more functional areas.")
    )
    support_level = ChoicesFilter(
        choices=SupportLevel.choices, help_text=_("One or more support levels.")
    )
    team = IdsFilter(field_name="team_id", help_text=_("Team ids."))
    assignee = IdsFilter(field_name="assignee_id", help_text=_("Assignee (user) ids."))
    requester = IdsFilter(field_name="requester_id", help_text=_("Requester (user) ids."))
    engagement = IdsFilter(field_name="engagement_id", help_text=_("Engagement ids."))
    ci = IdsFilter(method="filter_ci", help_text=_("Tickets affecting any of these CI ids."))
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text=_("Full-text search in the number, title and description."),
    )
    created_after = DateTimeBoundFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text=_("Created at or after this ISO date or date-time."),
    )
    created_before = DateTimeBoundFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text=_("Created before this ISO date or date-time (a date: before that day)."),
    )
    mine = StrictBooleanFilter(method="filter_mine", help_text=_("true: tickets assigned to me."))
    unassigned = StrictBooleanFilter(
        field_name="assignee", lookup_expr="isnull", help_text=_("true: tickets with no assignee.")
    )
    sla = SlaStateFilter(help_text=SLA_HELP)
    sla_due_before = SlaDueBeforeFilter(help_text=SLA_DUE_BEFORE_HELP)
    ordering = TicketOrderingFilter(
        fields=("created_at", "updated_at", "priority", "number", "status", "sla_due"),
        help_text=_(
            "created_at, updated_at, priority, number, status or sla_due (the next due instant "
            "of the ticket's open SLA clocks, tickets without one last); '-' for descending."
        ),
    )

    class Meta:
        model = Ticket
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        return filter_by_sla(
            queryset,
            user=getattr(self.request, "user", None),
            states=data.get("sla") or (),
            due_before=data.get("sla_due_before"),
        )

    def filter_ci(self, queryset, name, value):
        if not value:
            return queryset
        through = Ticket.cis.through
        # A subquery, not a join: a ticket with two of the CIs is listed once, without DISTINCT.
        tickets = through.objects.filter(configurationitem_id__in=value).values("ticket_id")
        return queryset.filter(pk__in=tickets)

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        return (
            queryset.filter(assignee_id=user.pk) if value else queryset.exclude(assignee_id=user.pk)
        )
