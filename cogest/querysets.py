"""The one place where visibility is decided: ``Model.objects.restrict(user, action)``.

Every read for a person or a token goes through ``restrict``: web views, the partner portal, the
API, exports, search and notifications alike. A model declares its rule once in
``visibility_filter``; explicit shares (django-guardian object permissions) widen it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ACTIONS = ("view", "change")


class Viewer:
    """What visibility rules need to know about a user, read once per request."""

    __slots__ = ("user", "organization_id", "is_internal", "role", "is_admin")

    def __init__(self, user: AbstractBaseUser | AnonymousUser | None):
        self.user = user
        profile = getattr(user, "profile", None) if user is not None else None
        self.organization_id = profile.organization_id if profile else None
        self.is_internal = bool(profile and profile.organization.is_internal)
        self.role = profile.role if profile else None
        self.is_admin = bool(
            user is not None
            and user.is_authenticated
            and user.is_active
            and (user.is_superuser or self.role == "admin")
        )

    @property
    def is_authenticated(self) -> bool:
        return (
            bool(
                self.user is not None
                and self.user.is_authenticated
                and self.user.is_active
                and self.organization_id is not None
            )
            or self.is_admin
        )

    @property
    def is_provider(self) -> bool:
        return self.organization_id is not None and not self.is_internal

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "admin") or self.is_admin

    @property
    def is_requester(self) -> bool:
        return self.role == "requester"


def viewer_for(user) -> Viewer:
    """Cache the Viewer on the user object, so one request computes it once."""
    if user is None:
        return Viewer(None)
    cached = getattr(user, "_cogest_viewer", None)
    if cached is None:
        cached = Viewer(user)
        with contextlib.suppress(AttributeError):
            user._cogest_viewer = cached
    return cached


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows how to scope itself to a user and an action."""

    #: Whether django-guardian object permissions can widen the rule (explicit shares).
    guardian_shares = False
    #: Whether the model's rule joins to many-valued relations (then ``distinct()`` is needed).
    filter_joins = False
    #: Records nobody edits, administrators included (the audit trail, comments).
    append_only = False

    def restrict(self, user, action: str = "view") -> RestrictedQuerySet:
        """Only the rows ``user`` may see (``view``) or modify (``change``)."""
        if action not in ACTIONS:
            raise ValueError(f"Unknown action {action!r}; expected one of {ACTIONS}.")
        viewer = viewer_for(user)
        if not viewer.is_authenticated or (self.append_only and action == "change"):
            return self.none()
        if viewer.is_admin:
            return self
        rule = self.visibility_filter(viewer, action)
        if rule is None:
            return self.none()
        if not rule:  # an empty Q: the rule lets the viewer see everything
            return self
        if self.guardian_shares:
            rule |= Q(pk__in=self._shared_with(viewer.user, action))
        qs = self.filter(rule)
        return qs.distinct() if self.filter_joins else qs

    def lock_for_change(self, user, pk):
        """Lock one row for a change by ``user`` (inside a transaction).

        Invisible → ``DoesNotExist`` (the API and pages answer 404); visible but not changeable
        by this user → ``PermissionDenied`` (403). Services start every write with it.
        """
        from django.core.exceptions import PermissionDenied
        from django.utils.translation import gettext as _

        if not self.restrict(user, "view").filter(pk=pk).exists():
            raise self.model.DoesNotExist(f"No visible {self.model._meta.model_name} {pk}.")
        if not self.restrict(user, "change").filter(pk=pk).exists():
            raise PermissionDenied(
                _("You may not change this %(object)s.") % {"object": self.model._meta.verbose_name}
            )
        return self.select_for_update().get(pk=pk)

    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """The rule of this model: a ``Q`` of visible rows, or ``None`` for nothing."""
        raise NotImplementedError(f"{type(self).__name__} must declare visibility_filter()")

    def _shared_with(self, user, action: str):
        from guardian.shortcuts import get_objects_for_user

        meta = self.model._meta
        perm = f"{meta.app_label}.{action}_{meta.model_name}"
        return get_objects_for_user(
            user,
            perm,
            klass=self.model._default_manager.all(),
            accept_global_perms=False,
            with_superuser=False,
        ).values("pk")


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
