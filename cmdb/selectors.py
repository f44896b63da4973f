"""The read side of the CI pages: names of parties as the reader may know them, a CI's history,
its relations and the graph around it. Every read is restricted to the reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, Environment, ProposalStatus, RelationType
from cmdb.models import CIChangeProposal, CIClass, CIRelation, ConfigurationItem
from cogest.models import AuditEvent, Organization, Team, UserProfile

HIDDEN = gettext_lazy("another organization")

# --- Parties --------------------------------------------------------------------------------------


@dataclass
class Parties:
    """Names of organizations, teams and people, only those the reader may see (``restrict``):
    a provider never reads the name of another provider, its teams or its people."""

    organizations: dict[int, Organization] = field(default_factory=dict)
    teams: dict[int, Team] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)

    def organization(self, pk) -> str:
        org = self.organizations.get(pk)
        return org.name if org else ("" if pk is None else str(HIDDEN))

    def team(self, pk) -> str:
        team = self.teams.get(pk)
        return team.name if team else ("" if pk is None else str(HIDDEN))

    def person(self, pk) -> str:
        return self.people.get(pk, "" if pk is None else str(HIDDEN))


def _person_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def parties_for(*, user, organizations=(), teams=(), people=()) -> Parties:
    """One restricted query per kind of party named (none for an empty kind)."""
    parties = Parties()
    org_ids = {pk for pk in organizations if pk is not None}
    team_ids = {pk for pk in teams if pk is not None}
    person_ids = {pk for pk in people if pk is not None}
    if org_ids:
        parties.organizations = {
            o.pk: o for o in Organization.objects.restrict(user, "view").filter(pk__in=org_ids)
        }
    if team_ids:
        parties.teams = {
            t.pk: t
            for t in Team.objects.restrict(user, "view")
            .filter(pk__in=team_ids)
            .select_related("organization")
        }
    if person_ids:
        rows = (
            UserProfile.objects.restrict(user, "view")
            .filter(user_id__in=person_ids)
            .values_list("user_id", "user__first_name", "user__last_name", "user__username")
        )
        parties.people = {pk: _person_name(*names) for pk, *names in rows}
    return parties


# --- Attributes -----------------------------------------------------------------------------------


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def attribute_rows(ci: ConfigurationItem) -> list[dict]:
    """The CI's attributes with their schema titles, in the schema's order; values its class
    no longer defines come last, under their own names."""
    schema = ci.ci_class.attribute_schema or {}
    properties = schema.get("properties") or {}
    attributes = ci.attributes or {}
    rows = [
        {
            "name": name,
            "title": (spec or {}).get("title") or name.replace("_", " ").capitalize(),
            "value": _display(attributes.get(name)),
            "is_set": attributes.get(name) not in (None, ""),
            "description": (spec or {}).get("description", ""),
        }
        for name, spec in properties.items()
    ]
    rows += [
        {"name": name, "title": name, "value": _display(value), "is_set": True, "description": ""}
        for name, value in attributes.items()
        if name not in properties
    ]
    return rows


# --- Relations ------------------------------------------------------------------------------------

RELATION_LIMIT = 200


def ci_relations(*, ci: ConfigurationItem, user, limit: int = RELATION_LIMIT) -> dict:
    """The relations of ``ci`` whose both ends ``user`` sees, outgoing then incoming, each with
    whether ``user`` may remove it (they may change its source). Three queries."""
    rows = list(
        CIRelation.objects.restrict(user, "view")
        .filter(Q(source=ci) | Q(target=ci))
        .select_related("source__ci_class", "target__ci_class")
        .order_by("type", "source__name", "target__name", "pk")[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    sources = {r.source_id for r in rows}
    changeable = set(
        ConfigurationItem.objects.restrict(user, "change")
        .filter(pk__in=sources)
        .values_list("pk", flat=True)
    )
    outgoing, incoming = [], []
    for relation in rows:
        entry = {
            "relation": relation,
            "label": RelationType(relation.type).label,
            "other": relation.target if relation.source_id == ci.pk else relation.source,
            "removable": relation.source_id in changeable,
        }
        (outgoing if relation.source_id == ci.pk else incoming).append(entry)
    return {"outgoing": outgoing, "incoming": incoming, "truncated": truncated, "limit": limit}


# --- The graph around a CI ------------------------------------------------------------------------

GRAPH_MAX_DEPTH = 4
GRAPH_MAX_NODES = 150
# Categorical colours of classes in the graph (stable: by the class's id).
PALETTE = (
    "#2f5bd3",
    "#0f7b6c",
    "#7c3aed",
    "#b45309",
    "#0e7490",
    "#be185d",
    "#4b5563",
    "#65a30d",
    "#9333ea",
    "#0369a1",
    "#a16207",
    "#15803d",
)


def colour_index(pk: int) -> int:
    """The class's colour in ``PALETTE`` (``cmdb.css`` has ``.ci-colour-<index>`` for each)."""
    return pk % len(PALETTE)


def ci_graph(
    *, ci: ConfigurationItem, user, depth: int = 2, namespace: str = "cmdb",
    max_nodes: int = GRAPH_MAX_NODES,
) -> dict:  # fmt: skip
    """The CIs and relations within ``depth`` hops of ``ci`` (any type, both directions), only
    what ``user`` sees: a relation is followed only when ``restrict`` shows it, so an invisible
    CI is neither a node nor a way through. One query per hop and one for the nodes."""
    depth = max(1, min(int(depth), GRAPH_MAX_DEPTH))
    relations = CIRelation.objects.restrict(user, "view")
    seen: dict[int, int] = {ci.pk: 0}
    edges: dict[int, tuple[int, str, int]] = {}
    frontier, truncated = {ci.pk}, False
    for level in range(1, depth + 1):
        rows = (
            relations.filter(Q(source_id__in=frontier) | Q(target_id__in=frontier))
            .order_by("pk")
            .values_list("pk", "source_id", "type", "target_id")[: max_nodes * 4]
        )
        following: set[int] = set()
        for pk, source, kind, target in rows:
            for node in (source, target):
                if node not in seen:
                    if len(seen) >= max_nodes:
                        truncated = True
                        continue
                    seen[node] = level
                    following.add(node)
            if source in seen and target in seen:
                edges[pk] = (source, kind, target)
        frontier = following
        if not frontier:
            break
    nodes = (
        ConfigurationItem.objects.restrict(user, "view")
        .filter(pk__in=list(seen))
        .values(
            "pk",
            "name",
            "status",
            "criticality",
            "ci_class_id",
            "ci_class__slug",
            "ci_class__name",
            "ci_class__is_service",
        )
    )
    found = {}
    for row in nodes:
        found[row["pk"]] = {
            "id": str(row["pk"]),
            "name": row["name"],
            "ci_class": row["ci_class__slug"],
            "class_name": row["ci_class__name"],
            "colour": PALETTE[colour_index(row["ci_class_id"])],
            "criticality": row["criticality"],
            "status": row["status"],
            "is_service": row["ci_class__is_service"],
            "depth": seen[row["pk"]],
            "center": row["pk"] == ci.pk,
            "url": reverse(f"{namespace}:ci-detail", args=[row["pk"]]),
        }
    edge_list = [
        {
            "id": f"r{pk}",
            "source": str(source),
            "target": str(target),
            "type": kind,
            "label": str(RelationType(kind).label),
        }
        for pk, (source, kind, target) in sorted(edges.items())
        if source in found and target in found
    ]
    nodes_sorted = sorted(found.values(), key=lambda n: (n["depth"], n["name"], n["id"]))
    return {"center": str(ci.pk), "depth": depth, "nodes": nodes_sorted, "edges": edge_list,
            "truncated": truncated}  # fmt: skip


# --- History --------------------------------------------------------------------------------------

CI_OBJECT_TYPE = "cmdb.configurationitem"
HISTORY_LIMIT = 50
PROPOSAL_ACTIONS = {
    "ci.change_proposed",
    "ci.proposal_approved",
    "ci.proposal_rejected",
    "ci.proposal_withdrawn",
}
ACTION_LABELS = {
    "ci.created": gettext_lazy("Registered the CI"),
    "ci.updated": gettext_lazy("Changed"),
    "ci.change_proposed": gettext_lazy("Proposed a change"),
    "ci.proposal_approved": gettext_lazy("Approved a proposal"),
    "ci.proposal_rejected": gettext_lazy("Rejected a proposal"),
    "ci.proposal_withdrawn": gettext_lazy("Withdrew a proposal"),
    "ci.relation_added": gettext_lazy("Added a relation"),
    "ci.relation_removed": gettext_lazy("Removed a relation"),
}
_PROPOSAL_NOTE = re.compile(r"^proposal (\d+)")
_CHOICE_LABELS = {
    "status": dict(CIStatus.choices),
    "environment": dict(Environment.choices),
    "criticality": dict(CRITICALITY_CHOICES),
}


@dataclass
class HistoryEntry:
    event: AuditEvent
    action: str
    actor: str
    organization: str
    changes: list[dict]
    note: str


def ci_history(*, ci: ConfigurationItem, user, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The audit events of ``ci``, newest first, for whoever may see the CI.

    Scoped by the CI's own ``restrict(user, "view")``, not by the audit trail's rule (which
    shows a provider only what its own people did): a CI's history belongs to the CI, so both
    sides read all of it. What stays hidden is what the reader may not know elsewhere either:
    another provider's proposals (``CIChangeProposal.restrict``), and the names of parties it may
    not see (another provider, its teams and people). A fixed number of queries."""
    if not ConfigurationItem.objects.restrict(user, "view").filter(pk=ci.pk).exists():
        return []
    events = list(
        AuditEvent.objects.filter(object_type=CI_OBJECT_TYPE, object_id=str(ci.pk)).order_by("-id")[
            : limit * 2
        ]
    )
    proposals = set(
        CIChangeProposal.objects.restrict(user, "view").filter(ci=ci).values_list("pk", flat=True)
    )
    kept = []
    for event in events:
        if event.action in PROPOSAL_ACTIONS:
            match = _PROPOSAL_NOTE.match(event.note or "")
            if not match or int(match.group(1)) not in proposals:
                continue
        kept.append(event)
        if len(kept) == limit:
            break
    return _describe(kept, ci=ci, user=user)


def _describe(events: list[AuditEvent], *, ci, user) -> list[HistoryEntry]:
    """Events in words: field labels, choices' labels and names instead of ids."""
    refs: dict[str, set] = {kind: set() for kind in ("org", "team", "person", "class", "ci")}
    kinds = {
        "managed_by": "org",
        "owner_team": "team",
        "internal_owner": "person",
        "provider_owner": "person",
        "ci_class": "class",
    }
    for event in events:
        refs["org"].add(event.actor_organization_id)
        refs["person"].add(event.actor_id)
        for values in (event.before, event.after):
            if not isinstance(values, dict):
                continue
            for name, kind in kinds.items():
                if isinstance(values.get(name), int):
                    refs[kind].add(values[name])
            if event.action.startswith("ci.relation_") and isinstance(values.get("target"), int):
                refs["ci"].add(values["target"])
    parties = parties_for(
        user=user, organizations=refs["org"], teams=refs["team"], people=refs["person"]
    )
    classes = {}
    if refs["class"]:
        classes = dict(
            CIClass.objects.restrict(user, "view")
            .filter(pk__in=refs["class"])
            .values_list("pk", "name")
        )
    cis = {}
    if refs["ci"]:
        cis = dict(
            ConfigurationItem.objects.restrict(user, "view")
            .filter(pk__in=refs["ci"])
            .values_list("pk", "name")
        )
    titles = {
        name: (spec or {}).get("title") or name
        for name, spec in ((ci.ci_class.attribute_schema or {}).get("properties") or {}).items()
    }

    def show(name, value) -> str:
        if value is None or value == "":
            return "—"
        kind = kinds.get(name)
        if kind and not isinstance(value, int):
            return str(value)  # recorded as a name or slug (a seeder, an import), not an id
        if kind == "org":
            return parties.organization(value)
        if kind == "team":
            return parties.team(value)
        if kind == "person":
            return parties.person(value)
        if kind == "class":
            return classes.get(value, f"#{value}")
        if name in _CHOICE_LABELS:
            return str(_CHOICE_LABELS[name].get(value, value))
        return _display(value)

    entries = []
    for event in events:
        before = event.before if isinstance(event.before, dict) else {}
        after = event.after if isinstance(event.after, dict) else {}
        changes = []
        if event.action.startswith("ci.relation_"):
            values = after or before
            target = values.get("target")
            kind = values.get("type")
            label = RelationType(kind).label if kind in RelationType.values else kind
            text = f"{label} → {cis.get(target, _('a CI you cannot see'))}"
            changes.append(
                {
                    "label": _("Relation"),
                    "before": text if event.action == "ci.relation_removed" else None,
                    "after": text if event.action == "ci.relation_added" else None,
                }
            )
        else:
            for name in dict.fromkeys([*before, *after]):
                if name not in before and after.get(name) in (None, "", {}):
                    continue  # a new CI's empty fields say nothing
                if name == "attributes":
                    changes += _attribute_changes(
                        before.get(name), after.get(name), titles, name in before
                    )
                    continue
                try:
                    label = str(ConfigurationItem._meta.get_field(name).verbose_name)
                except Exception:  # noqa: BLE001 - a field the model no longer has
                    label = name
                changes.append(
                    {
                        "label": label[:1].upper() + label[1:],
                        "before": show(name, before.get(name)) if name in before else None,
                        "after": show(name, after.get(name)) if name in after else None,
                    }
                )
        actor = event.actor_label
        if event.actor_id is not None:
            actor = parties.person(event.actor_id)
        entries.append(
            HistoryEntry(
                event=event,
                action=str(ACTION_LABELS.get(event.action, event.action)),
                actor=actor,
                organization=parties.organization(event.actor_organization_id),
                changes=changes,
                note="" if event.action in PROPOSAL_ACTIONS else event.note,
            )
        )
    return entries


def _attribute_changes(before, after, titles: dict, had_before: bool) -> list[dict]:
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows = []
    for name in dict.fromkeys([*before, *after]):
        if before.get(name) == after.get(name):
            continue
        rows.append(
            {
                "label": titles.get(name, name),
                "before": _display(before.get(name)) if had_before else None,
                "after": _display(after.get(name)),
            }
        )
    return rows


# --- Proposals ------------------------------------------------------------------------------------


def ci_pending_proposals(*, ci: ConfigurationItem, user) -> int:
    """How many proposals for ``ci`` wait for review, among those ``user`` sees."""
    return (
        CIChangeProposal.objects.restrict(user, "view")
        .filter(ci=ci, status=ProposalStatus.PENDING)
        .count()
    )
