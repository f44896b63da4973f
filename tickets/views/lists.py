"""The ticket list: filters, sorting, pagination without COUNT, saved views, bulk actions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView
from django.views.generic.detail import SingleObjectMixin

from cogest import selectors as core_selectors
from cogest.models import Organization, Team
from cogest.querysets import viewer_for
from cogest.views import NoCountPaginator, RestrictedViewMixin
from tickets import selectors
from tickets.cmdb_links import with_critical_impact
from tickets.filters import SLA_DUE_ORDERING, SLA_STATES, filter_by_sla, order_by_sla_due
from tickets.forms import (
    BulkActionForm,
    SavedViewForm,
    TicketFilterForm,
    normalize_number,
    preset_query,
)
from tickets.models import SavedView, Ticket
from tickets.services import (
    StaleVersion,
    saved_view_delete,
    saved_view_save,
    ticket_assign,
    ticket_transition,
)

from .common import STALE_MESSAGE, is_htmx

PAGE_SIZE = 50


# --- List ---------------------------------------------------------------------------------------


class _Members(list):
    def all(self):
        return self


@dataclass
class PersonOption:
    pk: int
    username: str
    first_name: str
    last_name: str
    is_active: bool

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_username(self) -> str:
        return self.username


@dataclass
class TeamOption:
    """A team as the list's menus need it: read with its members in one query."""

    pk: int
    name: str
    organization: Organization
    members: _Members = field(default_factory=_Members)

    @property
    def organization_id(self) -> int:
        return self.organization.pk


def team_options_for(user) -> list[TeamOption]:
    """Visible active teams with their members: one query (a LEFT JOIN), not two."""
    rows = (
        Team.objects.restrict(user, "view")
        .filter(is_active=True)
        .order_by("organization__kind", "organization__name", "name", "members__first_name")
        .values_list(
            "pk",
            "name",
            "organization_id",
            "organization__name",
            "organization__kind",
            "members__pk",
            "members__username",
            "members__first_name",
            "members__last_name",
            "members__is_active",
        )
    )
    teams: dict[int, TeamOption] = {}
    for pk, name, org_id, org_name, org_kind, *member in rows:
        team = teams.get(pk)
        if team is None:
            org = Organization(pk=org_id, name=org_name, kind=org_kind)
            team = teams[pk] = TeamOption(pk=pk, name=name, organization=org)
        if member[0] is not None:
            team.members.append(PersonOption(*member))
    return list(teams.values())


# What the SLA cell (``sla/ticket_list_cell.html``, owned by the SLA app) reads of each clock.
SLA_CELL_FIELDS = (
    "id",
    "target",
    "kind",
    "state",
    "due_at",
    "warn_at",
    "warned_at",
    "breached_at",
    "paused_at",
    "stopped_at",
    "elapsed_seconds",
    "target_minutes",
)


def with_sla_clocks(tickets: QuerySet, *, user) -> QuerySet:
    """Each ticket with the SLA clocks ``user`` may read (``ticket.sla_clocks``, a list of
    objects), aggregated in the tickets' own query: the list's SLA column costs no query of its
    own, whatever the page size."""
    return tickets.annotate(sla_clocks=selectors.clock_rows(user, SLA_CELL_FIELDS))


class ListFilterForm(TicketFilterForm):
    """The list's filters plus the SLA ones: ``sla`` (a clock's state) and the ``sla_due``
    ordering (next due instant first); the same names as the API's (``tickets.filters``)."""

    sla = forms.ChoiceField(
        label=gettext_lazy("SLA"),
        required=False,
        choices=[("", gettext_lazy("Any SLA state")), *SLA_STATES],
    )
    ordering = forms.ChoiceField(
        required=False,
        choices=[
            *TicketFilterForm.base_fields["ordering"].choices,
            (SLA_DUE_ORDERING, SLA_DUE_ORDERING),
            (f"-{SLA_DUE_ORDERING}", f"-{SLA_DUE_ORDERING}"),
        ],
    )

    def filters(self) -> dict:
        data = super().filters()
        if data.get("ordering", "").lstrip("-") == SLA_DUE_ORDERING:
            del data["ordering"]  # the base form does not know it: ``apply`` orders by it
        return data

    def apply(self, queryset, *, user):
        queryset = super().apply(queryset, user=user)
        data = super().filters()
        if data.get("sla"):
            queryset = filter_by_sla(queryset, user=user, states=[data["sla"]])
        ordering = data.get("ordering", "")
        if ordering.lstrip("-") == SLA_DUE_ORDERING:
            queryset = order_by_sla_due(queryset, user=user, descending=ordering[0] == "-")
        return queryset


class TicketListView(RestrictedViewMixin, ListView):
    """The dense ticket table: filters, sorting, saved views, bulk actions. htmx refreshes the
    results region only."""

    queryset = selectors.TICKET_LIST_QUERYSET
    template_name = "tickets/list.html"
    results_template = "tickets/_list_results.html"

    def get(self, request, *args, **kwargs):
        # A ticket number typed in the top bar's search opens that ticket.
        number = normalize_number(request.GET.get("q", ""))
        jump = number and not is_htmx(request) and len(request.GET) == 1
        if jump and self.get_queryset().filter(number=number).exists():
            return redirect(self.url("detail", number))
        return self.render_list(request.GET)

    def teams(self) -> list:
        """The visible teams and their members, for the filter and bulk-assign menus."""
        if not hasattr(self, "_teams"):
            self._teams = team_options_for(self.request.user)
        return self._teams

    def render_list(self, query: QueryDict, *, status: int = 200, extra=None):
        self.query = query
        context = self.list_context(query)
        context.update(extra or {})
        if context["filter_form"].errors:
            status = 400
        if is_htmx(self.request):
            return render(self.request, self.results_template, context, status=status)
        context.update(self.page_context())
        return render(self.request, self.template_name, context, status=status)

    def list_context(self, query: QueryDict) -> dict:
        user = self.request.user
        viewer = viewer_for(user)
        teams = self.teams()
        form = ListFilterForm(query or None, teams=teams)
        tickets = with_critical_impact(
            with_sla_clocks(form.apply(self.get_queryset(), user=user), user=user)
        )
        page = NoCountPaginator(tickets, PAGE_SIZE).page(query.get("page", 1))
        plain = query.copy()
        plain.pop("page", None)
        own_teams = [t for t in teams if t.organization_id == viewer.organization_id]
        return {
            **self.side_context(),
            "filter_form": form,
            "tickets": page.object_list,
            "page_obj": page,
            "querystring": plain.urlencode(),
            "bulk_form": BulkActionForm(teams=own_teams),
            "can_bulk": not viewer.is_requester,
            "sla_cell_template": ["sla/ticket_list_cell.html", "tickets/_sla_cell.html"],
            "list_url": self.url("list"),
        }

    def page_context(self) -> dict:
        user = self.request.user
        return {
            "saved_views": list(SavedView.objects.restrict(user, "view")),
            "presets": [
                (gettext_lazy("My queue"), preset_query(assignee="me"), "person"),
                (
                    gettext_lazy("My teams' unassigned"),
                    preset_query(team="mine", assignee="unassigned"),
                    "people",
                ),
                (
                    gettext_lazy("SLA at risk"),
                    preset_query(sla="at_risk", ordering=SLA_DUE_ORDERING),
                    "hourglass-split",
                ),
                (
                    gettext_lazy("SLA breached"),
                    preset_query(sla="breached", ordering=SLA_DUE_ORDERING),
                    "exclamation-octagon",
                ),
            ],
            "current_query": self.request.GET.urlencode(),
        }


class SavedViewSaveView(View):
    """Save the list's current filters under a name (one per name: saving again overwrites)."""

    def post(self, request):
        form = SavedViewForm(request.POST)
        if form.is_valid():
            try:
                view = saved_view_save(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    query=form.cleaned_data["query"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
                return redirect(f"{self.url('list')}?{view.query}")
        else:
            messages.error(request, _("Name the view to save it."))
        query = form.data.get("query", "")
        return redirect(f"{self.url('list')}?{query}" if query else self.url("list"))


class SavedViewDeleteView(RestrictedViewMixin, SingleObjectMixin, View):
    """Delete one of my saved views (someone else's answers 404: ``restrict`` is personal)."""

    model = SavedView

    def post(self, request, pk):
        view = self.get_object()
        saved_view_delete(by=request.user, view=view)
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
        return redirect(self.url("list"))


class BulkActionView(TicketListView):
    """Assign or move many tickets at once; each ticket is its own service call, so one refusal
    does not stop the others. The report lists what failed and why."""

    def get(self, request, *args, **kwargs):
        return redirect(self.url("list"))

    def post(self, request):
        user = request.user
        viewer = viewer_for(user)
        # Model instances here: the services compare and query them.
        own_teams = [
            t
            for t in core_selectors.team_list_for_user(user=user).filter(is_active=True)
            if t.organization_id == viewer.organization_id
        ]
        form = BulkActionForm(request.POST, teams=own_teams)
        query = QueryDict(request.POST.get("query", ""), mutable=True)
        if viewer.is_requester:
            raise PermissionDenied
        if not form.is_valid():
            return self.render_list(query, status=400, extra={"bulk_form": form})
        tickets = list(
            self.get_queryset().filter(pk__in=form.cleaned_data["tickets"]).order_by("id")
        )
        done, failed = [], []
        for ticket in tickets:
            try:
                self.perform(form.cleaned_data, ticket, own_teams)
            except StaleVersion:
                failed.append((ticket, str(STALE_MESSAGE)))
            except (ValidationError, PermissionDenied) as exc:
                failed.append((ticket, " ".join(_messages(exc))))
            except Ticket.DoesNotExist:
                failed.append((ticket, _("You cannot see this ticket.")))
            else:
                done.append(ticket)
        missing = len(set(form.cleaned_data["tickets"])) - len(tickets)
        report = {"done": done, "failed": failed, "missing": missing}
        if not is_htmx(request):
            if done:
                numbers = ", ".join(t.number for t in done)
                messages.success(request, _("Updated: %(numbers)s.") % {"numbers": numbers})
            for ticket, error in failed:
                messages.error(request, f"{ticket.number}: {error}")
            url = self.url("list")
            return redirect(f"{url}?{query.urlencode()}" if query else url)
        return self.render_list(query, extra={"bulk_report": report})

    def perform(self, data, ticket, teams) -> None:
        user = self.request.user
        if data["action"] == "assign":
            target = data["assign_to"]
            by_pk = {str(t.pk): t for t in teams}
            if target == "me":
                ticket_assign(ticket=ticket, by=user, assignee=user)
            elif target.startswith("team:"):
                ticket_assign(ticket=ticket, by=user, team=by_pk[target.split(":")[1]])
            else:
                _kind, team_pk, user_pk = target.split(":")
                team = by_pk[team_pk]
                member = next(m for m in team.members.all() if str(m.pk) == user_pk)
                ticket_assign(ticket=ticket, by=user, team=team, assignee=member)
        else:
            ticket_transition(
                ticket=ticket,
                by=user,
                to=data["to"],
                pending_reason=data.get("pending_reason") or "",
                resolution=data.get("resolution") or "",
            )


def _messages(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc) or _("You may not do this.")]
