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


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on the fields that have errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            style(field)

    def full_clean(self):
        super().full_clean()
        self._flag_invalid()

    def add_error(self, field, error):
        super().add_error(field, error)
        self._flag_invalid()

    def _flag_invalid(self):
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                widget.attrs["aria-invalid"] = "true"


def style(field: forms.Field) -> forms.Field:
    """Bootstrap's classes on a field's widget (once, whatever else the widget carries)."""
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select form-select-sm"
    else:
        css = "form-control form-control-sm"
    if css not in widget.attrs.get("class", ""):
        widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()
    return field
