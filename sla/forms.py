"""Forms of the SLA pages: the dashboard's filters, the review meeting and its follow-ups.
Shape and messages only; who may do what lives in the services and the restricted querysets."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sla import metrics

MAX_PERIOD_DAYS = 731  # two years: a trend, not an archive dump
DATE_WIDGET = {"type": "date"}


def _int_choices(rows, empty_label) -> list[tuple[str, str]]:
    return [("", empty_label), *((str(pk), label) for pk, label in rows)]


class DashboardFilterForm(forms.Form):
    """The filter bar: period, team, organization, engagement, priority, and how to group.

    The team, organization and engagement choices are the ones the viewer's scope offers, so a
    value from outside it is an invalid choice, not a silent empty dashboard."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    organization = forms.TypedChoiceField(
        label=_("Organization"), required=False, coerce=int, empty_value=None
    )
    engagement = forms.TypedChoiceField(
        label=_("Engagement"), required=False, coerce=int, empty_value=None
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any priority")), *((str(p), f"P{p}") for p in (1, 2, 3, 4))],
    )
    group = forms.ChoiceField(
        label=_("Group the table by"),
        required=False,
        choices=metrics.Dimension.CHOICES,
    )
    trend_by = forms.ChoiceField(
        label=_("Trend lines per"),
        required=False,
        choices=[
            (metrics.Dimension.ENGAGEMENT, _("Engagement")),
            (metrics.Dimension.TEAM, _("Team")),
            (metrics.Dimension.NONE, _("All together")),
        ],
    )

    def __init__(self, data=None, *, teams, organizations, engagements, **kwargs):
        if data is not None and not data.get("date_from") and not data.get("date_to"):
            # No period asked for: the default one, shown in the date fields.
            default = metrics.default_period()
            data = data.copy()
            data["date_from"], data["date_to"] = default.first.isoformat(), default.last.isoformat()
        super().__init__(data, **kwargs)
        self.fields["team"].choices = _int_choices(((t.pk, t.name) for t in teams), _("Any team"))
        self.fields["organization"].choices = _int_choices(
            ((o.pk, o.name) for o in organizations), _("Any organization")
        )
        self.fields["engagement"].choices = _int_choices(
            ((e.pk, e.name) for e in engagements), _("Any engagement")
        )
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")
            field.widget.attrs.setdefault("data-filter", name)

    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        default = metrics.default_period()
        if first is None and last is None:
            first, last = default.first, default.last
        elif first is None:
            first = last - (default.last - default.first)
        elif last is None:
            last = max(first, timezone.localdate())
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end of the period comes before its start."))
            elif (last - first).days > MAX_PERIOD_DAYS:
                self.add_error("date_to", _("A period spans at most two years; narrow it down."))
        data["date_from"], data["date_to"] = first, last
        data["group"] = data.get("group") or metrics.Dimension.TEAM
        data["trend_by"] = data.get("trend_by") or metrics.Dimension.ENGAGEMENT
        return data

    def filters(self) -> metrics.Filters:
        data = self.cleaned_data
        return metrics.Filters(
            period=metrics.Period.from_dates(data["date_from"], data["date_to"]),
            team_id=data.get("team"),
            organization_id=data.get("organization"),
            engagement_id=data.get("engagement"),
            priority=data.get("priority"),
        )


def period_presets(today: dt.date | None = None) -> list[tuple[str, dt.date, dt.date]]:
    """Quick periods for the filter bar: this month, last month, last three and six months,
    this year."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    last_month_end = this_month - dt.timedelta(days=1)

    def months_back(n: int) -> dt.date:
        day = this_month
        for _i in range(n):
            day = (day - dt.timedelta(days=1)).replace(day=1)
        return day

    return [
        (str(_("This month")), this_month, today),
        (str(_("Last month")), last_month_end.replace(day=1), last_month_end),
        (str(_("Last 3 months")), months_back(2), today),
        (str(_("Last 6 months")), months_back(5), today),
        (str(_("This year")), today.replace(month=1, day=1), today),
    ]


class InvalidMarksMixin:
    """A field with an error says so to browsers and screen readers (``is-invalid``,
    ``aria-invalid``, and the error text as its description)."""

    def add_error(self, field, error):
        super().add_error(field, error)
        names = [field] if field else []
        if isinstance(error, dict):
            names = list(error)
        elif hasattr(error, "error_dict"):
            names = list(error.error_dict)
        for name in names:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-error"


class ReviewMeetingForm(InvalidMarksMixin, forms.Form):
    """The record of a review meeting."""

    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs=DATE_WIDGET))
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees (both sides)"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    minutes = forms.CharField(
        label=pgettext_lazy("record of a meeting", "Minutes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown."),
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown."),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = people
        self.fields["attendees"].label_from_instance = _person_label
        for field in self.fields.values():
            multiple = isinstance(field.widget, forms.SelectMultiple)
            field.widget.attrs.setdefault("class", "form-select" if multiple else "form-control")


class FollowUpActionForm(InvalidMarksMixin, forms.Form):
    """A follow-up action: what, who, by when."""

    description = forms.CharField(label=_("Action"), max_length=500)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs=DATE_WIDGET))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = _person_label
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")


class PrepareReviewForm(forms.Form):
    """An internal manager prepares the review of an engagement's last finished period now."""

    engagement = forms.ModelChoiceField(label=_("Engagement"), queryset=None)

    def __init__(self, *args, engagements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engagement"].queryset = engagements
        self.fields["engagement"].widget.attrs["class"] = "form-select form-select-sm"


def _person_label(user) -> str:
    name = user.get_full_name() or user.username
    profile = getattr(user, "profile", None)
    org = getattr(profile, "organization", None)
    return f"{name} · {org.name}" if org else name
