"""Forms of the ticket pages: shape and messages only. Workflow rules live in the services; the
choices (teams, people, organizations) come in already restricted, so a form never queries."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cogest.choices import FunctionalArea, SupportLevel
from cogest.forms import StyledForm
from tickets.choices import (
    Level,
    LinkKind,
    PendingReason,
    ResolutionCode,
    Status,
    TicketType,
    Visibility,
)

NUMBER_RE = re.compile(r"^\s*(INC|REQ|PRB|CHG)-?0*(\d{1,9})\s*$", re.IGNORECASE)


def normalize_number(text: str) -> str | None:
    """``inc-123`` → ``INC-000123``; ``None`` when the text is not a ticket number."""
    match = NUMBER_RE.match(text or "")
    if not match:
        return None
    return f"{match.group(1).upper()}-{int(match.group(2)):06d}"


def preset_query(**extra) -> str:
    """A list query string for open tickets plus ``extra`` filters (the list's presets)."""
    pairs = [("status", s) for s in (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)]
    pairs += [("status", Status.PENDING), *extra.items()]
    return urlencode(pairs)


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _choices_with_blank(blank_label, choices):
    return [("", blank_label), *list(choices)]


def team_choices(teams, *, with_org: bool = True) -> list[tuple[str, str]]:
    return [(str(t.pk), f"{t.name} · {t.organization.name}" if with_org else t.name) for t in teams]


def member_choices(teams) -> list:
    """People grouped by team (optgroups), values ``<user id>``; a person appears once."""
    seen, groups = set(), []
    for team in teams:
        options = []
        for member in team.members.all():
            if member.pk in seen or not member.is_active:
                continue
            seen.add(member.pk)
            options.append((str(member.pk), person_name(member)))
        if options:
            groups.append((team.name, options))
    return groups


# --- Ticket list ------------------------------------------------------------------------------

SORT_FIELDS = {
    "number": "id",
    "title": "title",
    "priority": "priority",
    "status": "status",
    "team": "team__name",
    "assignee": "assignee__first_name",
    "updated": "updated_at",
    "created": "created_at",
}


class TicketFilterForm(StyledForm):
    """The filter bar of the ticket list; the same names as the API's filters (SPEC 5)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=_choices_with_blank(_("Any type"), TicketType.choices),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any priority")), *[(str(p), f"P{p}") for p in (1, 2, 3, 4)]],
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    functional_area = forms.ChoiceField(
        label=_("Area"),
        required=False,
        choices=_choices_with_blank(_("Any area"), FunctionalArea.choices),
    )
    support_level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=_choices_with_blank(_("Any level"), SupportLevel.choices),
    )
    ci = forms.IntegerField(label=_("CI id"), required=False, min_value=1)
    created_after = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ordering = forms.ChoiceField(
        required=False,
        choices=[("", "")]
        + [(key, key) for key in SORT_FIELDS]
        + [(f"-{key}", f"-{key}") for key in SORT_FIELDS],
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [
            ("", _("Any team")),
            ("mine", _("My teams")),
            *team_choices(teams),
        ]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("unassigned", _("Unassigned")),
            *member_choices(teams),
        ]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Number, title or text"), "data-search-input": ""}
        )

    def filters(self) -> dict:
        """The valid filters (an invalid one is reported and ignored, the others apply)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}

    def apply(self, queryset, *, user):
        """Narrow an already restricted ticket queryset."""
        data = self.filters()
        if data.get("status"):
            queryset = queryset.filter(status__in=data["status"])
        for name in ("type", "priority", "functional_area", "support_level"):
            if name in data:
                queryset = queryset.filter(**{name: data[name]})
        team = data.get("team")
        if team == "mine":
            from cogest.models import Team

            queryset = queryset.filter(
                team_id__in=Team.members.through.objects.filter(user_id=user.pk).values("team_id")
            )
        elif team:
            queryset = queryset.filter(team_id=int(team))
        assignee = data.get("assignee")
        if assignee == "me":
            queryset = queryset.filter(assignee_id=user.pk)
        elif assignee == "unassigned":
            queryset = queryset.filter(assignee__isnull=True)
        elif assignee:
            queryset = queryset.filter(assignee_id=int(assignee))
        if "ci" in data:
            queryset = queryset.filter(cis__id=data["ci"])
        tz = timezone.get_current_timezone()
        if "created_after" in data:
            start = dt.datetime.combine(data["created_after"], dt.time.min, tzinfo=tz)
            queryset = queryset.filter(created_at__gte=start)
        if "created_before" in data:
            end = dt.datetime.combine(data["created_before"] + dt.timedelta(days=1), dt.time.min)
            queryset = queryset.filter(created_at__lt=end.replace(tzinfo=tz))
        if data.get("q"):
            queryset = queryset.search(data["q"])
        ordering = data.get("ordering") or "-number"
        field = SORT_FIELDS[ordering.lstrip("-")]
        desc = ordering.startswith("-")
        return queryset.order_by(f"{'-' if desc else ''}{field}", "-id" if desc else "id")


class SavedViewForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


class BulkActionForm(StyledForm):
    """Selected tickets and one action on them: assign, or move to a status."""

    action = forms.ChoiceField(
        choices=[("assign", _("Assign")), ("transition", _("Change status"))],
        widget=forms.HiddenInput,
    )
    tickets = forms.TypedMultipleChoiceField(coerce=int, required=True)
    assign_to = forms.ChoiceField(label=_("Assign to"), required=False)
    to = forms.ChoiceField(
        label=_("Move to"),
        required=False,
        choices=_choices_with_blank(_("Status…"), Status.choices),
    )
    pending_reason = forms.ChoiceField(
        label=_("Waiting for"),
        required=False,
        choices=_choices_with_blank(_("Waiting for…"), PendingReason.choices),
    )
    resolution = forms.CharField(label=_("Resolution"), required=False, max_length=2000)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args, teams=(), **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.attrs["data-bulk-status"] = ""
        self.fields["pending_reason"].widget.attrs["data-bulk-needs"] = "pending"
        self.fields["resolution"].widget.attrs.update(
            {"data-bulk-needs": "resolved", "placeholder": _("Resolution")}
        )
        data = self.data.getlist("tickets") if hasattr(self.data, "getlist") else []
        self.fields["tickets"].choices = [(v, v) for v in data if str(v).isdigit()]
        self.fields["tickets"].error_messages["required"] = _("Select at least one ticket.")
        options = [("", _("Team or person…")), ("me", _("Me"))]
        for team in teams:
            group = [(f"team:{team.pk}", _("%(team)s (team, nobody)") % {"team": team.name})]
            group += [
                (f"user:{team.pk}:{m.pk}", person_name(m))
                for m in team.members.all()
                if m.is_active
            ]
            options.append((f"{team.name} · {team.organization.name}", group))
        self.fields["assign_to"].choices = options

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assign_to"):
            self.add_error("assign_to", _("Choose a team or a person."))
        if data.get("action") == "transition" and not data.get("to"):
            self.add_error("to", _("Choose a status."))
        return data


# --- Affected CIs -----------------------------------------------------------------------------

CI_SEARCH_MAX = 100
CI_MAX = 100  # affected CIs per ticket from a form: more is a mistake, not a ticket


def _id_values(values) -> list[str]:
    """Posted or initial CI ids as choice values; what is not an id is left for the field to
    refuse ("not a valid choice")."""
    return [str(v) for v in values if str(v).isascii() and str(v).isdigit() and len(str(v)) <= 18]


class AffectedCIsMixin:
    """The affected-CIs picker's fields: ``cis`` (the checked ids) and ``ci_q`` (its search).

    The choices are the ids posted or given as initial: which of them the actor may link is the
    service's decision (an unknown or invisible id is a ``cis`` error), so the form never
    queries."""

    def setup_cis(self) -> None:
        posted = self.data.getlist("cis") if hasattr(self.data, "getlist") else []
        initial = self.initial.get("cis") or []
        values = dict.fromkeys(_id_values([*posted, *initial]))
        self.fields["cis"].choices = [(v, v) for v in values]
        self.fields["ci_q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name, asset tag or serial"), "autocomplete": "off"}
        )

    def clean_cis(self):
        ids = list(dict.fromkeys(self.cleaned_data.get("cis") or []))
        if len(ids) > CI_MAX:
            raise forms.ValidationError(
                _("At most %(n)s configuration items per ticket.") % {"n": CI_MAX}
            )
        return ids


def affected_cis_field():
    return forms.TypedMultipleChoiceField(
        label=_("Affected CIs"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("“%(value)s” is not a configuration item id.")},
    )


def ci_search_field():
    return forms.CharField(label=_("Find a CI"), required=False, max_length=CI_SEARCH_MAX)


# --- Create -----------------------------------------------------------------------------------


class TicketCreateForm(AffectedCIsMixin, StyledForm):
    type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, initial="incident")
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: **bold**, `code`, lists, links."),
    )
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices, initial="medium")
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices, initial="medium")
    functional_area = forms.ChoiceField(
        label=_("Functional area"),
        choices=_choices_with_blank(_("Choose an area…"), FunctionalArea.choices),
    )
    support_level = forms.ChoiceField(
        label=_("Support level"), choices=SupportLevel.choices, initial="L1"
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    requester = forms.ChoiceField(label=_("Requester"), required=False)
    cis = affected_cis_field()
    ci_q = ci_search_field()

    def __init__(self, *args, teams=(), requesters=(), technician: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        self.members = {str(m.pk): m for t in teams for m in t.members.all()}
        self.requesters = {str(p.user.pk): p.user for p in requesters}
        self.fields["team"].choices = [("", _("Route automatically")), *team_choices(teams)]
        self.fields["assignee"].choices = [("", _("Nobody yet")), *member_choices(teams)]
        self.fields["requester"].choices = [
            ("", _("Me")),
            *[(key, person_name(user)) for key, user in self.requesters.items()],
        ]
        self.fields["title"].widget.attrs.update({"autofocus": True, "autocomplete": "off"})
        if not technician:
            for name in ("team", "assignee", "requester", "support_level", "cis", "ci_q"):
                del self.fields[name]
        else:
            self.setup_cis()

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("ci_q", None)
        data["team"] = self.teams.get(data.pop("team", "") or "")
        data["assignee"] = self.members.get(data.pop("assignee", "") or "")
        data["requester"] = self.requesters.get(data.pop("requester", "") or "")
        return data


# --- Ticket page ------------------------------------------------------------------------------


class VersionedForm(StyledForm):
    """An edit form carrying the ticket version it was drawn from (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class CommentForm(StyledForm):
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        help_text=_("Markdown. Comments are never edited: a correction is a new comment."),
    )
    file = forms.FileField(label=_("Attach a file"), required=False)

    def __init__(self, *args, requester: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if requester:
            self.fields["visibility"].choices = [(Visibility.PUBLIC, Visibility.PUBLIC.label)]
            self.fields["visibility"].initial = Visibility.PUBLIC


class TransitionForm(VersionedForm):
    to = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    pending_reason = forms.ChoiceField(
        label=_("Waiting for"),
        required=False,
        choices=_choices_with_blank(_("Choose…"), PendingReason.choices),
    )
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"),
        required=False,
        choices=ResolutionCode.choices,
        initial=ResolutionCode.FIXED,
    )
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(VersionedForm):
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    me = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        self.members = {str(m.pk): m for t in teams for m in t.members.all()}
        self.fields["team"].choices = team_choices(teams, with_org=False)
        self.fields["assignee"].choices = [("", _("Nobody")), *member_choices(teams)]


class FieldsForm(VersionedForm):
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices)


class TicketCIsForm(AffectedCIsMixin, VersionedForm):
    """The ticket page's affected CIs: the whole new set, saved at once."""

    cis = affected_cis_field()
    ci_q = ci_search_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_cis()


class HandoffForm(VersionedForm):
    team = forms.ChoiceField(label=_("Hand off to"))
    summary = forms.CharField(
        label=_("Summary for the receiving team"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    steps_tried = forms.CharField(
        label=_("Steps tried"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    affected_cis = forms.CharField(label=_("Affected CIs"), required=False, max_length=1000)
    impact = forms.CharField(label=_("Impact"), required=False, max_length=1000)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        self.fields["team"].choices = [("", _("Choose a team…")), *team_choices(teams)]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        checklist = {
            key: data[key].strip()
            for key in ("steps_tried", "evidence", "affected_cis", "impact")
            if data.get(key, "").strip()
        }
        return {
            "team": self.teams[data["team"]],
            "summary": data["summary"],
            "checklist": checklist,
        }


class RejectForm(StyledForm):
    reason = forms.CharField(
        label=_("Why it is rejected"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WorkLogForm(StyledForm):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    description = forms.CharField(label=_("What was done"), max_length=5000)
    billable = forms.BooleanField(label=_("Billable"), required=False)


class LinkForm(StyledForm):
    kind = forms.ChoiceField(label=_("Link type"), choices=LinkKind.choices)
    target = forms.CharField(label=_("Ticket number"), max_length=20)

    def clean_target(self):
        number = normalize_number(self.cleaned_data["target"])
        if number is None:
            raise forms.ValidationError(_("A ticket number looks like INC-000123."))
        return number


class DecisionForm(StyledForm):
    title = forms.CharField(label=_("Decision title"), max_length=200)
    context = forms.CharField(label=_("Context"), widget=forms.Textarea(attrs={"rows": 2}))
    options = forms.CharField(
        label=_("Options considered"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))
    party = forms.ChoiceField(label=_("For"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.fields["party"].choices = [(k, o.name) for k, o in self.organizations.items()]
