"""Query-string filters every list shares (tickets, CIs, policies, rules...), API and pages alike.

Each parameter is validated: a bad value is a 400 (a form error on a page), never a silently
ignored parameter. Enumerations and ids take several values, repeated (``status=a&status=b``) or
comma-separated (``status=a,b``); a list longer than ``MAX_VALUES`` is an error, not a slow query.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1  # the largest key a database holds: a larger id matches nothing
MAX_VALUES = 100  # values per parameter: a longer list is an error, not a slow query


class MultiValueWidget(forms.SelectMultiple):
    """Values from repeated parameters and from comma-separated lists alike."""

    split = True

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        if getlist is not None:
            raw = getlist(name)
        else:
            value = data.get(name)
            raw = [] if value is None else value if isinstance(value, list | tuple) else [value]
        parts = (str(item).split(",") if self.split else [str(item)] for item in raw)
        return [part.strip() for items in parts for part in items if part.strip()]

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class RepeatedValueWidget(MultiValueWidget):
    """Values from repeated parameters only (each value may contain a comma)."""

    split = False


class LimitedMultipleChoiceField(forms.TypedMultipleChoiceField):
    widget = MultiValueWidget

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_VALUES:
            raise forms.ValidationError(
                _("At most %(n)s values."), code="max_values", params={"n": MAX_VALUES}
            )


class LimitedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Rows of a (restricted) queryset by id or slug: an unknown one is an error."""

    widget = MultiValueWidget

    def clean(self, value):
        if value and len(value) > MAX_VALUES:
            raise forms.ValidationError(
                _("At most %(n)s values."), code="max_values", params={"n": MAX_VALUES}
            )
        key = self.to_field_name or "pk"
        if key == "pk":
            for item in value or ():
                text = str(item)
                if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super().clean(value)


def no_nul(values: list[str]) -> None:
    """A NUL character is never in a name or a value (and PostgreSQL refuses it in a query)."""
    for text in values:
        ProhibitNullCharactersValidator()(text)


class TextListField(forms.Field):
    """One or more short texts (a site's name)."""

    widget = MultiValueWidget
    max_length = 80

    def to_python(self, value):
        values = [str(v) for v in value or []]
        no_nul(values)
        if len(values) > MAX_VALUES:
            raise forms.ValidationError(
                _("At most %(n)s values."), code="max_values", params={"n": MAX_VALUES}
            )
        if any(len(v) > self.max_length for v in values):
            raise forms.ValidationError(
                _("Each value has at most %(n)s characters."),
                code="max_length",
                params={"n": self.max_length},
            )
        return values


class IdListField(forms.Field):
    """One or more positive ids."""

    widget = MultiValueWidget
    default_error_messages = {
        "invalid": _("Enter ids (whole numbers), separated by commas."),
        "max_values": _("At most %(n)s values."),
    }

    def to_python(self, value):
        ids = []
        for item in value or []:
            if not item.isascii() or not item.isdigit():
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(item))
        if len(ids) > MAX_VALUES:
            raise forms.ValidationError(
                self.error_messages["max_values"], code="max_values", params={"n": MAX_VALUES}
            )
        return [pk for pk in ids if pk <= MAX_ID]


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is an error, not "no filter"."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Use true or false.")}
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        value = (value or "").strip().lower()
        if not value:
            return None
        if value not in self.VALUES:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return self.VALUES[value]


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class ChoicesFilter(django_filters.Filter):
    """One or more values of an enumeration, matched with ``IN``."""

    field_class = LimitedMultipleChoiceField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TextsFilter(django_filters.Filter):
    field_class = TextListField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class IdsFilter(django_filters.Filter):
    field_class = IdListField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class VisibleRowsFilter(django_filters.ModelMultipleChoiceFilter):
    """Ids of rows the caller may see (an organization, a team); another id is a 400."""

    field_class = LimitedModelMultipleChoiceField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": [row.pk for row in value]})


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField
