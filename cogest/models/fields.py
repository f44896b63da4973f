"""A JSON list of choices: sets of areas or levels that work on SQLite and PostgreSQL alike."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChoiceListField(models.JSONField):
    """A list of distinct values from ``choices``, stored as JSON and edited as checkboxes."""

    def __init__(self, *args, item_choices=None, **kwargs):
        self.item_choices = item_choices
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["item_choices"] = self.item_choices
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, list):
            raise ValidationError(_("Expected a list."), code="invalid")
        allowed = {key for key, _label in self.item_choices or []}
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(
                _("Unknown values: %(values)s."),
                code="invalid_choice",
                params={"values": ", ".join(map(str, unknown))},
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("Each value may appear once."), code="duplicate")

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=self.item_choices or [],
            required=not self.blank,
            widget=forms.CheckboxSelectMultiple,
            label=self.verbose_name.capitalize() if self.verbose_name else None,
            help_text=self.help_text,
        )

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname) or []
        order = [key for key, _label in self.item_choices or []]
        ordered = sorted(set(value), key=lambda v: order.index(v) if v in order else len(order))
        setattr(model_instance, self.attname, ordered)
        return ordered
