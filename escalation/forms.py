"""Forms of the escalation pages: shape and messages only. The rule's own validation (timed
triggers need minutes, at least one action…) is the model's, run by the service; the choices
(teams, engagements, people) come in already restricted to the person filling the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cogest.choices import FunctionalArea, SupportLevel, TicketType
from cogest.forms import StyledForm
from escalation.configuration import RULE_FIELDS, RULE_RELATIONS
from escalation.models.rules import PRIORITIES, NotifyRole, Trigger

CONDITION_FIELDS = (
    "ticket_types",
    "priorities",
    "functional_areas",
    "support_levels",
    "teams",
    "engagements",
    "ci_criticality_at_most",
)


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.organization.name})"


class TeamMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.organization.name})"


class PersonMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def _checkboxes(label, choices, **kwargs):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        **kwargs,
    )


class RuleConditionsForm(StyledForm):
    """Which tickets a rule is about (all conditions hold; an empty one matches anything)."""

    ticket_types = _checkboxes(_("Ticket types"), TicketType.choices)
    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"),
        choices=PRIORITIES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    functional_areas = _checkboxes(_("Functional areas"), FunctionalArea.choices)
    support_levels = _checkboxes(_("Support levels"), SupportLevel.choices)
    teams = TeamMultipleChoiceField(
        label=_("Held by one of these teams"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    engagements = forms.ModelMultipleChoiceField(
        label=_("Under one of these engagements"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    ci_criticality_at_most = forms.TypedChoiceField(
        label=_("Affecting a CI of criticality"),
        choices=[
            ("", _("any (no CI condition)")),
            (1, _("1 only")),
            (2, _("1 to 2")),
            (3, _("1 to 3")),
            (4, _("1 to 4")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("1 is the most critical."),
    )

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = choices["teams"]
        self.fields["engagements"].queryset = choices["engagements"]

    def conditions(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in CONDITION_FIELDS}


class RuleForm(RuleConditionsForm):
    """Every field of an escalation rule: when, for which tickets, what to do."""

    name = forms.CharField(label=_("Name"), max_length=120)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1_000_000,
        initial=100,
        help_text=_("Lower runs first."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    stop_processing = forms.BooleanField(
        label=_("Stop after this rule"),
        required=False,
        help_text=_("When it fires, later rules of the same trigger are not applied."),
    )
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Trigger.choices)
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=525_600,
        required=False,
        help_text=_("For “unassigned for”, “no update for” and “handoff not accepted within”."),
    )
    reassign_team = TeamChoiceField(
        label=_("Reassign to team"),
        queryset=None,
        required=False,
        empty_label=_("— no reassignment —"),
        help_text=_("Another organization's team: a handoff with a generated summary."),
    )
    reassign_level = forms.ChoiceField(
        label=_("Or escalate to the matrix's team at level"),
        choices=[("", _("— no functional escalation —")), *SupportLevel.choices],
        required=False,
        help_text=_("The responsibility matrix's team for the ticket's area at this level."),
    )
    raise_priority = forms.BooleanField(label=_("Raise the priority by one"), required=False)
    notify = _checkboxes(_("Notify"), NotifyRole.choices)
    post_to_channel = forms.BooleanField(
        label=_("Post to the team's channel"),
        required=False,
        help_text=_("The Slack or Teams incoming webhook of the ticket's team."),
    )
    activate_shadow = forms.ModelChoiceField(
        label=_("Activate shadow engagement"),
        queryset=None,
        required=False,
        empty_label=_("— none —"),
    )
    shadow_minutes = forms.IntegerField(
        label=_("Shadow activation lasts (minutes)"),
        min_value=1,
        max_value=525_600,
        initial=8 * 60,
    )
    add_watchers = PersonMultipleChoiceField(
        label=_("Add watchers"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    field_order = [
        "name",
        "trigger",
        "minutes",
        "position",
        "is_active",
        "stop_processing",
        *CONDITION_FIELDS,
    ]

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, choices=choices, **kwargs)
        self.fields["reassign_team"].queryset = choices["teams"]
        self.fields["activate_shadow"].queryset = choices["shadow_engagements"]
        self.fields["add_watchers"].queryset = choices["people"]

    @staticmethod
    def initial_for(rule) -> dict:
        """The form's values for an existing rule."""
        values = {name: getattr(rule, name) for name in RULE_FIELDS}
        for name in RULE_RELATIONS:
            values[name] = list(getattr(rule, name).all())
        return values

    def rule_data(self) -> dict:
        """The cleaned values, as ``rule_create`` / ``rule_update`` take them."""
        data = {name: self.cleaned_data.get(name) for name in (*RULE_FIELDS, *RULE_RELATIONS)}
        data["reassign_level"] = data["reassign_level"] or ""
        for name in ("ticket_types", "priorities", "functional_areas", "support_levels", "notify"):
            data[name] = list(data[name] or [])
        return data


class NotificationPreferencesForm(StyledForm):
    email_normal = forms.BooleanField(
        label=_("Email me normal notifications too"),
        required=False,
        help_text=_(
            "Urgent notifications (P1 tickets, SLA breaches) are always emailed; normal ones "
            "wait for your working hours."
        ),
    )
