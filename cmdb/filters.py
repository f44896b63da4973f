"""CI-list filters (SPEC 5 and issue #5), shared by the API (``/api/v1/cis/``) and the CMDB pages.

Every parameter is validated: an unknown status, class or organization, a malformed attribute
condition or an unknown ordering is a 400 (a form error on a page), never a silently ignored
parameter. Enumerations and ids take several values, repeated (``status=active&status=planned``)
or comma-separated (``status=active,planned``). ``attribute`` is repeated only (a value may hold
a comma): ``attribute=os:linux&attribute=ram_gb:16``.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, Environment, RelationType
from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cogest.choices import FunctionalArea
from cogest.filters import (
    ChoicesFilter,
    IdsFilter,
    RepeatedValueWidget,
    StrictBooleanFilter,
    TextsFilter,
    VisibleRowsFilter,
    no_nul,
)
from cogest.models import Organization, Team

MAX_ATTRIBUTE_CONDITIONS = 10
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
# Parameter → model field of ``ordering``.
SORTABLE = {
    "name": "name",
    "criticality": "criticality",
    "status": "status",
    "site": "site",
    "environment": "environment",
    "updated_at": "updated_at",
    "ci_class": "ci_class__name",
}


class AttributeConditionField(forms.Field):
    """``name:value`` conditions on the CI's attributes (``name`` as in the class schema)."""

    widget = RepeatedValueWidget
    default_error_messages = {
        "invalid": _("Write attribute conditions as name:value (for example os:linux)."),
        "name": _("“%(name)s” is not an attribute name (lowercase letters, digits and _)."),
        "too_many": _("At most %(n)s attribute conditions."),
        "too_long": _("An attribute value has at most 200 characters."),
    }

    def to_python(self, value):
        no_nul(value or [])
        conditions = []
        for item in value or []:
            name, sep, text = item.partition(":")
            name, text = name.strip(), text.strip()
            if not sep:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if not ATTRIBUTE_NAME.fullmatch(name):
                raise forms.ValidationError(
                    self.error_messages["name"], code="name", params={"name": name[:60]}
                )
            if len(text) > 200:
                raise forms.ValidationError(self.error_messages["too_long"], code="too_long")
            conditions.append((name, text))
        if len(conditions) > MAX_ATTRIBUTE_CONDITIONS:
            raise forms.ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"n": MAX_ATTRIBUTE_CONDITIONS},
            )
        return conditions


def _typed(text: str) -> list:
    """The JSON values a query-string text may also stand for: a number or a boolean."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return [lowered == "true"]
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if number == number and abs(number) != float("inf"):  # not NaN, not infinite
            return [number]
    return []


def filter_by_attributes(queryset, conditions: list[tuple[str, str]]):
    """CIs whose attribute ``name`` equals each condition's value: as text, case-insensitive
    (``os:Linux`` finds ``"linux"``), or as the number or boolean the text spells (``ram_gb:16``
    finds ``16``, ``backup:true`` finds ``true``); ``name:`` finds CIs without it. Every
    condition must hold."""
    for index, (name, text) in enumerate(conditions):
        key, as_text = f"_attr{index}", f"_attr{index}_text"
        # Aliases of the key, never ``attributes__<name>``: a name like "contains" would be read
        # as a lookup.
        queryset = queryset.alias(
            **{key: KeyTransform(name, "attributes"), as_text: KeyTextTransform(name, "attributes")}
        )
        if not text:  # "name:" is an attribute that is not set: absent, null or empty
            queryset = queryset.filter(
                Q(**{f"{key}__isnull": True}) | Q(**{key: None}) | Q(**{f"{as_text}__iexact": ""})
            )
            continue
        rule = Q(**{f"{as_text}__iexact": text})
        for value in _typed(text):
            rule |= Q(**{key: value})
        queryset = queryset.filter(rule)
    return queryset


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class ClassFilter(VisibleRowsFilter):
    """Class slugs."""


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,49}:.*$"},
        "description": _("Attribute conditions name:value, repeated; all must hold."),
    }
)
class AttributeFilter(django_filters.Filter):
    field_class = AttributeConditionField

    def filter(self, qs, value):
        if not value:
            return qs
        return filter_by_attributes(qs, value)


class CIOrderingFilter(django_filters.OrderingFilter):
    """Ordering with the id as tie-breaker, so pages never repeat or skip a CI."""

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param]
        if not ordering:
            return qs
        last = ordering[-1].lstrip("-")
        if last != "id":
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return qs.order_by(*ordering)


def _classes(request):
    # Not the schemas: a filter needs the slug, a page's menu the name.
    classes = CIClass.objects.restrict(getattr(request, "user", None), "view")
    return classes.defer("attribute_schema", "description")


def _organizations(request):
    return Organization.objects.restrict(getattr(request, "user", None), "view")


def _teams(request):
    return Team.objects.restrict(getattr(request, "user", None), "view")


class CIFilterSet(django_filters.FilterSet):
    """Filters of the CI list: class, status, environment, site, managing organization, owner
    team, criticality, functional area, business services, attribute values, ids and search."""

    ci_class = ClassFilter(
        field_name="ci_class",
        to_field_name="slug",
        queryset=_classes,
        label=_("Class"),
        help_text=_("One or more class slugs: ci_class=server,virtual_machine."),
    )
    status = ChoicesFilter(
        choices=CIStatus.choices, label=_("Status"), help_text=_("One or more statuses.")
    )
    environment = ChoicesFilter(
        choices=Environment.choices,
        label=_("Environment"),
        help_text=_("One or more environments."),
    )
    site = TextsFilter(label=_("Site"), help_text=_("One or more sites (exact names)."))
    managed_by = VisibleRowsFilter(
        field_name="managed_by",
        queryset=_organizations,
        label=_("Managed by"),
        help_text=_("Ids of the managing organizations."),
    )
    owner_team = VisibleRowsFilter(
        field_name="owner_team",
        queryset=_teams,
        label=_("Owner team"),
        help_text=_("Ids of the owner teams."),
    )
    criticality = ChoicesFilter(
        choices=CRITICALITY_CHOICES,
        coerce=int,
        label=_("Criticality"),
        help_text=_("One or more criticalities (1 critical … 4 low)."),
    )
    functional_area = ChoicesFilter(
        field_name="ci_class__functional_area",
        choices=FunctionalArea.choices,
        label=_("Functional area"),
        help_text=_("CIs whose class belongs to one of these functional areas."),
    )
    service = StrictBooleanFilter(
        field_name="ci_class__is_service",
        label=_("Business services"),
        help_text=_("true: business services only; false: everything else."),
    )
    attribute = AttributeFilter(
        label=_("Attribute"),
        help_text=_(
            "name:value, repeated for several conditions (all must hold). Text matches "
            "ignoring case; a number or true/false also matches that typed value."
        ),
    )
    id = IdsFilter(field_name="pk", label=_("Ids"), help_text=_("CI ids (a picker's selection)."))
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        label=_("Search"),
        help_text=_("Text in the name, asset tag or serial number."),
    )
    ordering = CIOrderingFilter(
        fields=tuple((field, name) for name, field in SORTABLE.items()),
        label=_("Order by"),
        help_text=_(
            "name, criticality, status, site, environment, updated_at or ci_class (the class "
            "name); '-' for descending (the id breaks ties)."
        ),
    )

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class CIRelationFilterSet(django_filters.FilterSet):
    """Filters of the relation list: either end, the source, the target, the type."""

    ci = IdsFilter(
        method="filter_ci", label=_("CI"), help_text=_("Relations from or to these CIs.")
    )
    source = IdsFilter(field_name="source_id", label=_("Source"), help_text=_("Source CI ids."))
    target = IdsFilter(field_name="target_id", label=_("Target"), help_text=_("Target CI ids."))
    type = ChoicesFilter(
        choices=RelationType.choices, label=_("Type"), help_text=_("One or more relation types.")
    )

    class Meta:
        model = CIRelation
        fields: list[str] = []

    def filter_ci(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(Q(source_id__in=value) | Q(target_id__in=value))
