"""The CMDB forms on their own: one field per schema property (type, enum, bounds, pattern,
title, required), attribute values typed and checked with the schema's messages, the CI form's
choices as the user may see them, proposals, and the relation form's choice of the other CI."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from cmdb.forms import ATTR_PREFIX, AttributeFieldsForm, CIForm, RelationForm, attribute_fields
from cmdb.models import CIClass, ConfigurationItem
from cmdb.services import ci_create

SCHEMA = {
    "properties": {
        "ports": {"type": "integer", "title": "Ports", "minimum": 1, "maximum": 512},
        "load": {"type": "number", "description": "Average load", "maximum": 1.5},
        "os": {"type": "string", "title": "Operating system", "enum": ["ios", "nxos"]},
        "vlan": {"type": "integer", "enum": [10, 20]},
        "mgmt_ip": {"type": "string", "pattern": r"^\d+\.\d+\.\d+\.\d+$", "maxLength": 15},
        "poe": {"type": "boolean", "title": "PoE", "default": True},
    },
    "required": ["ports", "os"],
}


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def switch(db) -> CIClass:
    return CIClass.objects.create(
        name="Switch", slug="switch", functional_area="networks", attribute_schema=SCHEMA
    )


@pytest.fixture
def plain(db) -> CIClass:
    return CIClass.objects.create(name="Application", slug="app-t", functional_area="applications")


def ci_data(ci_class, **extra) -> dict:
    return {"name": "SW-01", "ci_class": ci_class.pk, "status": "active", "criticality": "3",
            **extra}  # fmt: skip


# --- Attribute fields ---------------------------------------------------------------------------


def test_one_field_per_schema_property_in_the_schemas_order():
    fields = attribute_fields(SCHEMA)
    assert list(fields) == [f"{ATTR_PREFIX}{n}" for n in SCHEMA["properties"]]


def test_field_kinds_follow_the_property_types():
    fields = attribute_fields(SCHEMA)
    ports, load = fields["attr_ports"], fields["attr_load"]
    assert isinstance(ports.widget, forms.NumberInput)
    assert {k: ports.widget.attrs[k] for k in ("min", "max", "step")} == {
        "min": "1",
        "max": "512",
        "step": "1",
    }
    assert load.widget.attrs["step"] == "any" and load.widget.attrs["max"] == "1.5"
    os_field = fields["attr_os"]
    assert isinstance(os_field.widget, forms.Select)
    assert [value for value, _ in os_field.choices] == ["", "ios", "nxos"]
    assert [value for value, _ in fields["attr_vlan"].choices] == ["", "10", "20"]
    assert [value for value, _ in fields["attr_poe"].choices] == ["", "true", "false"]
    ip = fields["attr_mgmt_ip"]
    assert ip.widget.attrs["pattern"] == r"^\d+\.\d+\.\d+\.\d+$"
    assert ip.widget.attrs["maxlength"] == "15"


def test_labels_come_from_titles_and_help_from_descriptions():
    fields = attribute_fields(SCHEMA)
    assert fields["attr_ports"].label == "Ports"
    assert fields["attr_mgmt_ip"].label == "Mgmt ip"  # no title: the name, readable
    assert fields["attr_load"].help_text == "Average load"


def test_required_properties_are_marked_and_checked_by_the_schema():
    fields = attribute_fields(SCHEMA)
    assert fields["attr_ports"].schema_required and fields["attr_os"].schema_required
    assert not fields["attr_load"].schema_required
    # the form level accepts empty input: the schema's message names the problem
    assert not any(f.required for f in fields.values())
    assert fields["attr_ports"].widget.attrs["aria-required"] == "true"


def test_attribute_fields_form_renders_the_values_given():
    form = AttributeFieldsForm(schema=SCHEMA, initial={"attr_os": "nxos", "attr_ports": "8"})
    html = "".join(str(bf) for bf in form.attribute_fields)
    assert '<option value="nxos" selected>' in html
    assert 'value="8"' in html


# --- The CI form --------------------------------------------------------------------------------


def test_valid_values_are_typed_for_the_service(users, demo, switch):
    # when
    form = CIForm(
        ci_data(switch, attr_ports="48", attr_load="0.75", attr_os="ios", attr_vlan="20",
                attr_poe="false", attr_mgmt_ip=" ", managed_by=demo.organizations["acme"].pk),
        user=users["ivan"],
    )  # fmt: skip
    # then
    assert form.is_valid(), form.errors
    values = form.service_values()
    assert values["attributes"] == {"ports": 48, "load": 0.75, "os": "ios", "vlan": 20,
                                    "poe": False}  # fmt: skip
    assert values["managed_by"] == demo.organizations["acme"]
    assert values["criticality"] == 3 and values["ci_class"] == switch


OK = {"attr_ports": "8", "attr_os": "ios"}


@pytest.mark.parametrize(
    ("attrs", "field", "message"),
    [
        ({**OK, "attr_ports": "many"}, "attr_ports", "Expected a value of type integer."),
        ({**OK, "attr_ports": "0"}, "attr_ports", "Must be at least 1."),
        ({**OK, "attr_ports": "513"}, "attr_ports", "Must be at most 512."),
        ({"attr_ports": "8"}, "attr_os", "This attribute is required."),
        ({**OK, "attr_os": "junos"}, "attr_os", "Select a valid choice"),
        ({**OK, "attr_load": "2"}, "attr_load", "Must be at most 1.5."),
        ({**OK, "attr_mgmt_ip": "ten"}, "attr_mgmt_ip", "Does not match the expected format"),
        ({**OK, "attr_mgmt_ip": "1111.1111.1111.1"}, "attr_mgmt_ip", "At most 15 characters."),
    ],
)
def test_each_bad_attribute_is_an_error_on_its_own_field(
    attrs, field, message, users, demo, switch
):
    form = CIForm(
        ci_data(switch, managed_by=demo.organizations["internal"].pk, **attrs), user=users["ivan"]
    )
    assert not form.is_valid()
    assert any(message in error for error in form.errors[field]), form.errors
    assert "is-invalid" in form.fields[field].widget.attrs["class"]
    assert set(form.errors) == {field}


def test_a_bound_form_draws_the_attributes_of_the_class_chosen(users, demo, switch, plain):
    form = CIForm(ci_data(plain, managed_by=demo.organizations["internal"].pk), user=users["ivan"])
    assert form.attribute_fields == []
    assert form.is_valid(), form.errors
    assert form.service_values()["attributes"] == {}


def test_an_unknown_class_is_an_error_and_draws_no_attributes(users, demo):
    form = CIForm(
        {"name": "X", "ci_class": "99999", "status": "active", "criticality": "3",
         "managed_by": demo.organizations["internal"].pk},
        user=users["ivan"],
    )  # fmt: skip
    assert not form.is_valid()
    assert "ci_class" in form.errors and form.attribute_fields == []


def test_a_new_ci_starts_from_the_schemas_defaults_and_the_internal_organization(users, switch):
    form = CIForm(user=users["ivan"])
    assert form.initial["managed_by"] == users["ivan"].profile.organization_id
    assert "reason" not in form.fields and "version" not in form.fields
    assert form.selected_class is None


def test_a_providers_form_has_no_managing_organization(users, demo, switch):
    form = CIForm(ci_data(switch, attr_ports="8", attr_os="ios"), user=users["pablo"])
    assert "managed_by" not in form.fields
    assert form.is_valid(), form.errors
    assert form.service_values()["managed_by"] == demo.organizations["acme"].pk


def test_choices_are_what_the_user_may_see(users, demo, switch):
    pablo = CIForm(user=users["pablo"])
    teams = {t.organization.slug for t in pablo.fields["owner_team"].queryset}
    people = {u.profile.organization.slug for u in pablo.fields["provider_owner"].queryset}
    assert teams == {"internal", "acme"}
    assert people == {"acme"}
    ivan = CIForm(user=users["ivan"])
    assert {u.username for u in ivan.fields["internal_owner"].queryset} >= {"ivan", "ana", "marta"}
    assert "rita" not in {u.username for u in ivan.fields["internal_owner"].queryset}
    assert "shadow" in {o.slug for o in ivan.fields["managed_by"].queryset}


def test_edit_form_carries_the_cis_values_and_version(users, demo, switch):
    ci = ci_create(by=users["ivan"], name="SW-02", ci_class=switch,
                   managed_by=demo.organizations["acme"],
                   attributes={"ports": 24, "os": "nxos", "poe": True})  # fmt: skip
    form = CIForm(user=users["ivan"], ci=ci)
    assert form.initial["version"] == 1
    assert form.fields["version"].required
    assert form.initial["attr_ports"] == "24" and form.initial["attr_poe"] == "true"
    assert form.initial["attr_os"] == "nxos"


def test_a_proposal_needs_its_reason(users, demo, switch):
    ci = ci_create(by=users["ivan"], name="SW-03", ci_class=switch,
                   managed_by=demo.organizations["internal"],
                   attributes={"ports": 24, "os": "ios"})  # fmt: skip
    data = ci_data(switch, attr_ports="24", attr_os="ios", version="1", site="Getafe")
    form = CIForm(data, user=users["pablo"], ci=ci, proposal=True)
    assert not form.is_valid()
    assert form.errors["reason"] == ["Say why you propose this change."]
    ok = CIForm({**data, "reason": "Moved"}, user=users["pablo"], ci=ci, proposal=True)
    assert ok.is_valid(), ok.errors


def test_another_providers_team_is_kept_not_cleared(users, demo, switch):
    # given an internal switch owned by Shadow's desk, which Acme may not see
    ci = ci_create(by=users["ivan"], name="SW-04", ci_class=switch,
                   managed_by=demo.organizations["internal"],
                   owner_team=demo.teams["shadow-desk"],
                   attributes={"ports": 24, "os": "ios"})  # fmt: skip
    # when pablo's form posts without it
    form = CIForm(
        ci_data(switch, attr_ports="24", attr_os="ios", version="1", reason="x"),
        user=users["pablo"],
        ci=ci,
        proposal=True,
    )
    # then the field is left out, so the proposal does not touch it
    assert "owner_team" not in form.fields
    assert form.kept == ["Owner team"]
    assert form.is_valid(), form.errors
    assert "owner_team" not in form.service_values()


# --- The relation form --------------------------------------------------------------------------


@pytest.fixture
def cis(users, demo, switch, plain):
    make = lambda name, tag, org: ci_create(  # noqa: E731
        by=users["ivan"], name=name, ci_class=plain, managed_by=demo.organizations[org],
        asset_tag=tag,
    )  # fmt: skip
    return {
        "a": make("Alpha", "TAG-A", "internal"),
        "b": make("Beta", "TAG-B", "acme"),
        "twin1": make("Twin", "", "internal"),
        "twin2": make("Twin", "", "internal"),
    }


def relation_form(user, **data):
    visible = ConfigurationItem.objects.restrict(user, "view")
    return RelationForm({"direction": "outgoing", "type": "depends_on", **data}, cis=visible)


def test_the_other_ci_by_picked_id_asset_tag_or_exact_name(users, cis):
    ivan = users["ivan"]
    by_id = relation_form(ivan, target=str(cis["b"].pk))
    by_tag = relation_form(ivan, target_search="tag-b")
    by_name = relation_form(ivan, target_search="beta")
    for form in (by_id, by_tag, by_name):
        assert form.is_valid(), form.errors
        assert form.cleaned_data["target"] == cis["b"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target_search": "Twin"}, "Several CIs have this name"),
        ({"target_search": "Gamma"}, "No CI you can see has this name or asset tag."),
        ({"target": "abc"}, "Unknown configuration item."),
        ({}, "Choose the other CI."),
    ],
)
def test_the_other_ci_must_be_one_and_known(data, message, users, cis):
    form = relation_form(users["ivan"], **data)
    assert not form.is_valid()
    assert any(message in e for e in form.errors["target_search"])


def test_a_ci_the_user_may_not_see_is_unknown(users, cis):
    # Alpha is internal and of no Acme area: pablo may not pick it, even by id
    form = relation_form(users["pablo"], target=str(cis["a"].pk))
    assert not form.is_valid()
    assert form.errors["target_search"] == ["Unknown configuration item."]
    assert not relation_form(users["pablo"], target_search="TAG-A").is_valid()
