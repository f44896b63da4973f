"""Checking rows as ``cmdb.services`` checks a CI (the class's attribute schema, the choices, the
owners' sides, unique asset tags), a chunk at a time with a few bulk queries, and deciding what
importing each row does: create a CI, update one (found by asset tag, else by name within the
class), leave it unchanged, or nothing (a bad row, with its errors)."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from cmdb.choices import RelationType
from cmdb.importing.files import ATTR, CLASS_COLUMN, RELATIONS, Row
from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cmdb.schema import attribute_errors, coerce_text
from cmdb.services import _apply, _clean, ci_snapshot
from cogest.models import Organization, Team, UserProfile

CREATE, UPDATE, UNCHANGED, BAD = "create", "update", "unchanged", "bad"
# An empty cell in these columns keeps the CI's value (the default for a new CI); in the others it
# clears the value.
KEPT_WHEN_EMPTY = frozenset({"name", "status", "criticality", "managed_by", "asset_tag"})


def chunk_rows() -> int:
    """Rows checked and written together: a few queries per chunk, one transaction (skip mode)."""
    return getattr(settings, "CMDB_IMPORT_CHUNK_ROWS", 500)


@dataclass
class Plan:
    """What importing one row does: create, update, leave unchanged, or nothing (bad)."""

    index: int
    number: int
    action: str = BAD
    errors: list[tuple[str, str]] = field(default_factory=list)
    ci: ConfigurationItem | None = None
    changed: list[str] = field(default_factory=list)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    base_version: int | None = None
    # (type, "ci" or "row", CI id or row index) for each relation the row declares.
    relations: list[tuple[str, str, int]] = field(default_factory=list)
    new_relations: list[tuple[str, str, int]] = field(default_factory=list)
    # How the file names each relation's target (for the preview).
    target_texts: dict[tuple[str, str, int], str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value) -> str | None:
    """A cell or JSON value as text; ``None`` when it is not a scalar."""
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return None
    return str(value)


def tagged(tags: Iterable[str]):
    """The CIs with these asset tags. The literal ``<> ''`` repeats the condition of the unique
    index on asset tags, so PostgreSQL uses that partial index (a bound parameter would not)."""
    quote = connection.ops.quote_name
    column = f"{quote(ConfigurationItem._meta.db_table)}.{quote('asset_tag')}"
    has_tag = RawSQL(f"{column} <> ''", (), output_field=BooleanField())  # noqa: S611 - no input
    return ConfigurationItem.objects.filter(has_tag, asset_tag__in=list(tags)).order_by()


class AttributeCheck:
    """A quick "valid" for attributes that plainly satisfy a class schema (exact types, enum,
    bounds, lengths, pattern, required, nothing extra), so most rows skip ``jsonschema``. Any
    doubt (a float for an integer, an unknown keyword...) answers ``False``: then
    ``cmdb.schema.attribute_errors``, the reference, decides and words the errors."""

    _SPEC_KEYS = frozenset(
        {"type", "title", "description", "enum", "minimum", "maximum", "minLength", "maxLength",
         "pattern", "default"}
    )  # fmt: skip
    _SCHEMA_KEYS = frozenset(
        {"type", "properties", "required", "title", "description", "additionalProperties"}
    )
    _TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}

    def __init__(self, schema: dict):
        schema = schema if isinstance(schema, dict) else {}
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        self.usable = (
            not set(schema) - self._SCHEMA_KEYS
            and schema.get("type", "object") == "object"
            and isinstance(properties, dict)
            and isinstance(required, list)
        )
        self.required = tuple(required) if self.usable else ()
        self.checks = {name: self._compile(spec) for name, spec in properties.items()}
        self.usable = self.usable and all(self.checks.values())

    def _compile(self, spec):
        if not isinstance(spec, dict) or set(spec) - self._SPEC_KEYS:
            return None
        types = self._TYPES.get(spec.get("type"))
        if types is None:
            return None
        tests = [lambda v: type(v) in types]  # exact: a bool is not an integer
        if "enum" in spec:
            enum = spec["enum"]
            tests.append(lambda v: any(type(e) is type(v) and e == v for e in enum))
        if "minimum" in spec:
            tests.append(lambda v, m=spec["minimum"]: v >= m)
        if "maximum" in spec:
            tests.append(lambda v, m=spec["maximum"]: v <= m)
        if "minLength" in spec:
            tests.append(lambda v, n=spec["minLength"]: len(v) >= n)
        if "maxLength" in spec:
            tests.append(lambda v, n=spec["maxLength"]: len(v) <= n)
        if "pattern" in spec:
            try:
                pattern = re.compile(spec["pattern"])
            except (re.error, TypeError):
                return None
            tests.append(lambda v: pattern.search(v) is not None)
        return lambda value: all(test(value) for test in tests)

    def __call__(self, attributes) -> bool:
        if not self.usable or not isinstance(attributes, dict):
            return False
        if any(name not in attributes for name in self.required):
            return False
        for name, value in attributes.items():
            check = self.checks.get(name)
            if check is None or not check(value):
                return False
        return True


def batched(values: Iterable, size: int | None = None) -> Iterator[list]:
    """Lists of ``size`` values (a chunk by default): the IN lists and the units of work."""
    size = size or chunk_rows()
    batch: list = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Planner:
    """Checks rows against the database a chunk at a time and remembers, across chunks, what the
    whole file says (asset tags, names), so duplicates and forward references are found."""

    def __init__(self, ci_class: CIClass, rows: list[Row], by, *, is_csv: bool):
        self.ci_class, self.rows, self.is_csv = ci_class, rows, is_csv
        self.schema = ci_class.attribute_schema or {}
        self.plainly_valid = AttributeCheck(self.schema)
        self.default_org_id = self._default_org_id(by)
        self.teams: dict[str, int | None] = {}
        self.orgs: dict[str, tuple[int, bool] | None] = {}
        self.people: dict[str, int | None] = {}  # username → user id
        self.sides: dict[int, tuple[int | None, bool]] = {}  # user id → (organization, internal)
        self.targets: dict[str, tuple[str, Any]] = {}  # reference → ("ci", id) | ("error", msg)
        self.claimed: dict[int, int] = {}  # CI id → number of the row that imports it
        self.file_tags: dict[str, int] = {}
        self.file_names: dict[str, list[int]] = {}
        self.duplicates: dict[int, tuple[str, str]] = {}
        self.tags = [(_text(row.values.get("asset_tag")) or "").strip() for row in rows]
        self.names = [(_text(row.values.get("name")) or "").strip() for row in rows]
        untagged: dict[str, int] = {}  # name → the first row with that name and no tag
        for index, (tag, name) in enumerate(zip(self.tags, self.names, strict=True)):
            if tag:
                if tag in self.file_tags:
                    first = rows[self.file_tags[tag]].number
                    self.duplicates[index] = (
                        "asset_tag",
                        _("Row %(n)s has the same asset tag.") % {"n": first},
                    )
                else:
                    self.file_tags[tag] = index
            if name:
                self.file_names.setdefault(name, []).append(index)
                if not tag:
                    if name in untagged and index not in self.duplicates:
                        self.duplicates[index] = (
                            "name",
                            _(
                                "Row %(n)s has the same name: give them asset tags to tell "
                                "them apart."
                            )
                            % {"n": rows[untagged[name]].number},
                        )
                    untagged.setdefault(name, index)

    def _tag(self, index: int) -> str:
        return self.tags[index]

    @staticmethod
    def _default_org_id(by) -> int | None:
        profile = getattr(by, "profile", None)
        if profile is not None:
            return profile.organization_id
        return Organization.objects.filter(kind="internal").values_list("pk", flat=True).first()

    # The whole file, or a part of it (the preview's sample), chunk by chunk.
    def plan(self, indexes: Iterable[int] | None = None) -> dict[int, Plan]:
        indexes = range(len(self.rows)) if indexes is None else indexes
        plans: dict[int, Plan] = {}
        for chunk in batched(indexes):
            for plan in self._plan_chunk(chunk):
                plans[plan.index] = plan
        self._spread_bad_targets(plans)
        self._find_new_relations(plans)
        return plans

    def _plan_chunk(self, indexes: list[int]) -> list[Plan]:
        parsed = [self._read(index) for index in indexes]
        self._load_references(parsed)
        matches = self._match(parsed)
        self._load_sides(m for m in matches.values() if isinstance(m, ConfigurationItem))
        self._load_targets(parsed)
        return [
            self._decide(item, matches.get(item["index"]))
            if self.rows[item["index"]].readable
            else Plan(
                index=item["index"], number=self.rows[item["index"]].number, errors=item["errors"]
            )
            for item in parsed
        ]

    def _read(self, index: int) -> dict:
        """A row's values, shaped for ``cmdb.services._clean`` (references still as text)."""
        row = self.rows[index]
        errors = list(row.errors)
        if index in self.duplicates:
            errors.append(self.duplicates[index])
        cleaned: dict[str, Any] = {}
        references: dict[str, str | None] = {}
        attributes: dict[str, Any] = {}
        relations: list[tuple[str, str]] = []
        for key, raw in row.values.items():
            label = row.labels.get(key, key)
            if key.startswith(ATTR):
                name = key[len(ATTR) :]
                value = coerce_text(self.schema, name, raw) if self.is_csv else raw
                if isinstance(value, float) and not math.isfinite(value):  # "nan", "inf"
                    errors.append((label, _("Expected a finite number.")))
                    continue
                attributes[name] = None if value is None or value == "" else value
                continue
            if key == RELATIONS:
                relations, problems = _relation_specs(raw)
                errors += [(label, message) for message in problems]
                continue
            text = _text(raw)
            if text is None:
                errors.append((label, _("Expected a text or number value.")))
                continue
            stripped = text.strip()
            if key == CLASS_COLUMN:
                if stripped and stripped.lower() not in (
                    self.ci_class.slug.lower(),
                    self.ci_class.name.lower(),
                ):
                    errors.append(
                        (
                            label,
                            _("This import is for the class “%(c)s” only.")
                            % {"c": self.ci_class.name},
                        )
                    )
                continue
            if not stripped and key in KEPT_WHEN_EMPTY:
                continue
            if key in ("owner_team", "managed_by", "internal_owner", "provider_owner"):
                references[key] = stripped or None
            elif key == "criticality":
                try:
                    cleaned[key] = int(stripped)
                except ValueError:
                    cleaned[key] = stripped  # the service's check words the error
            elif key in ("status", "environment"):
                cleaned[key] = stripped.lower()
            elif key == "description":
                cleaned[key] = text
            else:
                cleaned[key] = stripped
        return {
            "index": index,
            "errors": errors,
            "cleaned": cleaned,
            "references": references,
            "attributes": attributes,
            "relations": relations,
        }

    def _load_references(self, parsed: list[dict]) -> None:
        """Teams, organizations and people named in the chunk: one query each, cached."""
        wanted: dict[str, set[str]] = {"team": set(), "org": set(), "person": set()}
        for item in parsed:
            for key, value in item["references"].items():
                if value is None:
                    continue
                kind = {"owner_team": "team", "managed_by": "org"}.get(key, "person")
                cache = {"team": self.teams, "org": self.orgs, "person": self.people}[kind]
                if value not in cache:
                    wanted[kind].add(value)
        for batch in batched(wanted["team"]):
            found = dict(Team.objects.filter(slug__in=batch).values_list("slug", "pk"))
            self.teams.update({slug: found.get(slug) for slug in batch})
        for batch in batched(wanted["org"]):
            found = {
                slug: (pk, kind == "internal")
                for slug, pk, kind in Organization.objects.filter(slug__in=batch).values_list(
                    "slug", "pk", "kind"
                )
            }
            self.orgs.update({slug: found.get(slug) for slug in batch})
        user_model = get_user_model()
        field_name = user_model.USERNAME_FIELD
        for batch in batched(wanted["person"]):
            found = {}
            for username, pk, org_id, kind in user_model.objects.filter(
                **{f"{field_name}__in": batch}, is_active=True
            ).values_list(
                field_name, "pk", "profile__organization_id", "profile__organization__kind"
            ):
                found[username] = pk
                self.sides[pk] = (org_id, kind == "internal")
            self.people.update({name: found.get(name) for name in batch})

    def _load_sides(self, cis: Iterable[ConfigurationItem]) -> None:
        """The organizations of the owners the matched CIs keep: one query per chunk."""
        wanted = {
            pk for ci in cis for pk in (ci.internal_owner_id, ci.provider_owner_id) if pk
        } - set(self.sides)
        for batch in batched(wanted):
            found = {
                user_id: (org_id, kind == "internal")
                for user_id, org_id, kind in UserProfile.objects.filter(
                    user_id__in=batch
                ).values_list("user_id", "organization_id", "organization__kind")
            }
            self.sides.update({pk: found.get(pk, (None, False)) for pk in batch})

    def _match(self, parsed: list[dict]) -> dict[int, ConfigurationItem | tuple[str, str]]:
        """The existing CI each row updates (by asset tag, else by name in the class), or an
        error (field, message); rows absent from the result create a CI."""
        tags = {self._tag(item["index"]) for item in parsed} - {""}
        by_tag: dict[str, ConfigurationItem] = {}
        for batch in batched(tags):
            by_tag.update({ci.asset_tag: ci for ci in tagged(batch)})
        names = set()
        for item in parsed:
            tag = self._tag(item["index"])
            if not (tag and tag in by_tag):
                names.add(self.names[item["index"]])
        names.discard("")
        by_name: dict[str, list[ConfigurationItem]] = {}
        for batch in batched(names):
            for ci in ConfigurationItem.objects.filter(
                ci_class=self.ci_class, name__in=batch
            ).order_by():
                by_name.setdefault(ci.name, []).append(ci)
        matches: dict[int, ConfigurationItem | tuple[str, str]] = {}
        for item in parsed:
            index = item["index"]
            tag = self._tag(index)
            if tag and tag in by_tag:
                ci = by_tag[tag]
                if ci.ci_class_id != self.ci_class.pk:
                    matches[index] = (
                        "asset_tag",
                        _("The asset tag belongs to “%(name)s”, a CI of another class.")
                        % {"name": ci.name},
                    )
                else:
                    matches[index] = ci
                continue
            name = self.names[index]
            candidates = by_name.get(name, [])
            if tag:  # a new tag: only an untagged CI of that name can be the same one
                candidates = [ci for ci in candidates if not ci.asset_tag]
            if len(candidates) == 1:
                matches[index] = candidates[0]
            elif len(candidates) > 1:
                matches[index] = (
                    "name",
                    _("%(n)s CIs of this class are named “%(name)s”: give the asset tag.")
                    % {"n": len(candidates), "name": name},
                )
        return matches

    def _load_targets(self, parsed: list[dict]) -> None:
        """Relation targets not in the file, by asset tag then by name (any class)."""
        wanted = {
            target
            for item in parsed
            for _type, target in item["relations"]
            if target not in self.targets
            and target not in self.file_tags
            and target not in self.file_names
        }
        for batch in batched(wanted):
            by_tag = dict(tagged(batch).values_list("asset_tag", "pk"))
            by_name: dict[str, list[int]] = {}
            for name, pk in (
                ConfigurationItem.objects.filter(name__in=batch)
                .order_by()
                .values_list("name", "pk")
            ):
                by_name.setdefault(name, []).append(pk)
            for target in batch:
                if target in by_tag:
                    self.targets[target] = ("ci", by_tag[target])
                elif len(by_name.get(target, [])) == 1:
                    self.targets[target] = ("ci", by_name[target][0])
                elif by_name.get(target):
                    self.targets[target] = (
                        "error",
                        _("Several CIs are named “%(t)s”: refer to it by asset tag.")
                        % {"t": target},
                    )
                else:
                    self.targets[target] = (
                        "error",
                        _("No CI has the asset tag or name “%(t)s”.") % {"t": target},
                    )

    def _decide(self, item: dict, match) -> Plan:
        index = item["index"]
        row = self.rows[index]
        plan = Plan(index=index, number=row.number, errors=item["errors"])
        labels = row.labels
        if isinstance(match, tuple):
            plan.errors.append(match)
            match = None
        if match is not None and match.pk in self.claimed:
            plan.errors.append(
                ("", _("Row %(n)s imports the same CI.") % {"n": self.claimed[match.pk]})
            )
            match = None
        cleaned = dict(item["cleaned"])
        self._resolve_references(item["references"], cleaned, plan, labels)
        if match is None:
            ci = ConfigurationItem(ci_class_id=self.ci_class.pk)
            cleaned.setdefault("managed_by", self.default_org_id)
            if not cleaned.get("name"):
                plan.errors.append((labels.get("name", "name"), _("A CI needs a name.")))
            attributes = {}
        else:
            # A copy: the row may still turn out bad, and the loaded CI must stay as it is.
            ci = copy.copy(match)
            attributes = dict(ci.attributes or {})
        for name, value in item["attributes"].items():
            if value is None:
                attributes.pop(name, None)
            else:
                attributes[name] = value
        cleaned["attributes"] = attributes
        try:
            cleaned = _clean(cleaned, partial=True)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                plan.errors += [(labels.get(name, name), m) for m in messages]
        problems = (
            {} if self.plainly_valid(attributes) else attribute_errors(self.schema, attributes)
        )
        for name, messages in problems.items():
            label = labels.get(ATTR + name) or (f"{ATTR}{name}" if name else "attributes")
            plan.errors += [(label, m) for m in messages]
        if plan.errors:
            return plan
        before = ci_snapshot(ci) if match is not None else {}
        plan.changed = _apply(ci, cleaned)
        if match is None or plan.changed:  # as ci_update: owners are checked on any change
            plan.errors += self._people_errors(ci, labels)
        plan.relations = self._relations(item["relations"], index, ci, plan, labels)
        if plan.errors:
            return plan
        plan.ci = ci
        after = ci_snapshot(ci)
        if match is None:
            plan.action, plan.after = CREATE, after
        else:
            self.claimed[ci.pk] = row.number
            plan.base_version = ci.version
            plan.action = UPDATE if plan.changed else UNCHANGED
            plan.before = {k: before[k] for k in plan.changed}
            plan.after = {k: after[k] for k in plan.changed}
        return plan

    def _resolve_references(self, references: dict, cleaned: dict, plan: Plan, labels) -> None:
        for key, value in references.items():
            label = labels.get(key, key)
            if value is None:
                cleaned[key] = None
            elif key == "owner_team":
                found = self.teams.get(value)
                if found is None:
                    plan.errors.append((label, _("No team has the slug “%(v)s”.") % {"v": value}))
                cleaned[key] = found
            elif key == "managed_by":
                found = self.orgs.get(value)
                if found is None:
                    plan.errors.append(
                        (label, _("No organization has the slug “%(v)s”.") % {"v": value})
                    )
                cleaned[key] = found[0] if found else None
            else:
                found = self.people.get(value)
                if found is None:
                    plan.errors.append(
                        (label, _("No active user has the username “%(v)s”.") % {"v": value})
                    )
                cleaned[key] = found

    def _people_errors(self, ci: ConfigurationItem, labels) -> list[tuple[str, str]]:
        """The rule of ``cmdb.services._check_people``, from the people already loaded."""
        errors = []
        if ci.internal_owner_id:
            org_id, internal = self.sides.get(ci.internal_owner_id, (None, False))
            if org_id is None or not internal:
                errors.append(
                    (
                        labels.get("internal_owner", "internal_owner"),
                        _("The internal owner must be internal staff."),
                    )
                )
        if ci.provider_owner_id:
            org_id, internal = self.sides.get(ci.provider_owner_id, (None, False))
            if org_id is None or internal or org_id != ci.managed_by_id:
                errors.append(
                    (
                        labels.get("provider_owner", "provider_owner"),
                        _("The provider owner must work for the organization that manages the CI."),
                    )
                )
        return errors

    def _relations(self, specs, index: int, ci, plan: Plan, labels) -> list[tuple[str, str, int]]:
        label = labels.get(RELATIONS, RELATIONS)
        found: list[tuple[str, str, int]] = []
        for type_, target in specs:
            if target in self.file_tags:
                ref = ("row", self.file_tags[target])
            elif target in self.file_names:
                rows = self.file_names[target]
                if len(rows) > 1:
                    plan.errors.append(
                        (
                            label,
                            _("Several rows are named “%(t)s”: refer to it by asset tag.")
                            % {"t": target},
                        )
                    )
                    continue
                ref = ("row", rows[0])
            else:
                kind, value = self.targets[target]
                if kind == "error":
                    plan.errors.append((label, value))
                    continue
                ref = ("ci", value)
            if ref == ("row", index) or (ref[0] == "ci" and ci.pk is not None and ref[1] == ci.pk):
                plan.errors.append((label, _("A CI cannot be related to itself.")))
                continue
            relation = (type_, ref[0], ref[1])
            if relation not in found:
                found.append(relation)
                plan.target_texts[relation] = target
        return found

    def _spread_bad_targets(self, plans: dict[int, Plan]) -> None:
        """A row related to a bad row of the file is bad too (the relation could not be made),
        transitively: one walk over the reverse references."""
        dependents: dict[int, list[int]] = {}
        for plan in plans.values():
            for _type, kind, ref in plan.relations:
                if kind == "row":
                    dependents.setdefault(ref, []).append(plan.index)
        queue = [index for index, plan in plans.items() if not plan.ok]
        while queue:
            bad = queue.pop()
            for index in dependents.get(bad, ()):
                plan = plans[index]
                if plan.ok:
                    plan.errors.append(
                        (
                            self.rows[index].labels.get(RELATIONS, RELATIONS),
                            _("Row %(n)s, a target of this row's relations, has errors.")
                            % {"n": self.rows[bad].number},
                        )
                    )
                    self._mark_bad(plan)
                    queue.append(index)

    def _mark_bad(self, plan: Plan) -> None:
        if plan.ci is not None and plan.ci.pk is not None:
            self.claimed.pop(plan.ci.pk, None)
        plan.action, plan.ci = BAD, None

    def _find_new_relations(self, plans: dict[int, Plan]) -> None:
        """Which declared relations do not exist yet; a row whose only news is a relation is an
        update all the same."""
        known: dict[tuple[int, str, int], bool] = {}
        wanted = []
        for plan in plans.values():
            if not plan.ok:
                plan.action = BAD
                continue
            for type_, kind, ref in plan.relations:
                target_id = self._target_id(plans, kind, ref)
                if plan.ci.pk is not None and target_id is not None:
                    wanted.append((plan.ci.pk, type_, target_id))
        for batch in batched(sorted({w[0] for w in wanted})):
            for key in (
                CIRelation.objects.filter(source_id__in=batch)
                .order_by()
                .values_list("source_id", "type", "target_id")
            ):
                known[key] = True
        for plan in plans.values():
            if plan.action == BAD:
                continue
            plan.new_relations = [
                (type_, kind, ref)
                for type_, kind, ref in plan.relations
                if (plan.ci.pk, type_, self._target_id(plans, kind, ref)) not in known
                or plan.ci.pk is None
            ]
            if plan.action == UNCHANGED and plan.new_relations:
                plan.action = UPDATE

    def _target_id(self, plans: dict[int, Plan], kind: str, ref: int) -> int | None:
        if kind == "ci":
            return ref
        target = plans.get(ref)
        return target.ci.pk if target is not None and target.ci is not None else None


def _relation_specs(raw) -> tuple[list[tuple[str, str]], list[str]]:
    """``depends_on:TAG-1;runs_on:web-01`` (or a JSON list of such strings or of
    ``{"type", "target"}`` objects) as (type, target) pairs, and what is wrong with it."""
    items: list = []
    problems: list[str] = []
    if raw is None or raw == "":
        return [], []
    if isinstance(raw, str):
        items = [part for part in raw.replace("\n", ";").split(";") if part.strip()]
    elif isinstance(raw, list):
        items = raw
    else:
        return [], [_("Write relations as type:target;type:target.")]
    specs = []
    for item in items:
        if isinstance(item, dict):
            type_, target = item.get("type"), item.get("target")
            extra = set(item) - {"type", "target"}
            if not isinstance(type_, str) or not isinstance(target, str) or extra:
                problems.append(_("Each relation object has a “type” and a “target” (text)."))
                continue
        elif isinstance(item, str):
            type_, sep, target = item.partition(":")
            if not sep:
                problems.append(
                    _("“%(item)s” has no target: write type:asset-tag-or-name.") % {"item": item}
                )
                continue
        else:
            problems.append(_("Write relations as type:target;type:target."))
            continue
        type_ = type_.strip().lower().replace(" ", "_")
        target = target.strip()
        if type_ not in RelationType.values:
            problems.append(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": type_, "choices": ", ".join(RelationType.values)}
            )
        elif not target:
            problems.append(_("A relation needs a target (an asset tag or a name)."))
        else:
            specs.append((type_, target))
    return specs, problems


# --- Results kept on the job ----------------------------------------------------------------


def error_rows(plans: Iterable[Plan]) -> list[dict]:
    """The errors of these plans as the job keeps them, in the file's order."""
    return [
        {"row": plan.number, "field": name, "message": str(message)}
        for plan in sorted(plans, key=lambda p: p.number)
        for name, message in plan.errors
    ]


def count_actions(plans: Iterable[Plan]) -> dict[str, int]:
    """How many plans create, update, leave unchanged, or are bad."""
    counts = {CREATE: 0, UPDATE: 0, UNCHANGED: 0, BAD: 0}
    for plan in plans:
        counts[plan.action] += 1
    return counts
