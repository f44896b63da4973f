"""CI class attribute schemas: a JSON Schema subset (SPEC 2.3), checked by ``jsonschema``.

The subset: an object schema whose ``properties`` each have a ``type`` (``string``,
``integer``, ``number``, ``boolean``), and optionally ``title``, ``description``, ``enum``,
``minimum``, ``maximum``, ``minLength``, ``maxLength``, ``pattern`` (strings), ``default``;
plus ``required`` (a list of property names). Extra attributes not in ``properties`` are refused,
so a typo never lands silently. Messages are ours (translated), keyed by the failing keyword.
"""

from __future__ import annotations

import math
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

TYPES = ("string", "integer", "number", "boolean")
PROPERTY_KEYS = {
    "type",
    "title",
    "description",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
}
SCHEMA_KEYS = {"type", "properties", "required", "title", "description", "additionalProperties"}


def check_schema(schema: dict) -> dict:
    """Refuse a class schema outside the subset, with one message per problem.

    Returns the schema, with ``type: object`` and ``additionalProperties: false`` made explicit.
    """
    if schema in (None, ""):
        schema = {}
    if not isinstance(schema, dict):
        raise ValidationError({"attribute_schema": [_("The schema must be a JSON object.")]})
    errors: list[str] = []
    unknown = set(schema) - SCHEMA_KEYS
    if unknown:
        errors.append(_("Unsupported keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))})
    if schema.get("type", "object") != "object":
        errors.append(_("The schema's type must be “object”."))
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        errors.append(_("“properties” must be an object."))
        properties = {}
    for name, spec in properties.items():
        errors += _property_errors(name, spec)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        errors.append(_("“required” must be a list of property names."))
    else:
        missing = [r for r in required if r not in properties]
        if missing:
            errors.append(_("Required but not defined: %(names)s.") % {"names": ", ".join(missing)})
    if not errors:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            errors.append(exc.message)
    if errors:
        raise ValidationError({"attribute_schema": errors})
    return {**schema, "type": "object", "additionalProperties": False}


def _property_errors(name: str, spec) -> list[str]:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", str(name)):
        return [_("“%(name)s”: names are lowercase letters, digits and _.") % {"name": name}]
    if not isinstance(spec, dict):
        return [_("“%(name)s” must be an object.") % {"name": name}]
    errors = []
    unknown = set(spec) - PROPERTY_KEYS
    if unknown:
        errors.append(
            _("“%(name)s”: unsupported keys %(keys)s.")
            % {"name": name, "keys": ", ".join(sorted(unknown))}
        )
    kind = spec.get("type")
    if kind not in TYPES:
        errors.append(
            _("“%(name)s”: type must be one of %(types)s.")
            % {"name": name, "types": ", ".join(TYPES)}
        )
    if "enum" in spec and (not isinstance(spec["enum"], list) or not spec["enum"]):
        errors.append(_("“%(name)s”: enum must be a non-empty list.") % {"name": name})
    for bound in ("minimum", "maximum"):
        if bound in spec and (
            kind not in ("integer", "number") or not isinstance(spec[bound], int | float)
        ):
            errors.append(
                _("“%(name)s”: %(key)s needs a numeric type and a number.")
                % {"name": name, "key": bound}
            )
    for bound in ("minLength", "maxLength"):
        if bound in spec and (kind != "string" or not isinstance(spec[bound], int)):
            errors.append(
                _("“%(name)s”: %(key)s needs type string and an integer.")
                % {"name": name, "key": bound}
            )
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])
        except (re.error, TypeError):
            errors.append(_("“%(name)s”: the pattern is not a valid expression.") % {"name": name})
    return errors


def attribute_errors(schema: dict, attributes) -> dict[str, list[str]]:
    """Problems of ``attributes`` against a class schema: attribute name → messages
    (``""`` for the object as a whole). Empty when they are valid."""
    if not isinstance(attributes, dict):
        return {"": [_("Attributes must be a JSON object.")]}
    schema = {**(schema or {}), "type": "object", "additionalProperties": False}
    schema.setdefault("properties", {})
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(attributes), key=lambda e: list(e.path)):
        name, message = _message(error, schema)
        errors.setdefault(name, []).append(message)
    return errors


def validate_attributes(schema: dict, attributes) -> dict:
    """``attributes`` if valid against the class schema; else a ``ValidationError`` whose
    messages name each attribute (``attributes.<name>``)."""
    errors = attribute_errors(schema, attributes)
    if errors:
        raise ValidationError(
            {
                "attributes": [
                    f"{name}: {message}" if name else message
                    for name, messages in errors.items()
                    for message in messages
                ]
            }
        )
    return attributes


def _message(error, schema: dict) -> tuple[str, str]:
    keyword = error.validator
    name = str(error.path[0]) if error.path else ""
    spec = schema.get("properties", {}).get(name, {})
    if keyword == "required":
        missing = re.findall(r"'([^']+)'", error.message)
        name = missing[0] if missing else name
        return name, _("This attribute is required.")
    if keyword == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        return ", ".join(extra), _("Not an attribute of this class.")
    messages = {
        "type": lambda: _("Expected a value of type %(type)s.") % {"type": spec.get("type")},
        "enum": lambda: (
            _("Must be one of: %(values)s.") % {"values": ", ".join(map(str, spec.get("enum", [])))}
        ),
        "minimum": lambda: _("Must be at least %(n)s.") % {"n": spec.get("minimum")},
        "maximum": lambda: _("Must be at most %(n)s.") % {"n": spec.get("maximum")},
        "minLength": lambda: _("At least %(n)s characters.") % {"n": spec.get("minLength")},
        "maxLength": lambda: _("At most %(n)s characters.") % {"n": spec.get("maxLength")},
        "pattern": lambda: (
            _("Does not match the expected format (%(pattern)s).")
            % {"pattern": spec.get("pattern")}
        ),
    }
    return name, messages.get(keyword, lambda: error.message)()


def coerce_text(schema: dict, name: str, text: str):
    """A form or CSV cell's text as the attribute's type (``None`` when empty); text that is
    not a number stays text, so validation names the problem."""
    spec = (schema or {}).get("properties", {}).get(name, {})
    text = "" if text is None else str(text).strip()
    if text == "":
        return None
    kind = spec.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "sí", "si", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
    return text


def unstorable(value) -> bool:
    """Whether a value holds a NUL character or a non-finite number, anywhere: PostgreSQL
    stores neither in text or JSON, so they are refused as bad input."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(v) for v in value)
    return False
