"""Services of sharing and access grants (SPEC 2.6): the internal side shares an object with a
provider; a provider technician asks for time-boxed access and an internal manager decides.
Every step is audited on the object and visible to both sides."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest.models import AccessGrant, GrantKind, GrantLevel, GrantStatus, Organization
from cogest.querysets import viewer_for
from cogest.services import audit_record


def _check_level(level: str) -> str:
    if level not in GrantLevel.values:
        raise ValidationError(
            {
                "level": [
                    _("Access is one of: %(choices)s.") % {"choices": ", ".join(GrantLevel.values)}
                ]
            }
        )
    return level


def _check_expiry(expires_at, *, required: bool) -> dt.datetime | None:
    if expires_at is None:
        if required:
            raise ValidationError({"expires_at": [_("Say until when access is needed.")]})
        return None
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": [_("The end must be in the future.")]})
    if expires_at > now + dt.timedelta(days=settings.ACCESS_GRANT_MAX_DAYS):
        raise ValidationError(
            {
                "expires_at": [
                    _("Access is granted for %(days)s days at most.")
                    % {"days": settings.ACCESS_GRANT_MAX_DAYS}
                ]
            }
        )
    return expires_at


def _audit(*, by, action: str, grant: AccessGrant, obj: models.Model | None = None, note=""):
    audit_record(
        actor=by,
        action=action,
        obj=obj,
        object_type=None if obj is not None else grant.content_type.model_class()._meta.label_lower,
        object_id=None if obj is not None else str(grant.object_id),
        object_repr=None if obj is not None else grant.object_label,
        after={
            "grant": grant.pk,
            "organization": grant.organization_id,
            "person": grant.grantee_user_id,
            "level": grant.level,
            "status": grant.status,
            "expires_at": grant.expires_at,
        },
        note=note,
    )


@transaction.atomic
def grant_share(
    *,
    obj: models.Model,
    organization: Organization,
    by,
    level: str = GrantLevel.VIEW,
    reason: str = "",
    expires_at=None,
) -> AccessGrant:
    """Internal staff share one object they can see with a provider organization."""
    viewer = viewer_for(by)
    if not (viewer.is_internal and not viewer.is_requester) and not viewer.is_admin:
        raise PermissionDenied(_("Only internal staff share objects with providers."))
    if not type(obj).objects.restrict(by, "view").filter(pk=obj.pk).exists():
        raise type(obj).DoesNotExist()
    if not organization.is_provider:
        raise ValidationError({"organization": [_("Share with a provider organization.")]})
    _check_level(level)
    expires_at = _check_expiry(expires_at, required=False)
    content_type = ContentType.objects.get_for_model(obj)
    existing = AccessGrant.objects.in_force().filter(
        content_type=content_type,
        object_id=obj.pk,
        organization=organization,
        grantee_user__isnull=True,
    )
    if existing.exists():
        raise ValidationError(
            {"organization": [_("Already shared with %(org)s.") % {"org": organization.name}]}
        )
    grant = AccessGrant.objects.create(
        kind=GrantKind.SHARE,
        content_type=content_type,
        object_id=obj.pk,
        object_label=str(obj)[:200],
        organization=organization,
        level=level,
        status=GrantStatus.ACTIVE,
        reason=(reason or "").strip(),
        expires_at=expires_at,
        requested_by=by,
        decided_by=by,
        decided_at=timezone.now(),
    )
    _audit(by=by, action="grant.shared", grant=grant, obj=obj, note=grant.reason)
    return grant


@transaction.atomic
def grant_request(
    *, obj: models.Model, by, reason: str, expires_at, level: str = GrantLevel.VIEW
) -> AccessGrant:
    """A provider technician asks for time-boxed access to an object outside their scope."""
    viewer = viewer_for(by)
    if not viewer.is_provider:
        raise PermissionDenied(_("Only provider technicians request access."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why you need access.")]})
    _check_level(level)
    expires_at = _check_expiry(expires_at, required=True)
    content_type = ContentType.objects.get_for_model(obj)
    if AccessGrant.objects.filter(
        content_type=content_type,
        object_id=obj.pk,
        grantee_user=by,
        status=GrantStatus.REQUESTED,
    ).exists():
        raise ValidationError({"reason": [_("You already asked; the request is waiting.")]})
    grant = AccessGrant.objects.create(
        kind=GrantKind.REQUEST,
        content_type=content_type,
        object_id=obj.pk,
        object_label=public_label(obj),
        organization_id=viewer.organization_id,
        grantee_user=by,
        level=level,
        status=GrantStatus.REQUESTED,
        reason=reason,
        expires_at=expires_at,
        requested_by=by,
    )
    _audit(by=by, action="grant.requested", grant=grant, note=reason)
    return grant


def _decidable(grant: AccessGrant, by, *, managers_only: bool) -> AccessGrant:
    viewer = viewer_for(by)
    if not AccessGrant.objects.restrict(by, "view").filter(pk=grant.pk).exists():
        raise AccessGrant.DoesNotExist()
    allowed = viewer.is_admin or (
        viewer.is_internal and not viewer.is_requester and (viewer.is_manager or not managers_only)
    )
    if not allowed:
        raise PermissionDenied(
            _("Only internal managers decide access requests.")
            if managers_only
            else _("Only internal staff revoke access.")
        )
    return AccessGrant.objects.select_for_update().get(pk=grant.pk)


@transaction.atomic
def grant_approve(*, grant: AccessGrant, by, expires_at=None, note: str = "") -> AccessGrant:
    grant = _decidable(grant, by, managers_only=True)
    if grant.status != GrantStatus.REQUESTED:
        raise ValidationError({"status": [_("This request was already decided.")]})
    if expires_at is not None:
        grant.expires_at = _check_expiry(expires_at, required=True)
    elif grant.expires_at is not None and grant.expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("The requested period is over.")]})
    grant.status, grant.decided_by, grant.decided_at = GrantStatus.ACTIVE, by, timezone.now()
    grant.decision_note = (note or "").strip()
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "expires_at"])
    _audit(by=by, action="grant.approved", grant=grant, note=grant.decision_note)
    return grant


@transaction.atomic
def grant_refuse(*, grant: AccessGrant, by, note: str) -> AccessGrant:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the request is refused.")]})
    grant = _decidable(grant, by, managers_only=True)
    if grant.status != GrantStatus.REQUESTED:
        raise ValidationError({"status": [_("This request was already decided.")]})
    grant.status, grant.decided_by, grant.decided_at = GrantStatus.REFUSED, by, timezone.now()
    grant.decision_note = note
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _audit(by=by, action="grant.refused", grant=grant, note=note)
    return grant


@transaction.atomic
def grant_revoke(*, grant: AccessGrant, by, note: str = "") -> AccessGrant:
    grant = _decidable(grant, by, managers_only=False)
    if grant.status != GrantStatus.ACTIVE:
        raise ValidationError({"status": [_("Only active access can be revoked.")]})
    grant.status, grant.decided_by, grant.decided_at = GrantStatus.REVOKED, by, timezone.now()
    grant.decision_note = (note or "").strip()
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _audit(by=by, action="grant.revoked", grant=grant, note=grant.decision_note)
    return grant


def grant_expire_due(*, now=None, limit: int = 1000) -> int:
    """Mark grants past their end as expired (the permission check ignores them already)."""
    now = now or timezone.now()
    due = list(
        AccessGrant.objects.filter(status=GrantStatus.ACTIVE, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            grant = (
                AccessGrant.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=GrantStatus.ACTIVE, expires_at__lte=now)
                .first()
            )
            if grant is None:
                continue
            grant.status = GrantStatus.EXPIRED
            grant.save(update_fields=["status"])
            _audit(by=None, action="grant.expired", grant=grant)
            expired += 1
    return expired


# --- What can be granted ----------------------------------------------------------------------
# Apps register their grantable objects in AppConfig.ready(): the core knows teams; tickets
# registers tickets and the CMDB its CIs, keeping imports one-way.

_grantables: dict[str, tuple[type[models.Model], object]] = {}


def register_grantable(key: str, model: type[models.Model], lookup, label=str) -> None:
    """``lookup(reference)`` finds an object by a reference people know (a number, a slug);
    ``label(obj)`` names it without revealing what a requester may not see yet (a ticket's
    number, not its title)."""
    _grantables[key] = (model, lookup)
    _labels[model] = label


_labels: dict[type[models.Model], object] = {}


def public_label(obj: models.Model) -> str:
    return str(_labels.get(type(obj), str)(obj))[:200]


def grantable_kinds() -> list[str]:
    return sorted(_grantables)


def grantable_key(model: type[models.Model]) -> str | None:
    return next((key for key, (m, _lookup) in _grantables.items() if m is model), None)


def resolve_grantable(key: str, reference: str) -> models.Model:
    """The object a request or share names. Unrestricted on purpose: a provider asks for
    access to what it cannot see yet; the answer is the same whether or not it exists."""
    if key not in _grantables:
        raise ValidationError(
            {"object_type": [_("One of: %(kinds)s.") % {"kinds": ", ".join(grantable_kinds())}]}
        )
    _model, lookup = _grantables[key]
    obj = lookup(str(reference or "").strip())
    if obj is None:
        raise ValidationError({"object": [_("Nothing matches “%(ref)s”.") % {"ref": reference}]})
    return obj


def _team_lookup(reference: str):
    from cogest.models import Team

    if reference.isdigit():
        return Team.objects.filter(pk=int(reference)).first()
    return (
        Team.objects.filter(slug=reference).first()
        or Team.objects.filter(name__iexact=reference).first()
    )
