"""Forms of the CMDB pages: a CI (its fields and its class's attributes, one field per schema
property) and a relation. Forms check shape; the services in ``cmdb.services`` decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, Environment, RelationType
from cmdb.models import CIClass, ConfigurationItem
from cmdb.schema import attribute_errors, coerce_text
from cogest.forms import StyledForm, style
from cogest.models import Organization, Team, UserProfile
from cogest.querysets import viewer_for

#: Attribute fields are named ``attr_<property>``: they never collide with a CI field.
ATTR_PREFIX = "attr_"

STALE_MESSAGE = gettext_lazy(
    "Someone changed this CI while you were editing it. Reload the page to see their change, "
    "then edit again."
)


# --- Attributes: one field per schema property ---------------------------------------------------


def _as_text(value) -> str:
    """An attribute value as the text a form field holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def attribute_field(name: str, spec: dict, *, required: bool) -> forms.Field:
    """The form field of one schema property: its type, enum, bounds, pattern and title.

    Every field accepts empty input at the form level: the schema says what is required, so
    the message is the same as the API's ("This attribute is required.")."""
    label = spec.get("title") or name.replace("_", " ").capitalize()
    help_text = spec.get("description", "")
    kind = spec.get("type")
    attrs: dict[str, str] = {}
    if required:
        attrs["aria-required"] = "true"
    if "enum" in spec:
        choices = [("", "—"), *[(_as_text(v), _as_text(v)) for v in spec["enum"]]]
        field = forms.ChoiceField(choices=choices, widget=forms.Select(attrs=attrs))
    elif kind == "boolean":
        choices = [("", "—"), ("true", _("Yes")), ("false", _("No"))]
        field = forms.ChoiceField(choices=choices, widget=forms.Select(attrs=attrs))
    elif kind in ("integer", "number"):
        attrs["step"] = "1" if kind == "integer" else "any"
        attrs["inputmode"] = "numeric" if kind == "integer" else "decimal"
        for bound, attr in (("minimum", "min"), ("maximum", "max")):
            if bound in spec:
                attrs[attr] = str(spec[bound])
        field = forms.CharField(widget=forms.NumberInput(attrs=attrs))
    else:
        for bound, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if bound in spec:
                attrs[attr] = str(spec[bound])
        if "pattern" in spec:
            attrs["pattern"] = spec["pattern"]
        field = forms.CharField(widget=forms.TextInput(attrs=attrs), strip=True)
    field.required = False
    field.label, field.help_text = label, help_text
    field.schema_required = required
    return style(field)


def attribute_fields(schema: dict) -> dict[str, forms.Field]:
    """``attr_<name>`` → field, in the schema's order of properties."""
    schema = schema or {}
    required = set(schema.get("required", []))
    return {
        f"{ATTR_PREFIX}{name}": attribute_field(name, spec or {}, required=name in required)
        for name, spec in (schema.get("properties") or {}).items()
    }


def attribute_initial(schema: dict, attributes: dict | None, *, defaults: bool) -> dict:
    """Initial texts of the attribute fields: the CI's values, or the schema's defaults."""
    attributes = attributes or {}
    initial = {}
    for name, spec in ((schema or {}).get("properties") or {}).items():
        if name in attributes:
            initial[f"{ATTR_PREFIX}{name}"] = _as_text(attributes[name])
        elif defaults and "default" in (spec or {}):
            initial[f"{ATTR_PREFIX}{name}"] = _as_text(spec["default"])
    return initial


class AttributeFieldsForm(StyledForm):
    """The attribute fields alone: what htmx swaps in when the class of a CI form changes."""

    def __init__(self, *args, schema: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(attribute_fields(schema))

    @property
    def attribute_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]


# --- A configuration item -----------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name() or obj.get_username()
        profile = getattr(obj, "profile", None)
        return f"{name} ({profile.organization.name})" if profile else name


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.organization.name})"


class CIForm(StyledForm):
    """Create or edit a CI: its fields, then one field per attribute of its class.

    ``user`` decides every choice list (restricted reads). A provider's people never choose the
    managing organization: a CI they create is their organization's, and only the internal team
    hands a CI to another organization. ``proposal`` turns the form into a change proposal for
    review, whose reason is required."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    ci_class = forms.ModelChoiceField(
        label=gettext_lazy("Class"),
        queryset=CIClass.objects.none(),
        empty_label=gettext_lazy("Choose a class…"),
        error_messages={"required": gettext_lazy("Choose a class.")},
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=CIStatus.choices, initial=CIStatus.ACTIVE
    )
    environment = forms.ChoiceField(
        label=gettext_lazy("Environment"),
        choices=[("", "—"), *Environment.choices],
        required=False,
    )
    site = forms.CharField(label=gettext_lazy("Site"), max_length=80, required=False)
    criticality = forms.TypedChoiceField(
        label=gettext_lazy("Criticality"), choices=CRITICALITY_CHOICES, coerce=int, initial=3
    )
    managed_by = forms.ModelChoiceField(
        label=gettext_lazy("Managed by"),
        queryset=Organization.objects.none(),
        empty_label=gettext_lazy("Choose an organization…"),
        error_messages={"required": gettext_lazy("Say which organization manages it.")},
    )
    owner_team = TeamChoiceField(
        label=gettext_lazy("Owner team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label="—",
    )
    internal_owner = PersonChoiceField(
        label=gettext_lazy("Internal technical owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="—",
    )
    provider_owner = PersonChoiceField(
        label=gettext_lazy("Provider technical owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy("Someone of the organization that manages the CI."),
    )
    asset_tag = forms.CharField(label=gettext_lazy("Asset tag"), max_length=60, required=False)
    serial = forms.CharField(label=gettext_lazy("Serial number"), max_length=80, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Markdown: **bold**, `code`, lists, links."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Note for the history"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self, data=None, *, user, ci: ConfigurationItem | None = None, proposal: bool = False
    ):
        self.user, self.ci, self.proposal = user, ci, proposal
        viewer = viewer_for(user)
        self.provider = viewer.is_provider
        initial = {}
        if ci is not None:
            initial = {
                "name": ci.name,
                "ci_class": ci.ci_class_id,
                "status": ci.status,
                "environment": ci.environment,
                "site": ci.site,
                "criticality": ci.criticality,
                "managed_by": ci.managed_by_id,
                "owner_team": ci.owner_team_id,
                "internal_owner": ci.internal_owner_id,
                "provider_owner": ci.provider_owner_id,
                "asset_tag": ci.asset_tag,
                "serial": ci.serial,
                "description": ci.description,
                "version": ci.version,
            }
        elif not self.provider:
            internal = Organization.objects.restrict(user, "view").filter(kind="internal")
            initial["managed_by"] = internal.values_list("pk", flat=True).first()
        super().__init__(data, initial=initial)
        self.fields["ci_class"].queryset = CIClass.objects.restrict(user, "view")
        self.fields["managed_by"].queryset = Organization.objects.restrict(user, "view")
        self.fields["owner_team"].queryset = (
            Team.objects.restrict(user, "view")
            .filter(is_active=True)
            .select_related("organization")
            .order_by("organization__kind", "organization__name", "name")
        )
        people = UserProfile.objects.restrict(user, "view").exclude(role="requester")
        users = (
            get_user_model().objects.filter(is_active=True).select_related("profile__organization")
        )
        self.fields["internal_owner"].queryset = users.filter(
            profile__in=people.filter(organization__kind="internal")
        ).order_by("first_name", "last_name", "username")
        self.fields["provider_owner"].queryset = users.filter(
            profile__in=people.filter(organization__kind="provider")
        ).order_by("profile__organization__name", "first_name", "last_name", "username")
        if self.provider:
            # A provider's CI is its own organization's; the service enforces it too.
            del self.fields["managed_by"]
        if ci is None:
            # ``ci_create`` records the new CI itself; there is no change to explain.
            del self.fields["version"], self.fields["reason"]
        else:
            self.fields["version"].required = True
        if proposal:
            reason = self.fields["reason"]
            reason.required = True
            reason.label = _("Why this change")
            reason.help_text = _("The internal owner reads this when deciding on the proposal.")
            reason.error_messages["required"] = _("Say why you propose this change.")
        self.kept = self._keep_hidden_references()
        self.schema = self._schema()
        self.fields.update(attribute_fields(self.schema))
        if ci is not None:
            self.initial.update(attribute_initial(self.schema, ci.attributes, defaults=False))
        else:
            self.initial.update(attribute_initial(self.schema, {}, defaults=True))

    def _keep_hidden_references(self) -> list[str]:
        """A team or person of another organization, which this user may not see, stays as it
        is: its field is left out (it would otherwise be cleared), and the page says so."""
        kept = []
        if self.ci is None:
            return kept
        for name in ("owner_team", "internal_owner", "provider_owner"):
            current = getattr(self.ci, f"{name}_id")
            field = self.fields[name]
            if current is not None and not field.queryset.filter(pk=current).exists():
                kept.append(str(field.label))
                del self.fields[name]
        return kept

    def _class_in_data(self) -> int | None:
        raw = self.data.get("ci_class") if self.is_bound else None
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            return None

    def _schema(self) -> dict:
        """The schema of the class chosen in the data (bound), else the CI's class."""
        if self.is_bound:
            pk = self._class_in_data()
        else:
            pk = self.ci.ci_class_id if self.ci is not None else None
        self.selected_class = None
        if pk is None:
            return {}
        self.selected_class = self.fields["ci_class"].queryset.filter(pk=pk).first()
        return self.selected_class.attribute_schema if self.selected_class else {}

    @property
    def attribute_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]

    @property
    def main_fields(self) -> list:
        return [
            self[name]
            for name in self.fields
            if not name.startswith(ATTR_PREFIX) and name not in ("version", "reason")
        ]

    def clean(self):
        cleaned = super().clean()
        attributes = {}
        for name in self.schema.get("properties") or {}:
            key = f"{ATTR_PREFIX}{name}"
            if key in self.errors:
                continue
            value = coerce_text(self.schema, name, cleaned.get(key))
            if value is not None:
                attributes[name] = value
        if self.selected_class is not None:
            for name, messages in attribute_errors(self.schema, attributes).items():
                key = f"{ATTR_PREFIX}{name}"
                if key in self.fields:
                    if key not in self.errors:
                        self.add_error(key, messages)
                else:
                    self.add_error(None, [f"{name}: {m}" if name else m for m in messages])
        cleaned["attributes"] = attributes
        return cleaned

    def service_values(self) -> dict:
        """The cleaned values as ``ci_create`` / ``ci_update`` take them."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "ci_class": data["ci_class"],
            "status": data["status"],
            "environment": data["environment"] or "",
            "site": data["site"],
            "criticality": data["criticality"],
            "asset_tag": data["asset_tag"],
            "serial": data["serial"],
            "description": data["description"],
            "attributes": data["attributes"],
        }
        for name in ("owner_team", "internal_owner", "provider_owner"):
            if name in self.fields:
                values[name] = data[name]
        if "managed_by" in self.fields:
            values["managed_by"] = data["managed_by"]
        elif self.ci is None:
            values["managed_by"] = viewer_for(self.user).organization_id
        return values


# --- A relation ----------------------------------------------------------------------------------


class RelationForm(StyledForm):
    """Relate the page's CI to another one the user sees, picked by search (the picker fills
    ``target`` with its id) or typed as an exact asset tag or name."""

    OUTGOING, INCOMING = "outgoing", "incoming"

    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"),
        choices=[
            (OUTGOING, gettext_lazy("This CI …")),
            (INCOMING, gettext_lazy("… this CI")),
        ],
        initial=OUTGOING,
    )
    type = forms.ChoiceField(label=gettext_lazy("Relation"), choices=RelationType.choices)
    target = forms.CharField(required=False, widget=forms.HiddenInput)
    target_search = forms.CharField(
        label=gettext_lazy("Other CI"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, data=None, *, cis, **kwargs):
        """``cis``: the configuration items the user sees (``restrict(user, "view")``)."""
        super().__init__(data, **kwargs)
        self.cis = cis
        self.fields["target_search"].widget.attrs["placeholder"] = _("Name or asset tag…")

    def clean(self):
        cleaned = super().clean()
        raw = (cleaned.get("target") or "").strip()
        text = (cleaned.get("target_search") or "").strip()
        target = None
        if raw:
            if raw.isascii() and raw.isdigit():
                target = self.cis.filter(pk=int(raw)).first()
            if target is None:
                self.add_error("target_search", _("Unknown configuration item."))
                return cleaned
        elif text:
            matches = list(self.cis.filter(asset_tag__iexact=text)[:2]) or list(
                self.cis.filter(name__iexact=text)[:2]
            )
            if len(matches) == 1:
                target = matches[0]
            elif matches:
                self.add_error(
                    "target_search",
                    _("Several CIs have this name: pick one from the suggestions."),
                )
                return cleaned
            else:
                self.add_error("target_search", _("No CI you can see has this name or asset tag."))
                return cleaned
        else:
            self.add_error("target_search", _("Choose the other CI."))
            return cleaned
        cleaned["target"] = target
        return cleaned
