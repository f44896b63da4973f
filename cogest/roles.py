"""Django admin access per role: internal managers configure engagements, calendars, the matrix
and absences (SPEC 3, "configuration"); administrators configure everything."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

INTERNAL_MANAGERS_GROUP = "Internal managers"

# model → the admin actions internal managers may take on it
MANAGER_PERMISSIONS = {
    "engagement": ("view", "add", "change"),
    "responsibilityrule": ("view", "add", "change", "delete"),
    "absence": ("view", "add", "change", "delete"),
    "businesscalendar": ("view", "add", "change"),
    "calendarinterval": ("view", "add", "change", "delete"),
    "calendarholiday": ("view", "add", "change", "delete"),
    "team": ("view",),
    "organization": ("view",),
    "auditevent": ("view",),
    "auth.user": ("view",),  # to pick engagement owners
    # SLA policies are retired (inactive), not deleted: clocks keep pointing at them.
    "sla.slapolicy": ("view", "add", "change"),
    "sla.slatarget": ("view", "add", "change", "delete"),
    "sla.clock": ("view",),
    "sla.clockevent": ("view",),
    "sla.slanotice": ("view",),
}


def ensure_role_groups(**_kwargs) -> Group:
    """Create or refresh the managers' group with exactly its permissions (runs after migrate)."""
    group, _ = Group.objects.get_or_create(name=INTERNAL_MANAGERS_GROUP)
    _ensure_permissions({model.rpartition(".")[0] or "cogest" for model in MANAGER_PERMISSIONS})
    query = Q(pk__in=[])
    for model, actions in MANAGER_PERMISSIONS.items():
        app_label, _dot, name = model.rpartition(".")
        query |= Q(
            content_type__app_label=app_label or "cogest",
            codename__in=[f"{action}_{name}" for action in actions],
        )
    group.permissions.set(Permission.objects.filter(query))
    return group


def _ensure_permissions(app_labels: set[str]) -> None:
    """Create the permissions of the apps named above if they do not exist yet: on a fresh
    database ``migrate`` creates an app's permissions only after its own migrations, and
    ``cogest`` migrates before the apps that come after it."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for label in sorted(app_labels):
        create_permissions(apps.get_app_config(label), verbosity=0)


def apply_role(user, *, role: str, internal: bool) -> None:
    """Admin-site flags and groups that follow from a person's role and organization."""
    user.is_superuser = role == "admin"
    user.is_staff = role == "admin" or (role == "manager" and internal)
    user.save(update_fields=["is_superuser", "is_staff"])
    group = ensure_role_groups()
    if role == "manager" and internal:
        user.groups.add(group)
    else:
        user.groups.remove(group)
