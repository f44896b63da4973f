"""What people change in escalation from the pages and the API: the rules (internal managers),
the notifications they read, and their notification preferences.

Every write is one function: a transaction, the row locked through ``restrict(user, "change")``
(invisible → ``DoesNotExist``, 404; visible but not theirs to change → ``PermissionDenied``, 403),
the model's own validation, and an audit event for the rules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest.services import audit_record
from escalation.models import EscalationRule, Notification, NotificationPreference
from escalation.selectors import notification_unread_forget

# What a rule's configuration is made of: its own columns, and its many-to-many relations.
RULE_FIELDS = (
    "name",
    "position",
    "is_active",
    "stop_processing",
    "trigger",
    "minutes",
    "ticket_types",
    "priorities",
    "functional_areas",
    "support_levels",
    "ci_criticality_at_most",
    "reassign_team",
    "reassign_level",
    "raise_priority",
    "notify",
    "post_to_channel",
    "activate_shadow",
    "shadow_minutes",
)
RULE_RELATIONS = ("teams", "engagements", "add_watchers")
_FOREIGN_KEYS = ("reassign_team", "activate_shadow")


def rules_changeable_by(user) -> bool:
    """Whether ``user`` may create and change escalation rules (internal managers, admins)."""
    return not EscalationRule.objects.restrict(user, "change").query.is_empty()


def rules_readable_by(user) -> bool:
    """Whether ``user`` may read the rules' configuration (internal staff)."""
    return not EscalationRule.objects.restrict(user, "view").query.is_empty()


# --- Rules -------------------------------------------------------------------------------------


@transaction.atomic
def rule_create(*, by, data: dict[str, Any]) -> EscalationRule:
    """Create a rule from ``data`` (the fields of ``RULE_FIELDS`` and ``RULE_RELATIONS``; the
    missing ones take the model's defaults), validated by the model, audited."""
    if not rules_changeable_by(by):
        raise PermissionDenied(_("Only internal managers configure escalation rules."))
    _refuse_unknown(data)
    rule = EscalationRule(**{name: data[name] for name in RULE_FIELDS if name in data})
    relations = {name: list(data.get(name) or []) for name in RULE_RELATIONS}
    _validate(rule, watchers=relations["add_watchers"])
    rule.save()
    for name, values in relations.items():
        getattr(rule, name).set(values)
    audit_record(actor=by, action="escalation.rule_created", obj=rule, after=rule_snapshot(rule))
    return rule


@transaction.atomic
def rule_update(*, rule: EscalationRule | int, by, data: dict[str, Any]) -> EscalationRule:
    """Change the fields of ``data`` (others stay as they are), validated by the model; the
    audit event records the fields that changed, before and after."""
    _refuse_unknown(data)
    pk = rule.pk if isinstance(rule, EscalationRule) else rule
    locked = EscalationRule.objects.lock_for_change(by, pk)
    before = rule_snapshot(locked)
    for name in RULE_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    relations = {
        name: list(data[name]) if name in data else list(getattr(locked, name).all())
        for name in RULE_RELATIONS
    }
    _validate(locked, watchers=relations["add_watchers"])
    # Only the configuration: the sweep's bookmark (``swept_until``) is the sweep's to move.
    locked.save(update_fields=[*RULE_FIELDS, "updated_at"])
    for name in RULE_RELATIONS:
        if name in data:
            getattr(locked, name).set(relations[name])
    after = rule_snapshot(locked)
    changed = sorted(key for key in after if after[key] != before.get(key))
    if changed:
        audit_record(
            actor=by,
            action="escalation.rule_changed",
            obj=locked,
            before={key: before.get(key) for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked


def rule_set_active(*, rule: EscalationRule | int, by, active: bool) -> EscalationRule:
    """Switch a rule on or off (an inactive rule never fires; its past events stay)."""
    return rule_update(rule=rule, by=by, data={"is_active": active})


@transaction.atomic
def rule_move(*, rule: EscalationRule | int, by, direction: str) -> list[EscalationRule]:
    """Move a rule one place ``up`` or ``down`` in the order rules run, renumbering the order
    10, 20, 30… (equal positions become distinct). Each rule whose position changed is
    audited. Returns the rules in their new order."""
    pk = rule.pk if isinstance(rule, EscalationRule) else rule
    EscalationRule.objects.lock_for_change(by, pk)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a rule up or down.")]})
    rules = list(
        EscalationRule.objects.restrict(by, "change").select_for_update().order_by("position", "id")
    )
    index = next(i for i, r in enumerate(rules) if r.pk == pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for number, moved in enumerate(rules, start=1):
        position = number * 10
        if moved.position == position:
            continue
        before = moved.position
        moved.position = position
        EscalationRule.objects.filter(pk=moved.pk).update(
            position=position, updated_at=timezone.now()
        )
        audit_record(
            actor=by,
            action="escalation.rule_changed",
            obj=moved,
            before={"position": before},
            after={"position": position},
            note=_("reordered"),
        )
    return rules


def rule_snapshot(rule: EscalationRule) -> dict[str, Any]:
    """The rule's configuration as plain values (ids for related objects), for the audit trail."""
    values: dict[str, Any] = {}
    for name in RULE_FIELDS:
        values[name] = getattr(rule, f"{name}_id" if name in _FOREIGN_KEYS else name)
    for name in RULE_RELATIONS:
        values[name] = sorted(getattr(rule, name).values_list("pk", flat=True)) if rule.pk else []
    return values


def _refuse_unknown(data: dict) -> None:
    unknown = set(data) - set(RULE_FIELDS) - set(RULE_RELATIONS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


def _validate(rule: EscalationRule, *, watchers: list) -> None:
    """The model's ``full_clean``, with "at least one action" judged on the watchers about to
    be set (the model can only count the ones already saved)."""
    try:
        rule.full_clean()
        errors: dict[str, list[str]] = {}
    except ValidationError as exc:
        errors = {key: list(dict.fromkeys(msgs)) for key, msgs in exc.message_dict.items()}
    no_action = str(_("A rule needs at least one action."))
    general = [m for m in errors.pop(NON_FIELD_ERRORS, []) if m != no_action]
    has_action = bool(
        rule.reassign_team_id
        or rule.reassign_level
        or rule.raise_priority
        or rule.notify
        or rule.post_to_channel
        or rule.activate_shadow_id
        or watchers
    )
    if not has_action:
        general.append(no_action)
    if general:
        errors[NON_FIELD_ERRORS] = general
    if errors:
        raise ValidationError(errors)


# --- Notifications -----------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification | int, by) -> Notification:
    """Mark one of ``by``'s notifications read (someone else's: ``DoesNotExist``, a 404)."""
    pk = notification.pk if isinstance(notification, Notification) else notification
    mine = Notification.objects.restrict(by, "change")
    if mine.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now()):
        notification_unread_forget(user_ids=[by.pk])
    return mine.select_related("ticket").get(pk=pk)


def notification_mark_all_read(*, by) -> int:
    """Mark every unread notification of ``by`` read; how many there were."""
    marked = Notification.objects.restrict(by, "change").unread().update(read_at=timezone.now())
    notification_unread_forget(user_ids=[by.pk])
    return marked


@transaction.atomic
def notification_preferences_set(*, by, email_normal: bool) -> NotificationPreference:
    """Set ``by``'s own preference: normal notifications by email too, or in the app only."""
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=by)
    if preference.email_normal != email_normal:
        before = preference.email_normal
        preference.email_normal = email_normal
        preference.save(update_fields=["email_normal", "updated_at"])
        audit_record(
            actor=by,
            action="notification.preferences_changed",
            obj=preference,
            before={"email_normal": before},
            after={"email_normal": email_normal},
        )
    return preference
