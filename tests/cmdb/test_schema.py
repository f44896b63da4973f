"""CI class attribute schemas (SPEC 2.3): the JSON Schema subset, each rule good and bad, and
class schemas outside the subset refused with a message per problem."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cmdb.schema import attribute_errors, check_schema, coerce_text, validate_attributes

SCHEMA = check_schema(
    {
        "properties": {
            "os": {"type": "string", "enum": ["linux", "windows"]},
            "ram_gb": {"type": "integer", "minimum": 1, "maximum": 4096},
            "load": {"type": "number", "minimum": 0, "maximum": 1.5},
            "virtual": {"type": "boolean"},
            "hostname": {"type": "string", "minLength": 3, "maxLength": 12},
            "ip": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+){3}$"},
        },
        "required": ["os"],
    }
)


@pytest.mark.parametrize(
    "attributes",
    [
        {"os": "linux"},
        {"os": "windows", "ram_gb": 1, "load": 0, "virtual": False},
        {"os": "linux", "ram_gb": 4096, "load": 1.5, "virtual": True},
        {"os": "linux", "load": 1, "hostname": "abc", "ip": "10.0.0.1"},
        {"os": "linux", "hostname": "abcdefghijkl"},
    ],
)
def test_valid_attributes_pass(attributes):
    assert attribute_errors(SCHEMA, attributes) == {}
    assert validate_attributes(SCHEMA, attributes) is attributes


@pytest.mark.parametrize(
    ("attributes", "name", "message"),
    [
        ({}, "os", "This attribute is required."),
        ({"os": "mac"}, "os", "Must be one of: linux, windows."),
        ({"os": 3}, "os", "Expected a value of type string."),
        ({"os": "linux", "ram_gb": "8"}, "ram_gb", "Expected a value of type integer."),
        ({"os": "linux", "ram_gb": 2.5}, "ram_gb", "Expected a value of type integer."),
        ({"os": "linux", "ram_gb": True}, "ram_gb", "Expected a value of type integer."),
        ({"os": "linux", "ram_gb": 0}, "ram_gb", "Must be at least 1."),
        ({"os": "linux", "ram_gb": 4097}, "ram_gb", "Must be at most 4096."),
        ({"os": "linux", "load": -0.1}, "load", "Must be at least 0."),
        ({"os": "linux", "load": 1.6}, "load", "Must be at most 1.5."),
        ({"os": "linux", "load": "high"}, "load", "Expected a value of type number."),
        ({"os": "linux", "virtual": "yes"}, "virtual", "Expected a value of type boolean."),
        ({"os": "linux", "hostname": "ab"}, "hostname", "At least 3 characters."),
        ({"os": "linux", "hostname": "abcdefghijklm"}, "hostname", "At most 12 characters."),
        ({"os": "linux", "ip": "10.0.0"}, "ip", "Does not match the expected format"),
        ({"os": "linux", "colour": "red"}, "colour", "Not an attribute of this class."),
    ],
)
def test_each_rule_refuses_a_bad_value_and_names_the_attribute(attributes, name, message):
    errors = attribute_errors(SCHEMA, attributes)
    assert list(errors) == [name]
    assert errors[name][0].startswith(message)
    with pytest.raises(ValidationError) as refused:
        validate_attributes(SCHEMA, attributes)
    assert refused.value.message_dict["attributes"][0].startswith(f"{name}: {message}")


def test_every_problem_is_reported_at_once():
    errors = attribute_errors(SCHEMA, {"ram_gb": 0, "ip": "x", "virtual": 1})
    assert set(errors) == {"os", "ram_gb", "ip", "virtual"}


def test_attributes_must_be_an_object():
    assert attribute_errors(SCHEMA, ["linux"]) == {"": ["Attributes must be a JSON object."]}


def test_an_empty_schema_takes_no_attributes_but_an_empty_object():
    assert attribute_errors({}, {}) == {}
    assert list(attribute_errors({}, {"anything": 1})) == ["anything"]


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ([], "must be a JSON object"),
        ({"type": "array"}, "type must be “object”"),
        ({"oneOf": []}, "Unsupported keys: oneOf"),
        ({"properties": []}, "“properties” must be an object"),
        ({"properties": {"Bad-Name": {"type": "string"}}}, "lowercase letters"),
        ({"properties": {"a": "string"}}, "“a” must be an object"),
        ({"properties": {"a": {"type": "date"}}}, "type must be one of"),
        ({"properties": {"a": {"type": "string", "format": "ipv4"}}}, "unsupported keys format"),
        ({"properties": {"a": {"type": "string", "enum": []}}}, "enum must be a non-empty list"),
        ({"properties": {"a": {"type": "string", "minimum": 1}}}, "minimum needs a numeric"),
        ({"properties": {"a": {"type": "integer", "maximum": "9"}}}, "maximum needs a numeric"),
        ({"properties": {"a": {"type": "integer", "minLength": 1}}}, "minLength needs type"),
        ({"properties": {"a": {"type": "string", "pattern": "("}}}, "not a valid expression"),
        ({"properties": {}, "required": ["a"]}, "Required but not defined: a"),
        ({"properties": {}, "required": "a"}, "“required” must be a list"),
    ],
)
def test_a_schema_outside_the_subset_is_refused(schema, fragment):
    with pytest.raises(ValidationError) as refused:
        check_schema(schema)
    messages = " ".join(refused.value.message_dict["attribute_schema"])
    assert fragment in messages


def test_a_good_schema_comes_back_closed_to_extra_attributes():
    checked = check_schema({"properties": {"a": {"type": "string"}}})
    assert checked["type"] == "object"
    assert checked["additionalProperties"] is False


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("ram_gb", "16", 16),
        ("ram_gb", " 16 ", 16),
        ("ram_gb", "sixteen", "sixteen"),  # left as text: validation names the problem
        ("load", "0.75", 0.75),
        ("virtual", "yes", True),
        ("virtual", "sí", True),
        ("virtual", "0", False),
        ("os", "linux", "linux"),
        ("os", "", None),
        ("os", None, None),
    ],
)
def test_form_and_csv_text_is_read_as_the_attributes_type(name, text, expected):
    assert coerce_text(SCHEMA, name, text) == expected
