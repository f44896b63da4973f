"""Writing the CMDB: CIs, their relations, and providers' change proposals (SPEC 2.3).

Every change is a transaction with the row locked, a version bump and an audit event. A provider
changes the CIs its organization manages; its change to any other CI it can see becomes a
``CIChangeProposal`` that an internal owner approves (then it applies) or rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.choices import CIStatus, Environment, ProposalStatus, RelationType
from cmdb.errors import StaleVersion
from cmdb.events import CIChangeProposed
from cmdb.models import CIChangeProposal, CIClass, CIRelation, ConfigurationItem
from cmdb.schema import unstorable, validate_attributes
from cogest.events import publish
from cogest.models import Organization, Team, UserProfile
from cogest.querysets import viewer_for
from cogest.services import audit_record

#: What a person may set on a CI (the API's and the forms' writable fields).
CI_FIELDS = (
    "name",
    "ci_class",
    "status",
    "environment",
    "site",
    "criticality",
    "owner_team",
    "managed_by",
    "internal_owner",
    "provider_owner",
    "asset_tag",
    "serial",
    "attributes",
    "description",
)
_REFERENCES = {
    "ci_class": "ci_class_id",
    "owner_team": "owner_team_id",
    "managed_by": "managed_by_id",
    "internal_owner": "internal_owner_id",
    "provider_owner": "provider_owner_id",
}


def ci_snapshot(ci: ConfigurationItem, fields=CI_FIELDS) -> dict:
    """The CI's values as JSON (references as ids), for audit diffs and proposals."""
    return {
        name: getattr(ci, _REFERENCES[name]) if name in _REFERENCES else getattr(ci, name)
        for name in fields
    }


def _clean(values: dict, *, partial: bool) -> dict:
    """Check and normalize CI values; one ``ValidationError`` lists every problem."""
    errors: dict[str, list[str]] = {}
    unknown = set(values) - set(CI_FIELDS)
    for name in sorted(unknown):
        errors[name] = [_("Unknown field.")]
    cleaned = {k: v for k, v in values.items() if k in CI_FIELDS}
    if "name" in cleaned or not partial:
        name = (cleaned.get("name") or "").strip()
        if not name:
            errors["name"] = [_("A CI needs a name.")]
        elif len(name) > 200:
            errors["name"] = [_("At most 200 characters.")]
        cleaned["name"] = name
    if not partial and cleaned.get("ci_class") is None:
        errors["ci_class"] = [_("Choose a class.")]
    if not partial and cleaned.get("managed_by") is None:
        errors["managed_by"] = [_("Say which organization manages it.")]
    for name, choices in (("status", CIStatus), ("environment", Environment)):
        if name in cleaned:
            value = cleaned[name] or ""
            if name == "environment" and value == "":
                cleaned[name] = ""
            elif value not in choices.values:
                errors[name] = [
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": value, "choices": ", ".join(choices.values)}
                ]
    if "criticality" in cleaned:
        value = cleaned["criticality"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            errors["criticality"] = [_("Criticality is a whole number from 1 to 4.")]
    for name, limit in (("site", 80), ("asset_tag", 60), ("serial", 80)):
        if name in cleaned:
            text = (cleaned[name] or "").strip()
            if len(text) > limit:
                errors[name] = [_("At most %(n)s characters.") % {"n": limit}]
            cleaned[name] = text
    if "description" in cleaned:
        cleaned["description"] = cleaned["description"] or ""
    if "attributes" in cleaned and cleaned["attributes"] is None:
        cleaned["attributes"] = {}
    for name, value in cleaned.items():
        if name not in _REFERENCES and unstorable(value):
            errors.setdefault(name, []).append(_("No NUL characters or infinite numbers, please."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_people(ci: ConfigurationItem) -> None:
    """Owners belong to their side: the internal owner to the internal organization, the
    provider owner to the organization that manages the CI."""
    errors = {}
    profiles = {
        p.user_id: p.organization
        for p in UserProfile.objects.select_related("organization").filter(
            user_id__in=[i for i in (ci.internal_owner_id, ci.provider_owner_id) if i]
        )
    }
    if ci.internal_owner_id:
        org = profiles.get(ci.internal_owner_id)
        if org is None or not org.is_internal:
            errors["internal_owner"] = [_("The internal owner must be internal staff.")]
    if ci.provider_owner_id:
        org = profiles.get(ci.provider_owner_id)
        if org is None or org.is_internal or org.pk != ci.managed_by_id:
            errors["provider_owner"] = [
                _("The provider owner must work for the organization that manages the CI.")
            ]
    if errors:
        raise ValidationError(errors)


def _apply(ci: ConfigurationItem, cleaned: dict) -> list[str]:
    """Set the cleaned values on the row; the names of the fields that changed."""
    changed = []
    for name, value in cleaned.items():
        attname = _REFERENCES.get(name)
        if attname:
            new = value.pk if hasattr(value, "pk") else value
            if getattr(ci, attname) != new:
                setattr(ci, attname, new)
                changed.append(name)
        elif getattr(ci, name) != value:
            setattr(ci, name, value)
            changed.append(name)
    return changed


def _validate(ci: ConfigurationItem) -> None:
    klass = CIClass.objects.only("attribute_schema").get(pk=ci.ci_class_id)
    validate_attributes(klass.attribute_schema, ci.attributes)
    _check_people(ci)


def _save(ci: ConfigurationItem, **kwargs) -> None:
    try:
        with transaction.atomic():
            ci.save(**kwargs)
    except IntegrityError as exc:
        if "asset_tag" in str(exc) or "ci_unique_asset_tag" in str(exc):
            raise ValidationError(
                {"asset_tag": [_("Another CI already has this asset tag.")]}
            ) from exc
        raise


@transaction.atomic
def ci_create(*, by, **values) -> ConfigurationItem:
    """Register a CI. A provider creates CIs only for its own organization."""
    viewer = viewer_for(by)
    if not viewer.is_authenticated or viewer.is_requester:
        raise PermissionDenied(_("You may not create configuration items."))
    cleaned = _clean(values, partial=False)
    managed_by = cleaned["managed_by"]
    managed_by_id = managed_by.pk if hasattr(managed_by, "pk") else managed_by
    if not viewer.is_internal and not viewer.is_admin and managed_by_id != viewer.organization_id:
        raise PermissionDenied(_("A provider registers only CIs its own organization manages."))
    ci = ConfigurationItem()
    _apply(ci, cleaned)
    _validate(ci)
    _save(ci)
    audit_record(actor=by, action="ci.created", obj=ci, after=ci_snapshot(ci))
    return ci


@dataclass
class UpdateResult:
    """What ``ci_update`` did: changed the CI, or filed a proposal for review."""

    ci: ConfigurationItem
    proposal: CIChangeProposal | None = None

    @property
    def proposed(self) -> bool:
        return self.proposal is not None


def _lock(ci: ConfigurationItem | int, by, action: str) -> ConfigurationItem:
    pk = ci.pk if isinstance(ci, ConfigurationItem) else ci
    if action == "view":
        if not ConfigurationItem.objects.restrict(by, "view").filter(pk=pk).exists():
            raise ConfigurationItem.DoesNotExist(f"No visible CI {pk}.")
        return ConfigurationItem.objects.select_for_update().get(pk=pk)
    return ConfigurationItem.objects.lock_for_change(by, pk)


def may_change_ci(user, ci: ConfigurationItem) -> bool:
    """Whether ``user`` edits ``ci`` directly (otherwise, if they see it, they propose)."""
    return ConfigurationItem.objects.restrict(user, "change").filter(pk=ci.pk).exists()


@transaction.atomic
def ci_update(
    *, ci: ConfigurationItem | int, by, expected_version: int | None = None, reason: str = "",
    **values,
) -> UpdateResult:  # fmt: skip
    """Change a CI, or — for a provider on a CI its organization does not manage — propose the
    change for an internal owner's review. Nothing changes if nothing differs."""
    viewer = viewer_for(by)
    direct = viewer.is_internal or viewer.is_admin
    locked = _lock(ci, by, "view")
    if not direct:
        direct = may_change_ci(by, locked)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current=locked.version, expected=expected_version, label="CI")
    cleaned = _clean(values, partial=True)
    if not direct:
        return UpdateResult(ci=locked, proposal=_propose(locked, by, cleaned, reason))
    if (
        "managed_by" in cleaned
        and not (viewer.is_internal or viewer.is_admin)
        and _id(cleaned["managed_by"]) != viewer.organization_id
    ):
        raise PermissionDenied(_("Only the internal team hands a CI to another organization."))
    before_all = ci_snapshot(locked)
    changed = _apply(locked, cleaned)
    if not changed:
        return UpdateResult(ci=locked)
    _validate(locked)
    locked.version += 1
    _save(locked)
    after_all = ci_snapshot(locked)
    audit_record(
        actor=by,
        action="ci.updated",
        obj=locked,
        before={k: before_all[k] for k in changed},
        after={k: after_all[k] for k in changed},
        note=reason,
    )
    return UpdateResult(ci=locked)


def _id(value):
    return value.pk if hasattr(value, "pk") else value


def _propose(ci: ConfigurationItem, by, cleaned: dict, reason: str) -> CIChangeProposal:
    """Check the proposed values as if applied (so a bad proposal is refused now), then file
    them; the CI itself does not change."""
    if "managed_by" in cleaned and _id(cleaned["managed_by"]) != ci.managed_by_id:
        raise PermissionDenied(_("Only the internal team hands a CI to another organization."))
    before = ci_snapshot(ci)
    trial = ConfigurationItem.objects.get(pk=ci.pk)
    changed = _apply(trial, cleaned)
    if not changed:
        raise ValidationError({"detail": [_("The proposal changes nothing.")]})
    _validate(trial)
    after = ci_snapshot(trial)
    proposal = CIChangeProposal.objects.create(
        ci=ci,
        organization_id=viewer_for(by).organization_id,
        proposed_by=by,
        changes={k: after[k] for k in changed},
        before={k: before[k] for k in changed},
        base_version=ci.version,
        reason=(reason or "").strip(),
    )
    audit_record(
        actor=by,
        action="ci.change_proposed",
        obj=ci,
        before=proposal.before,
        after=proposal.changes,
        note=f"proposal {proposal.pk}",
    )
    publish(CIChangeProposed(proposal_id=proposal.pk, ci_id=ci.pk, actor_id=by.pk))
    return proposal


def may_decide_proposal(user, proposal: CIChangeProposal) -> bool:
    """Who approves or rejects a proposal: an internal manager, or the CI's internal owner
    (any internal agent when the CI has none); administrators too."""
    viewer = viewer_for(user)
    owner_id = proposal.ci.internal_owner_id
    return viewer.is_admin or (
        viewer.is_internal
        and not viewer.is_requester
        and (viewer.is_manager or owner_id in (None, user.pk))
    )


def _decidable(proposal: CIChangeProposal | int, by) -> CIChangeProposal:
    """A pending proposal, locked, that ``by`` may decide: internal managers, or the CI's
    internal owner (any internal agent when the CI has none)."""
    pk = proposal.pk if isinstance(proposal, CIChangeProposal) else proposal
    found = CIChangeProposal.objects.restrict(by, "view").filter(pk=pk).exists()
    if not found:
        raise CIChangeProposal.DoesNotExist(f"No visible proposal {pk}.")
    locked = CIChangeProposal.objects.select_for_update().select_related("ci").get(pk=pk)
    if not may_decide_proposal(by, locked):
        raise PermissionDenied(_("Only an internal owner of the CI or a manager decides this."))
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError(
            {"status": [_("This proposal was already decided (%(s)s).") % {"s": locked.status}]}
        )
    return locked


@transaction.atomic
def proposal_approve(*, proposal: CIChangeProposal | int, by, note: str = "") -> CIChangeProposal:
    """Apply a proposal's values to the CI (as the approver) and close it."""
    proposal = _decidable(proposal, by)
    values = dict(proposal.changes)
    for name in ("ci_class", "owner_team", "managed_by", "internal_owner", "provider_owner"):
        if name in values and values[name] is not None:
            values[name] = _reference(name, values[name])
    ci_update(ci=proposal.ci_id, by=by, reason=_("Proposal %(n)s approved") % {"n": proposal.pk},
              **values)  # fmt: skip
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by, proposal.decided_at = by, timezone.now()
    proposal.decision_note = (note or "").strip()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=by,
        action="ci.proposal_approved",
        obj=proposal.ci,
        before=proposal.before,
        after=proposal.changes,
        note=f"proposal {proposal.pk}: {proposal.decision_note}".strip(": "),
    )
    return proposal


def _reference(name: str, pk):
    model = {
        "ci_class": CIClass,
        "owner_team": Team,
        "managed_by": Organization,
        "internal_owner": get_user_model(),
        "provider_owner": get_user_model(),
    }[name]
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise ValidationError({name: [_("It no longer exists.")]})
    return found


@transaction.atomic
def proposal_reject(*, proposal: CIChangeProposal | int, by, note: str) -> CIChangeProposal:
    """Refuse a proposal, saying why; the CI stays as it is."""
    if not (note or "").strip():
        raise ValidationError({"note": [_("Say why the proposal is rejected.")]})
    proposal = _decidable(proposal, by)
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by, proposal.decided_at = by, timezone.now()
    proposal.decision_note = note.strip()
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=by,
        action="ci.proposal_rejected",
        obj=proposal.ci,
        before=proposal.before,
        after=proposal.changes,
        note=f"proposal {proposal.pk}: {proposal.decision_note}",
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: CIChangeProposal | int, by) -> CIChangeProposal:
    """The proposer's organization takes a pending proposal back."""
    pk = proposal.pk if isinstance(proposal, CIChangeProposal) else proposal
    if not CIChangeProposal.objects.restrict(by, "view").filter(pk=pk).exists():
        raise CIChangeProposal.DoesNotExist(f"No visible proposal {pk}.")
    locked = CIChangeProposal.objects.select_for_update().select_related("ci").get(pk=pk)
    if locked.organization_id != viewer_for(by).organization_id:
        raise PermissionDenied(_("Only the proposing organization withdraws a proposal."))
    if locked.status != ProposalStatus.PENDING:
        raise ValidationError({"status": [_("This proposal was already decided.")]})
    locked.status = ProposalStatus.WITHDRAWN
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=by, action="ci.proposal_withdrawn", obj=locked.ci, note=f"proposal {locked.pk}"
    )
    return locked


# --- Relations ----------------------------------------------------------------------------------


@transaction.atomic
def relation_create(*, source, type: str, target, by) -> CIRelation:  # noqa: A002
    """Relate two CIs the actor sees; the actor must be allowed to change the source."""
    errors = {}
    if type not in RelationType.values:
        errors["type"] = [
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": type, "choices": ", ".join(RelationType.values)}
        ]
    source_id, target_id = _id(source), _id(target)
    visible = set(
        ConfigurationItem.objects.restrict(by, "view")
        .filter(pk__in=[source_id, target_id])
        .values_list("pk", flat=True)
    )
    if source_id not in visible:
        errors["source"] = [_("Unknown configuration item.")]
    if target_id not in visible:
        errors["target"] = [_("Unknown configuration item.")]
    if not errors and source_id == target_id:
        errors["target"] = [_("A CI cannot be related to itself.")]
    if errors:
        raise ValidationError(errors)
    source_ci = _lock(source_id, by, "change")
    relation = CIRelation(source_id=source_id, type=type, target_id=target_id, created_by=by)
    try:
        with transaction.atomic():
            relation.save()
    except IntegrityError as exc:
        raise ValidationError({"detail": [_("These CIs are already related this way.")]}) from exc
    audit_record(
        actor=by,
        action="ci.relation_added",
        obj=source_ci,
        after={"type": type, "target": target_id},
    )
    return relation


@transaction.atomic
def relation_delete(*, relation: CIRelation | int, by) -> None:
    """Remove a relation (whoever may change its source)."""
    pk = _id(relation)
    relation = CIRelation.objects.lock_for_change(by, pk)
    source_ci = ConfigurationItem.objects.get(pk=relation.source_id)
    before = {"type": relation.type, "target": relation.target_id}
    relation.delete()
    audit_record(actor=by, action="ci.relation_removed", obj=source_ci, before=before)
