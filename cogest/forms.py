"""Forms of the core's pages: shape and messages only; rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ShadowActivationForm(forms.Form):
    """A manager switches shadow support on by hand: until when, and why."""

    until = forms.DateTimeField(
        label=_("Active until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Service Desk team offsite")}),
    )


class AuditFilterForm(forms.Form):
    """Filters of the audit trail page."""

    q = forms.CharField(label=_("Search"), required=False)
    action = forms.CharField(label=_("Action"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
