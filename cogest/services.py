"""Services of the core: the only code that writes organizations, teams, engagements and the trail.

``audit_record`` is the single function every app calls to record a change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cogest.bulk import insert_many
from cogest.context import client_ip_var, request_id_var
from cogest.models import AuditEvent, Engagement, Organization, Team, UserProfile
from cogest.models.audit import GENESIS_HASH
from cogest.roles import apply_role

User = get_user_model()

# Any constant: the key of the PostgreSQL advisory lock that serializes appends to the chain.
_AUDIT_CHAIN_LOCK = 0x636F6765  # "coge"


def _plain(value: Any) -> Any:
    """Make before/after values JSON-plain, so what is hashed is exactly what is stored."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _actor_parts(actor, actor_label: str | None) -> tuple[int | None, str, int | None]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, actor_label or "system", None
    # The request already loaded the profile (auth): read it from there, not the database.
    profile = getattr(actor, "profile", None)
    label = actor_label or actor.get_username()
    return actor.pk, label, profile.organization_id if profile else None


# No savepoint of its own: an audit event that cannot be written fails the change it describes.
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    actor_label: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """Append one event to the audit trail, chained to the previous one.

    ``actor`` is a user, or ``None`` for a system job (then ``actor_label`` names it, e.g.
    ``"system:sla_sweep"``). Appends are serialized (an advisory lock on PostgreSQL; SQLite
    serializes writers already), so the chain has no forks.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_CHAIN_LOCK])
    actor_id, label, org_id = _actor_parts(actor, actor_label)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if not object_repr:
            # One language in the trail, whoever writes it.
            with translation.override(settings.LANGUAGE_CODE):
                object_repr = str(obj)[:200]
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        created_at=timezone.now(),
        actor_id=actor_id,
        actor_label=label[:150],
        actor_organization_id=org_id,
        action=action,
        object_type=object_type or "",
        object_id=object_id or "",
        object_repr=(object_repr or "")[:200],
        before=_plain(before),
        after=_plain(after),
        note=note,
        request_id=request_id_var.get(),
        ip_address=client_ip_var.get(),
        prev_hash=previous or GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


@transaction.atomic(savepoint=False)
def audit_record_many(*, actor, entries: list[dict], actor_label: str | None = None) -> int:
    """Append several events by one actor at once (a sweep's breaches): one lock, one read of
    the chain's end, one insert. Each entry takes ``audit_record``'s keywords ``action``,
    ``object_type``, ``object_id``, ``object_repr``, ``before``, ``after``, ``note``."""
    if not entries:
        return 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_CHAIN_LOCK])
    actor_id, label, org_id = _actor_parts(actor, actor_label)
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    previous = previous or GENESIS_HASH
    now = timezone.now()
    events = []
    for entry in entries:
        event = AuditEvent(
            created_at=now,
            actor_id=actor_id,
            actor_label=label[:150],
            actor_organization_id=org_id,
            action=entry["action"],
            object_type=entry.get("object_type", ""),
            object_id=entry.get("object_id", ""),
            object_repr=(entry.get("object_repr") or "")[:200],
            before=_plain(entry.get("before")),
            after=_plain(entry.get("after")),
            note=entry.get("note", ""),
            request_id=request_id_var.get(),
            ip_address=client_ip_var.get(),
            prev_hash=previous,
        )
        event.hash = previous = event.compute_hash()
        events.append(event)
    insert_many(events)
    return len(events)


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the audit chain."""

    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole trail in order and check every link and every hash."""
    expected_prev = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event.pk, "the link to the previous event is broken")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.pk, "the event's content does not match its hash")
        expected_prev = event.hash
        checked += 1
    return ChainReport(checked)


# --- Teams ----------------------------------------------------------------------------------


def validate_team_people(*, team: Team, members: Iterable, lead) -> None:
    """A team's members belong to its organization, and its lead is one of them."""
    members = list(members)
    if team.organization_id:
        foreign = [
            u.get_username()
            for u in members
            if getattr(getattr(u, "profile", None), "organization_id", None) != team.organization_id
        ]
        if foreign:
            raise ValidationError(
                {
                    "members": _("These people belong to another organization: %(names)s.")
                    % {"names": ", ".join(sorted(foreign))}
                }
            )
    if lead is not None and lead.pk not in {u.pk for u in members}:
        raise ValidationError({"lead": _("The team lead must be a member of the team.")})


@transaction.atomic
def team_set_members(*, team: Team, members: Iterable, lead, by) -> Team:
    """Replace a team's members and lead, checked and audited."""
    team = Team.objects.lock_for_change(by, team.pk)
    members = list(members)
    validate_team_people(team=team, members=members, lead=lead)
    before = {
        "members": sorted(team.members.values_list("username", flat=True)),
        "lead": team.lead.get_username() if team.lead else None,
    }
    team.lead = lead
    team.save(update_fields=["lead"])
    team.members.set(members)
    after = {
        "members": sorted(u.get_username() for u in members),
        "lead": lead.get_username() if lead else None,
    }
    audit_record(actor=by, action="team.members_changed", obj=team, before=before, after=after)
    return team


# --- Engagements ----------------------------------------------------------------------------


def validate_engagement_teams(*, engagement: Engagement, teams: Iterable[Team]) -> None:
    """Only the provider's own teams work under an engagement; an internal team never does."""
    errors = []
    for team in teams:
        if team.organization.is_internal:
            errors.append(
                _("%(team)s is an internal team: it cannot hold a provider engagement.")
                % {"team": team}
            )
        elif team.organization_id != engagement.provider_id:
            errors.append(_("%(team)s belongs to another provider.") % {"team": team})
    if errors:
        raise ValidationError({"teams": errors})


@transaction.atomic
def engagement_activate_shadow(*, engagement: Engagement, until, reason: str, by) -> Engagement:
    """Switch a shadow engagement on by hand until ``until``, with a reason (SPEC 2.1)."""
    engagement = Engagement.objects.lock_for_change(by, engagement.pk)
    if not engagement.is_shadow:
        raise ValidationError(_("Only shadow engagements can be activated by hand."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the activation.")})
    if until <= timezone.now():
        raise ValidationError({"until": _("The activation must end in the future.")})
    before = {"manual_until": engagement.shadow_manual_until}
    engagement.shadow_manual_until = until
    engagement.shadow_manual_reason = reason.strip()
    engagement.shadow_manual_by = by
    engagement.save(
        update_fields=[
            "shadow_manual_until",
            "shadow_manual_reason",
            "shadow_manual_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="engagement.shadow_activated",
        obj=engagement,
        before=before,
        after={"manual_until": until, "reason": engagement.shadow_manual_reason},
    )
    return engagement


@transaction.atomic
def engagement_deactivate_shadow(*, engagement: Engagement, by) -> Engagement:
    """End a manual shadow activation now (the automatic causes keep their own course)."""
    engagement = Engagement.objects.lock_for_change(by, engagement.pk)
    if not engagement.manual_activation_active():
        raise ValidationError(_("This engagement is not manually activated."))
    before = {
        "manual_until": engagement.shadow_manual_until,
        "reason": engagement.shadow_manual_reason,
    }
    engagement.shadow_manual_until = None
    engagement.shadow_manual_reason = ""
    engagement.shadow_manual_by = None
    engagement.save(
        update_fields=[
            "shadow_manual_until",
            "shadow_manual_reason",
            "shadow_manual_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="engagement.shadow_deactivated",
        obj=engagement,
        before=before,
        after={"manual_until": None},
    )
    return engagement


# --- People ---------------------------------------------------------------------------------


@transaction.atomic
def profile_set_preferences(*, user, language: str | None = None, tz: str | None = None):
    """A person changes their own language and timezone."""
    profile = UserProfile.objects.restrict(user, "change").select_for_update().get(user=user)
    before = {"language": profile.language, "timezone": profile.timezone}
    if language is not None:
        profile.language = language
    if tz is not None:
        profile.timezone = tz
    profile.full_clean()
    profile.save(update_fields=["language", "timezone"])
    after = {"language": profile.language, "timezone": profile.timezone}
    if after != before:
        audit_record(
            actor=user, action="user.preferences_changed", obj=profile, before=before, after=after
        )
    return profile


@transaction.atomic
def user_create(
    *,
    username: str,
    organization: Organization,
    role: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    tz: str = "Europe/Madrid",
    is_service_account: bool = False,
    by=None,
):
    """Create a person (or a service account) with their profile, in one step."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    profile = UserProfile(
        user=user,
        organization=organization,
        role=role,
        language=language,
        timezone=tz,
        is_service_account=is_service_account,
    )
    profile.full_clean()
    profile.save()
    apply_role(user, role=role, internal=organization.is_internal)
    audit_record(
        actor=by,
        action="user.created",
        obj=user,
        after={
            "organization": organization.slug,
            "role": role,
            "service_account": is_service_account,
        },
        actor_label=None if by else "system:user_create",
    )
    return user


# --- Service accounts (integrations) --------------------------------------------------------


@transaction.atomic
def service_account_create(*, name: str, organization: Organization, role: str, by):
    """An integration (a monitoring tool, a script) with its own role, organization and API
    token: it sees and does exactly what a person with that role there would."""
    from rest_framework.authtoken.models import Token

    if role not in ("agent", "manager"):
        raise ValidationError({"role": [_("A service account is an agent or a manager.")]})
    user = user_create(
        username=name,
        organization=organization,
        role=role,
        password=None,
        is_service_account=True,
        by=by,
    )
    token = Token.objects.create(user=user)
    audit_record(
        actor=by,
        action="service_account.created",
        obj=user,
        after={"organization": organization.slug, "role": role},
        actor_label=None if by else "system:service_account",
    )
    return user, token


@transaction.atomic
def service_account_revoke(*, user, by) -> None:
    """Cut an integration off: its token is deleted and the account deactivated."""
    from rest_framework.authtoken.models import Token

    profile = UserProfile.objects.filter(user=user, is_service_account=True).first()
    if profile is None:
        raise ValidationError(_("%(name)s is not a service account.") % {"name": user})
    Token.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(is_active=False)
    audit_record(
        actor=by,
        action="service_account.revoked",
        obj=user,
        actor_label=None if by else "system:service_account",
    )
